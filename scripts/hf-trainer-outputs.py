"""What a run_ner.py-style run writes into its output directory, with the real transformers.

tokentag's `train` writes the same top-level files (trainer_state.json, train_results.json,
eval_results.json, predict_results.json, all_results.json); this script is how their names and
keys were checked. It follows run_ner.py's end-of-run sequence exactly:

    train_result = trainer.train(); metrics = train_result.metrics; trainer.save_model()
    metrics["train_samples"] = len(train); trainer.save_metrics("train", metrics); trainer.save_state()
    metrics = trainer.evaluate(); metrics["eval_samples"] = len(eval); trainer.save_metrics("eval", metrics)
    _, _, metrics = trainer.predict(test, metric_key_prefix="predict"); trainer.save_metrics("predict", metrics)

Run (needs /work/venv: torch + transformers; no network, a tiny random BERT):
    OMP_WAIT_POLICY=PASSIVE /work/venv/bin/python scripts/hf-trainer-outputs.py OUT_DIR
It prints every file of OUT_DIR's top level, and the JSON ones in full.
"""
import json
import os
import sys

import torch
import transformers
from transformers import BertConfig, BertForTokenClassification, Trainer, TrainingArguments

torch.set_num_threads(2)
out = sys.argv[1]

labels = ["O", "B-PER", "I-PER"]
config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
                    max_position_embeddings=32, num_labels=len(labels),
                    id2label=dict(enumerate(labels)), label2id={l: i for i, l in enumerate(labels)})
torch.manual_seed(0)
model = BertForTokenClassification(config)


def example(i):
    ids = [2] + [5 + (i * 7 + j) % 40 for j in range(5)] + [3]
    lab = [-100] + [(i + j) % 3 for j in range(5)] + [-100]
    return {"input_ids": ids, "attention_mask": [1] * len(ids), "labels": lab}


train = [example(i) for i in range(16)]
evaluation = [example(i) for i in range(16, 24)]
test = [example(i) for i in range(24, 30)]


def compute_metrics(p):
    # run_ner.py returns these four keys from seqeval's overall_*; the values do not matter here.
    preds = p.predictions.argmax(-1)
    mask = p.label_ids != -100
    acc = float((preds[mask] == p.label_ids[mask]).mean())
    return {"precision": acc, "recall": acc, "f1": acc, "accuracy": acc}


args = TrainingArguments(output_dir=out, num_train_epochs=2, per_device_train_batch_size=4, per_device_eval_batch_size=4,
                         eval_strategy="epoch", save_strategy="epoch", load_best_model_at_end=True,
                         metric_for_best_model="f1", logging_steps=2, report_to="none", save_total_limit=2,
                         use_cpu=True, seed=42)
trainer = Trainer(model=model, args=args, train_dataset=train, eval_dataset=evaluation, compute_metrics=compute_metrics)
train_result = trainer.train()
metrics = train_result.metrics
trainer.save_model()
metrics["train_samples"] = len(train)
trainer.log_metrics("train", metrics)
trainer.save_metrics("train", metrics)
trainer.save_state()
metrics = trainer.evaluate()
metrics["eval_samples"] = len(evaluation)
trainer.save_metrics("eval", metrics)
_, _, metrics = trainer.predict(test, metric_key_prefix="predict")
trainer.save_metrics("predict", metrics)

print(f"transformers {transformers.__version__}, torch {torch.__version__}")
for name in sorted(os.listdir(out)):
    path = os.path.join(out, name)
    print(f"== {name}{'/' if os.path.isdir(path) else ''}")
    if name.endswith(".json") and not os.path.isdir(path) and name not in ("config.json",):
        with open(path) as f:
            print(f.read())
