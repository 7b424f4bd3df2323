/**
 * The course's second program (chapter 7, section 2, "A custom training loop"): the same
 * fine-tuning written out — data loaders, AdamW, a linear schedule, a progress bar, evaluation
 * with `metric.add_batch` / `compute` each epoch, `save_pretrained` — cell by cell after the data
 * cells in data.ts. Python lines are the comments; see docs/course.md.
 *
 *   node --import tsx examples/course/custom-loop.ts        # bert-base-cased on conll2003, from the Hub
 *   COURSE_DATASET=… COURSE_MODEL=… COURSE_LEARNING_RATE=2e-3 node --import tsx examples/course/custom-loop.ts   # offline.ts's
 *
 * COURSE_OUTPUT_DIR replaces the output directory; PUSH_TO_HUB=1 uploads it after each epoch as
 * the chapter does (a write token: HF_TOKEN or `hf auth login`).
 */
import { Accelerator, AdamW, AutoModelForTokenClassification, DataLoader, get_scheduler, pushToHub, tqdm, type Tensor } from 'tokentag';
import { data_collator, id2label, label2id, label_names, metric, model_checkpoint, tokenized_datasets, tokenizer } from './data.ts';

const push_to_hub = process.env.PUSH_TO_HUB === '1';
// The chapter fine-tunes pre-trained BERT at 2e-5; offline.ts's tiny model starts from random
// weights and needs more (the test suite passes 2e-3).
const learning_rate = Number(process.env.COURSE_LEARNING_RATE ?? 2e-5);

// ---- Preparing everything for training -------------------------------------------------------

// from torch.utils.data import DataLoader
//
// train_dataloader = DataLoader(
//     tokenized_datasets["train"],
//     shuffle=True,
//     collate_fn=data_collator,
//     batch_size=8,
// )
// eval_dataloader = DataLoader(
//     tokenized_datasets["validation"], collate_fn=data_collator, batch_size=8
// )
// (A class is made with `new`. The shuffled order is seeded: the same on every run and machine.)
let train_dataloader = new DataLoader(tokenized_datasets['train'], {
  shuffle: true,
  collate_fn: data_collator,
  batch_size: 8,
});
let eval_dataloader = new DataLoader(tokenized_datasets['validation'], { collate_fn: data_collator, batch_size: 8 });

// model = AutoModelForTokenClassification.from_pretrained(
//     model_checkpoint,
//     id2label=id2label,
//     label2id=label2id,
// )
let model = await AutoModelForTokenClassification.from_pretrained(model_checkpoint, {
  id2label: id2label,
  label2id: label2id,
});

// from torch.optim import AdamW
//
// optimizer = AdamW(model.parameters(), lr=2e-5)
let optimizer = new AdamW(model.parameters(), { lr: learning_rate });

// from accelerate import Accelerator
//
// accelerator = Accelerator()
// model, optimizer, train_dataloader, eval_dataloader = accelerator.prepare(
//     model, optimizer, train_dataloader, eval_dataloader
// )
// (prepare compiles the training graphs for ONNX Runtime; it returns the same objects.)
const accelerator = new Accelerator();
[model, optimizer, train_dataloader, eval_dataloader] = await accelerator.prepare(model, optimizer, train_dataloader, eval_dataloader);

// from transformers import get_scheduler
//
// num_train_epochs = 3
// num_update_steps_per_epoch = len(train_dataloader)
// num_training_steps = num_train_epochs * num_update_steps_per_epoch
//
// lr_scheduler = get_scheduler(
//     "linear",
//     optimizer=optimizer,
//     num_warmup_steps=0,
//     num_training_steps=num_training_steps,
// )
const num_train_epochs = 3;
const num_update_steps_per_epoch = train_dataloader.length;
const num_training_steps = num_train_epochs * num_update_steps_per_epoch;

const lr_scheduler = get_scheduler('linear', {
  optimizer: optimizer,
  num_warmup_steps: 0,
  num_training_steps: num_training_steps,
});

// from huggingface_hub import Repository, get_full_repo_name
//
// model_name = "bert-finetuned-ner-accelerate"
// repo_name = get_full_repo_name(model_name)
// repo_name
// (pushToHub puts a bare name in the token owner's namespace, as get_full_repo_name does.)
const model_name = 'bert-finetuned-ner-accelerate';
const repo_name = model_name;

// output_dir = "bert-finetuned-ner-accelerate"
// repo = Repository(output_dir, clone_from=repo_name)
// (No clone: pushToHub uploads the directory's files in one commit.)
const output_dir = process.env.COURSE_OUTPUT_DIR ?? 'bert-finetuned-ner-accelerate';

// ---- Training loop ---------------------------------------------------------------------------

// def postprocess(predictions, labels):
//     predictions = predictions.detach().cpu().clone().numpy()
//     labels = labels.detach().cpu().clone().numpy()
//
//     # Remove ignored index (special tokens) and convert to labels
//     true_labels = [[label_names[l] for l in label if l != -100] for label in labels]
//     true_predictions = [
//         [label_names[p] for (p, l) in zip(prediction, label) if l != -100]
//         for prediction, label in zip(predictions, labels)
//     ]
//     return true_labels, true_predictions
// (The chapter returns (labels, predictions) but its loop unpacks (predictions, labels), which
// swaps precision and recall; this returns them in the order the loop reads them.)
function postprocess(predictions_tensor: Tensor<'int64', 2>, labels_tensor: Tensor<'int64', 2>): [string[][], string[][]] {
  const predictions = predictions_tensor.tolist();
  const labels = labels_tensor.tolist();

  const true_labels = labels.map((label) => label.filter((l) => l !== -100).map((l) => label_names[l]));
  const true_predictions = predictions.map((prediction, i) => prediction.filter((_, j) => labels[i][j] !== -100).map((p) => label_names[p]));
  return [true_predictions, true_labels];
}

// from tqdm.auto import tqdm
// import torch
//
// progress_bar = tqdm(range(num_training_steps))
const progress_bar = tqdm(num_training_steps);

/** Each epoch's scores, for whoever imports this program (the test suite). */
export const epoch_results: Record<string, number>[] = [];

// for epoch in range(num_train_epochs):
for (let epoch = 0; epoch < num_train_epochs; epoch++) {
  //     # Training
  //     model.train()
  //     for batch in train_dataloader:
  //         outputs = model(**batch)
  //         loss = outputs.loss
  //         accelerator.backward(loss)
  //
  //         optimizer.step()
  //         lr_scheduler.step()
  //         optimizer.zero_grad()
  //         progress_bar.update(1)
  // (One call does the forward pass with dropout — model.train() — the backward pass and the
  // AdamW update: the engine runs them together and keeps no gradients to zero.)
  for (const batch of train_dataloader) {
    const outputs = await optimizer.step(batch);
    lr_scheduler.step();
    progress_bar.set_postfix({ loss: outputs.loss });
    progress_bar.update(1);
  }

  //     # Evaluation
  //     model.eval()
  //     for batch in eval_dataloader:
  //         with torch.no_grad():
  //             outputs = model(**batch)
  // (Calling the model runs the inference graph: dropout off, no gradients.)
  for (const batch of eval_dataloader) {
    const outputs = await model(batch);

    //         predictions = outputs.logits.argmax(dim=-1)
    //         labels = batch["labels"]
    const predictions = outputs.logits.argmax(-1);
    const labels = batch['labels']!;

    //         # Necessary to pad predictions and labels for being gathered
    //         predictions = accelerator.pad_across_processes(predictions, dim=1, pad_index=-100)
    //         labels = accelerator.pad_across_processes(labels, dim=1, pad_index=-100)
    //
    //         predictions_gathered = accelerator.gather(predictions)
    //         labels_gathered = accelerator.gather(labels)
    // (One process: nothing to pad across or gather.)

    //         true_predictions, true_labels = postprocess(predictions_gathered, labels_gathered)
    //         metric.add_batch(predictions=true_predictions, references=true_labels)
    const [true_predictions, true_labels] = postprocess(predictions, labels);
    metric.add_batch({ predictions: true_predictions, references: true_labels });
  }

  //     results = metric.compute()
  //     print(
  //         f"epoch {epoch}:",
  //         {
  //             key: results[f"overall_{key}"]
  //             for key in ["precision", "recall", "f1", "accuracy"]
  //         },
  //     )
  const results = metric.compute();
  const overall = Object.fromEntries(['precision', 'recall', 'f1', 'accuracy'].map((key) => [key, results[`overall_${key}`] as number]));
  progress_bar.write(`epoch ${epoch}: ${JSON.stringify(overall)}`);
  epoch_results.push(overall);

  //     # Save and upload
  //     accelerator.wait_for_everyone()
  //     unwrapped_model = accelerator.unwrap_model(model)
  //     unwrapped_model.save_pretrained(output_dir, save_function=accelerator.save)
  //     if accelerator.is_main_process:
  //         tokenizer.save_pretrained(output_dir)
  //         repo.push_to_hub(
  //             commit_message=f"Training in progress epoch {epoch}", blocking=False
  //         )
  // (The push is awaited here: there is no background upload.)
  await accelerator.wait_for_everyone();
  const unwrapped_model = accelerator.unwrap_model(model);
  unwrapped_model.save_pretrained(output_dir);
  if (accelerator.is_main_process) {
    tokenizer.save_pretrained(output_dir);
    if (push_to_hub) await pushToHub(output_dir, { repo: repo_name, commitMessage: `Training in progress epoch ${epoch}` });
  }
}
progress_bar.close();
await model.dispose();
