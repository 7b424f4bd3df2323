/**
 * The course's first program (chapter 7, section 2): "Defining the model" and "Fine-tuning the
 * model with the Trainer API", cell by cell after the data cells in data.ts. Python lines are
 * the comments; see docs/course.md.
 *
 *   node --import tsx examples/course/trainer.ts            # bert-base-cased on conll2003, from the Hub
 *   COURSE_DATASET=… COURSE_MODEL=… COURSE_LEARNING_RATE=1e-3 node --import tsx examples/course/trainer.ts   # offline.ts's
 *
 * COURSE_OUTPUT_DIR replaces the output directory; PUSH_TO_HUB=1 pushes to the Hub as the
 * chapter does (it needs a write token: HF_TOKEN or `hf auth login`).
 */
import { AutoModelForTokenClassification, Trainer, TrainingArguments } from 'tokentag';
import { compute_metrics, data_collator, id2label, label2id, model_checkpoint, tokenized_datasets, tokenizer } from './data.ts';

const show = process.env.COURSE_QUIET !== '1' ? console.log : () => {};
const output_dir = process.env.COURSE_OUTPUT_DIR ?? 'bert-finetuned-ner';
const push_to_hub = process.env.PUSH_TO_HUB === '1';
// The chapter fine-tunes pre-trained BERT at 2e-5; offline.ts's tiny model starts from random
// weights and needs more (the test suite passes 1e-3).
const learning_rate = Number(process.env.COURSE_LEARNING_RATE ?? 2e-5);

// from transformers import AutoModelForTokenClassification
//
// model = AutoModelForTokenClassification.from_pretrained(
//     model_checkpoint,
//     id2label=id2label,
//     label2id=label2id,
// )
export const model = await AutoModelForTokenClassification.from_pretrained(model_checkpoint, {
  id2label: id2label,
  label2id: label2id,
});
// ("Some weights … are newly initialized": Python warns; here the model says which.)
show(`newly initialized: ${model.report?.newlyInitialized.join(', ')}`);

// model.config.num_labels
// (config.json stores no num_labels: it is the length of id2label, which `model.num_labels` gives.)
show(model.num_labels);

// from huggingface_hub import notebook_login
//
// notebook_login()
// (In a terminal: `hf auth login`, or HF_TOKEN; only pushing needs it.)

// from transformers import TrainingArguments
//
// args = TrainingArguments(
//     "bert-finetuned-ner",
//     evaluation_strategy="epoch",
//     save_strategy="epoch",
//     learning_rate=2e-5,
//     num_train_epochs=3,
//     weight_decay=0.01,
//     push_to_hub=True,
// )
// (transformers 4.46 renamed evaluation_strategy to eval_strategy, as the course now writes it.)
export const args = new TrainingArguments(output_dir, {
  eval_strategy: 'epoch',
  save_strategy: 'epoch',
  learning_rate: learning_rate,
  num_train_epochs: 3,
  weight_decay: 0.01,
  push_to_hub: push_to_hub,
});

// from transformers import Trainer
//
// trainer = Trainer(
//     model=model,
//     args=args,
//     train_dataset=tokenized_datasets["train"],
//     eval_dataset=tokenized_datasets["validation"],
//     data_collator=data_collator,
//     compute_metrics=compute_metrics,
//     processing_class=tokenizer,
// )
// trainer.train()
export const trainer = new Trainer({
  model: model,
  args: args,
  train_dataset: tokenized_datasets['train'],
  eval_dataset: tokenized_datasets['validation'],
  data_collator: data_collator,
  compute_metrics: compute_metrics,
  processing_class: tokenizer,
});
export const train_output = await trainer.train();

// trainer.push_to_hub(commit_message="Training complete")
// (Without PUSH_TO_HUB=1 the model is saved in output_dir only: the same files, not uploaded.)
if (args.pushToHub) show((await trainer.push_to_hub({ commit_message: 'Training complete' })).url);
else await trainer.save_model(output_dir);
await trainer.dispose();
