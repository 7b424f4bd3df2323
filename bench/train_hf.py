#!/usr/bin/env python3
"""The Hugging Face Trainer side of bench/train.ts: the course's token-classification recipe.

`BertForTokenClassification` from a `BertConfig` of the benchmark's shape (randomly initialised:
this measures throughput, not accuracy), `DataCollatorForTokenClassification` over the
tokenizer tokentag trained (loaded with `AutoTokenizer.from_pretrained`), and `Trainer` with the
course's arguments (learning rate 2e-5, weight decay 0.01; here `max_steps` instead of epochs,
no evaluation or saving, `report_to="none"`). The training features are tokentag's encoded and
aligned sentences, in the Trainer's own shuffled order (its default sampler). Real (not padded)
tokens are counted from the attention masks the model sees.

    /work/venv/bin/python bench/train_hf.py --spec /tmp/x/hf-spec.json

Prints one JSON object: {transformers_version, torch_version, steps, elapsed_s, tokens_per_s,
padded_tokens_per_s, train_loss}.
"""
import argparse
import json
import sys
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--spec", required=True, help="JSON written by bench/train.ts")
    spec = json.load(open(ap.parse_args().spec))
    import torch
    import transformers
    from transformers import (AutoTokenizer, BertConfig, BertForTokenClassification, DataCollatorForTokenClassification,
                              Trainer, TrainerCallback, TrainingArguments)

    c, h = spec["config"], spec["hyper"]
    torch.set_num_threads(h["threads"])
    transformers.set_seed(h["seed"])
    tokenizer = AutoTokenizer.from_pretrained(spec["tokenizer_dir"])
    config = BertConfig(
        vocab_size=c["vocab_size"], hidden_size=c["hidden_size"], num_hidden_layers=c["num_hidden_layers"],
        num_attention_heads=c["num_attention_heads"], intermediate_size=c["intermediate_size"],
        max_position_embeddings=c["max_position_embeddings"], hidden_dropout_prob=c["hidden_dropout_prob"],
        attention_probs_dropout_prob=c["attention_probs_dropout_prob"], num_labels=c["num_labels"],
        pad_token_id=c["pad_token_id"],
    )
    model = BertForTokenClassification(config)
    with open(spec["features_file"]) as f:
        features = [json.loads(line) for line in f]

    # Timed from the start of the second step to the end (the first pays for warm-up), counting the
    # tokens of every batch the model sees meanwhile (a forward pre-hook reads its attention mask).
    counted = {"on": False, "real": 0, "padded": 0, "start": 0.0}

    def count(module, args, kwargs):
        if counted["on"] and module.training:
            mask = kwargs["attention_mask"]
            counted["real"] += int(mask.sum())
            counted["padded"] += mask.numel()

    model.register_forward_pre_hook(count, with_kwargs=True)

    class Clock(TrainerCallback):
        def on_step_begin(self, args, state, control, **kw):
            if state.global_step == 1 and not counted["on"]:
                counted["on"], counted["start"] = True, time.perf_counter()

    args = TrainingArguments(
        output_dir=spec["output_dir"], per_device_train_batch_size=h["batch_size"], learning_rate=h["lr"],
        weight_decay=h["weight_decay"], max_steps=h["steps"] + 1, logging_strategy="no", save_strategy="no",
        eval_strategy="no", report_to="none", seed=h["seed"], dataloader_num_workers=0, disable_tqdm=True, use_cpu=True,
    )
    collator = DataCollatorForTokenClassification(tokenizer=tokenizer)
    trainer = Trainer(model=model, args=args, train_dataset=features, data_collator=collator, callbacks=[Clock()])
    out = trainer.train()
    elapsed = time.perf_counter() - counted["start"]
    steps = h["steps"]
    json.dump(
        {
            "transformers_version": transformers.__version__,
            "torch_version": torch.__version__,
            "threads": torch.get_num_threads(),
            "steps": steps,
            "elapsed_s": elapsed,
            "tokens_per_s": counted["real"] / elapsed,
            "padded_tokens_per_s": counted["padded"] / elapsed,
            "train_loss": out.training_loss,
        },
        sys.stdout,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
