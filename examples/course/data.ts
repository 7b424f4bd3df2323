/**
 * The Hugging Face course, chapter 7, section 2 ("Token classification"), in TypeScript: the
 * cells of "Preparing the data", "Data collation" and "Metrics", each Python line as a comment
 * above its TypeScript twin. trainer.ts (the Trainer), custom-loop.ts (the custom training loop)
 * and pipeline.ts (using the fine-tuned model) import what these cells define, as the chapter's
 * later cells use the earlier ones. See docs/course.md.
 *
 * Where the chapter downloads `conll2003` and `bert-base-cased` from the Hub, so does this file;
 * COURSE_DATASET and COURSE_MODEL give local paths instead (offline.ts makes a small corpus and a
 * tiny model for a machine without network; the test suite uses them).
 *
 * What TypeScript says differently, everywhere below:
 * - no keyword arguments: `f(x, a=1, b=2)` is `f(x, { a: 1, b: 2 })`, with Python's option names;
 * - no `d["key"]` on objects that are not records, and no `ds[0]`: a split is `raw_datasets.train`
 *   (or `raw_datasets['train']`), a row `ds.get(0)`;
 * - loading, tokenizing and running a model are asynchronous: `await`.
 */
import { AutoTokenizer, DataCollatorForTokenClassification, evaluate, load_dataset, type Batch, type EvalPrediction, type TaggedRow } from 'tokentag';

// The Hub names the chapter uses; local paths when given (see above).
export const dataset_name = process.env.COURSE_DATASET ?? 'conll2003';
export const model_checkpoint = process.env.COURSE_MODEL ?? 'bert-base-cased';
/** Print the cells' outputs (the test suite turns it off). */
const show = process.env.COURSE_QUIET !== '1' ? console.log : () => {};

// ---- The CoNLL-2003 dataset ------------------------------------------------------------------

// from datasets import load_dataset
// raw_datasets = load_dataset("conll2003")
export const raw_datasets = await load_dataset(dataset_name);

// raw_datasets
show(raw_datasets.names.map((split) => `${split}: ${raw_datasets.get(split).length} rows, columns ${raw_datasets.get(split).columnNames.join(', ')}`));

// raw_datasets["train"][0]["tokens"]
show(raw_datasets['train'].get(0).tokens);

// raw_datasets["train"][0]["ner_tags"]
show(raw_datasets['train'].get(0)['ner_tags']);

// ner_feature = raw_datasets["train"].features["ner_tags"]
// ner_feature
const ner_feature = raw_datasets['train'].features['ner_tags'];
show(ner_feature);

// label_names = ner_feature.feature.names
// label_names
export const label_names = ner_feature.feature.names;
show(label_names);

// words = raw_datasets["train"][0]["tokens"]
// labels = raw_datasets["train"][0]["ner_tags"]
// line1 = ""
// line2 = ""
// for word, label in zip(words, labels):
//     full_label = label_names[label]
//     max_length = max(len(word), len(full_label))
//     line1 += word + " " * (max_length - len(word) + 1)
//     line2 += full_label + " " * (max_length - len(full_label) + 1)
//
// print(line1)
// print(line2)
{
  const words = raw_datasets['train'].get(0).tokens;
  const labels = raw_datasets['train'].get(0)['ner_tags'];
  let line1 = '';
  let line2 = '';
  words.forEach((word, i) => {
    const full_label = label_names[labels[i]];
    const max_length = Math.max(word.length, full_label.length);
    line1 += word + ' '.repeat(max_length - word.length + 1);
    line2 += full_label + ' '.repeat(max_length - full_label.length + 1);
  });
  show(line1);
  show(line2);
}

// ---- Processing the data ---------------------------------------------------------------------

// from transformers import AutoTokenizer
//
// model_checkpoint = "bert-base-cased"
// tokenizer = AutoTokenizer.from_pretrained(model_checkpoint)
export const tokenizer = await AutoTokenizer.from_pretrained(model_checkpoint);

// tokenizer.is_fast
show(tokenizer.is_fast);

// inputs = tokenizer(raw_datasets["train"][0]["tokens"], is_split_into_words=True)
// inputs.tokens()
const inputs = await tokenizer(raw_datasets['train'].get(0).tokens, { is_split_into_words: true });
show(inputs.tokens());

// inputs.word_ids()
show(inputs.word_ids());

// def align_labels_with_tokens(labels, word_ids):
export function align_labels_with_tokens(labels: readonly number[], word_ids: readonly (number | null)[]): number[] {
  //     new_labels = []
  //     current_word = None
  const new_labels: number[] = [];
  let current_word: number | null = null;
  //     for word_id in word_ids:
  for (const word_id of word_ids) {
    //         if word_id != current_word:
    //             # Start of a new word!
    //             current_word = word_id
    //             label = -100 if word_id is None else labels[word_id]
    //             new_labels.append(label)
    if (word_id !== current_word) {
      current_word = word_id;
      const label = word_id === null ? -100 : labels[word_id];
      new_labels.push(label);
      //         elif word_id is None:
      //             # Special token
      //             new_labels.append(-100)
    } else if (word_id === null) {
      new_labels.push(-100);
      //         else:
      //             # Same word as previous token
      //             label = labels[word_id]
      //             # If the label is B-XXX we change it to I-XXX
      //             if label % 2 == 1:
      //                 label += 1
      //             new_labels.append(label)
    } else {
      let label = labels[word_id];
      if (label % 2 === 1) label += 1;
      new_labels.push(label);
    }
  }
  //     return new_labels
  return new_labels;
}

// labels = raw_datasets["train"][0]["ner_tags"]
// word_ids = inputs.word_ids()
// print(labels)
// print(align_labels_with_tokens(labels, word_ids))
{
  const labels = raw_datasets['train'].get(0)['ner_tags'];
  const word_ids = inputs.word_ids();
  show(labels);
  show(align_labels_with_tokens(labels, word_ids));
}

// def tokenize_and_align_labels(examples):
//     tokenized_inputs = tokenizer(
//         examples["tokens"], truncation=True, is_split_into_words=True
//     )
//     all_labels = examples["ner_tags"]
//     new_labels = []
//     for i, labels in enumerate(all_labels):
//         word_ids = tokenized_inputs.word_ids(i)
//         new_labels.append(align_labels_with_tokens(labels, word_ids))
//
//     tokenized_inputs["labels"] = new_labels
//     return tokenized_inputs
// (TypeScript wants the parameter's type: a `Batch` of the dataset's rows is column-oriented,
// `examples.tokens` holding the batch's sentences; the function is `async`: tokenizing is.)
export async function tokenize_and_align_labels(examples: Batch<TaggedRow>) {
  const tokenized_inputs = await tokenizer(examples.tokens, { truncation: true, is_split_into_words: true });
  const all_labels = examples['ner_tags'];
  const new_labels: number[][] = [];
  all_labels.forEach((labels, i) => {
    const word_ids = tokenized_inputs.word_ids(i);
    new_labels.push(align_labels_with_tokens(labels, word_ids));
  });
  tokenized_inputs.labels = new_labels;
  return tokenized_inputs;
}

// tokenized_datasets = raw_datasets.map(
//     tokenize_and_align_labels,
//     batched=True,
//     remove_columns=raw_datasets["train"].column_names,
// )
export const tokenized_datasets = await raw_datasets.map(tokenize_and_align_labels, {
  batched: true,
  remove_columns: raw_datasets['train'].columnNames,
});

// ---- Data collation --------------------------------------------------------------------------

// from transformers import DataCollatorForTokenClassification
//
// data_collator = DataCollatorForTokenClassification(tokenizer=tokenizer)
// (A class is made with `new`.)
export const data_collator = new DataCollatorForTokenClassification({ tokenizer });

// batch = data_collator([tokenized_datasets["train"][i] for i in range(2)])
// batch["labels"]
{
  const batch = data_collator([0, 1].map((i) => tokenized_datasets['train'].get(i)));
  show(batch.labels!.tolist());

  // for i in range(2):
  //     print(tokenized_datasets["train"][i]["labels"])
  for (const i of [0, 1]) show(tokenized_datasets['train'].get(i)['labels']);
}

// ---- Metrics ---------------------------------------------------------------------------------

// import evaluate
//
// metric = evaluate.load("seqeval")
export const metric = evaluate.load('seqeval');

// labels = raw_datasets["train"][0]["ner_tags"]
// labels = [label_names[i] for i in labels]
// labels
{
  const labels = raw_datasets['train'].get(0)['ner_tags'].map((i) => label_names[i]);
  show(labels);

  // predictions = labels.copy()
  // predictions[2] = "O"
  // metric.compute(predictions=[predictions], references=[labels])
  const predictions = [...labels];
  predictions[2] = 'O';
  show(metric.compute({ predictions: [predictions], references: [labels] }));
}

// import numpy as np
//
// def compute_metrics(eval_preds):
export function compute_metrics(eval_preds: EvalPrediction) {
  //     logits, labels = eval_preds
  //     predictions = np.argmax(logits, axis=-1)
  // (Tensors are not nested lists: `tolist()` makes them so, as numpy arrays iterate in Python.)
  const [logits, labels] = eval_preds;
  const predictions = logits.argmax(-1).tolist();
  const label_rows = labels.tolist();

  //     # Remove ignored index (special tokens) and convert to labels
  //     true_labels = [[label_names[l] for l in label if l != -100] for label in labels]
  //     true_predictions = [
  //         [label_names[p] for (p, l) in zip(prediction, label) if l != -100]
  //         for prediction, label in zip(predictions, labels)
  //     ]
  const true_labels = label_rows.map((label) => label.filter((l) => l !== -100).map((l) => label_names[l]));
  const true_predictions = predictions.map((prediction, i) => prediction.filter((_, j) => label_rows[i][j] !== -100).map((p) => label_names[p]));
  //     all_metrics = metric.compute(predictions=true_predictions, references=true_labels)
  //     return {
  //         "precision": all_metrics["overall_precision"],
  //         "recall": all_metrics["overall_recall"],
  //         "f1": all_metrics["overall_f1"],
  //         "accuracy": all_metrics["overall_accuracy"],
  //     }
  const all_metrics = metric.compute({ predictions: true_predictions, references: true_labels });
  return {
    precision: all_metrics['overall_precision'],
    recall: all_metrics['overall_recall'],
    f1: all_metrics['overall_f1'],
    accuracy: all_metrics['overall_accuracy'],
  };
}

// ---- Defining the model: the label dictionaries --------------------------------------------

// id2label = {i: label for i, label in enumerate(label_names)}
// label2id = {v: k for k, v in id2label.items()}
export const id2label = Object.fromEntries(label_names.map((label, i) => [i, label]));
export const label2id = Object.fromEntries(Object.entries(id2label).map(([k, v]) => [v, Number(k)]));
