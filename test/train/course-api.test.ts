/**
 * The course's API over the one Trainer and engine: a Trainer on tokenized datasets with a data
 * collator and compute_metrics, the custom loop's pieces (DataLoader, AdamW, get_scheduler)
 * reaching the Trainer's very weights, TrainingArguments in Python's spelling, and the misuse
 * errors.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { makeOfflineCourse } from '../../examples/course/offline.ts';
import { loadDataset } from '../../src/data/load.ts';
import { TokentagError } from '../../src/errors.ts';
import { AutoModelForTokenClassification } from '../../src/models/auto-model.ts';
import { AutoTokenizer, type PreTrainedTokenizer } from '../../src/tokenize/auto.ts';
import { alignLabels } from '../../src/tokenize/align.ts';
import {
  AdamW,
  DataCollatorForTokenClassification,
  DataLoader,
  get_scheduler,
  Trainer,
  TrainingArguments,
  type EvalPrediction,
  type TokenClassificationRow,
} from '../../src/train/index.ts';
import type { Dataset } from '../../src/data/dataset.ts';

let dir = '';
let checkpoint = '';
let tokenizer: PreTrainedTokenizer;
let train: Dataset<TokenClassificationRow>;
let validation: Dataset<TokenClassificationRow>;
let label_names: readonly string[];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tokentag-course-api-'));
  const made = await makeOfflineCourse(dir, { train: 40, validation: 12, test: 4 });
  checkpoint = made.checkpoint;
  tokenizer = await AutoTokenizer.from_pretrained(checkpoint);
  const raw = await loadDataset(made.dataset);
  label_names = raw.get('train').features['ner_tags'].feature.names;
  const tokenized = await raw.map(
    async (examples) => {
      const enc = await tokenizer(examples.tokens, { is_split_into_words: true });
      enc.labels = examples['ner_tags'].map((tags, i) => alignLabels({ wordIds: enc.word_ids(i) }, tags, label_names, { strategy: 'all' }));
      return enc;
    },
    { batched: true, remove_columns: raw.get('train').columnNames },
  );
  train = tokenized.get('train');
  validation = tokenized.get('validation');
});
after(() => rmSync(dir, { recursive: true, force: true }));

const model = () => AutoModelForTokenClassification.from_pretrained(checkpoint, { id2label: label_names, seed: 3 });

test('TrainingArguments: Python names or camelCase, defaults filled in, misspellings named', () => {
  const args = new TrainingArguments('out', { eval_strategy: 'epoch', learning_rate: 2e-5, num_train_epochs: 3, weight_decay: 0.01, per_device_train_batch_size: 16, adam_beta1: 0.8 });
  assert.equal(args.outputDir, 'out');
  assert.equal(args.evalStrategy, 'epoch');
  assert.equal(args.perDeviceTrainBatchSize, 16);
  assert.equal(args.adamBeta1, 0.8);
  assert.equal(args.saveStrategy, 'steps', "Hugging Face's default");
  assert.ok(Object.isFrozen(args));
  assert.equal(new TrainingArguments('out', { numTrainEpochs: 2 }).numTrainEpochs, 2);
  assert.throws(() => new TrainingArguments('out', { evaluation_strategy: 'epoch' } as never), /unknown option "evaluation_strategy": it was renamed eval_strategy/);
  assert.throws(() => new TrainingArguments('out', { fp16: true } as never), /"fp16": mixed precision is not supported/);
  assert.throws(() => new TrainingArguments('out', { learning_rate: 1e-3, learningRate: 2e-3 }), /learning_rate is given twice/);
  assert.throws(() => new TrainingArguments('out', { eval_strategy: 'daily' as 'epoch' }), /evalStrategy must be one of no, steps, epoch/);
});

test('Trainer on datasets: compute_metrics gets [logits, labels] of the whole eval set, padded with -100; its keys become eval_ metrics and table columns', async () => {
  const seen: EvalPrediction[] = [];
  const trainer = new Trainer({
    model: await model(),
    args: new TrainingArguments(join(dir, 'metrics'), { eval_strategy: 'epoch', save_strategy: 'no', num_train_epochs: 1, learning_rate: 2e-3 }),
    train_dataset: train,
    eval_dataset: validation,
    data_collator: new DataCollatorForTokenClassification({ tokenizer }),
    processing_class: tokenizer,
    compute_metrics: (p) => {
      seen.push(p);
      const [logits, labels] = p;
      assert.equal(logits, p.predictions);
      assert.equal(labels, p.label_ids);
      const rows = labels.tolist();
      const predictions = logits.argmax(-1).tolist();
      let right = 0;
      let all = 0;
      rows.forEach((r, i) => r.forEach((l, j) => {
        if (l === -100) return;
        all++;
        if (predictions[i][j] === l) right++;
      }));
      return { token_accuracy: right / all, overall_f1: 0.5 };
    },
    output: null,
  });
  await trainer.train();
  assert.equal(seen.length, 1);
  const [logits, labels] = seen[0];
  const longest = Math.max(...Array.from({ length: validation.length }, (_, i) => validation.get(i).input_ids.length));
  assert.deepEqual(logits.shape, [12, longest, 9]);
  assert.deepEqual(labels.shape, [12, longest]);
  const rows = labels.tolist();
  for (let i = 0; i < 12; i++) {
    const row = validation.get(i);
    assert.deepEqual(rows[i].slice(0, row.input_ids.length), row.labels, `example ${i} in order`);
    assert.ok(rows[i].slice(row.input_ids.length).every((l) => l === -100), `example ${i} padded with -100`);
  }
  const record = trainer.logHistory.find((r) => r.eval_token_accuracy !== undefined)!;
  assert.ok(record.eval_token_accuracy > 0 && record.eval_loss > 0 && record.eval_overall_f1 === 0.5);
  assert.match(trainer.logTable(), /^Epoch {4}\| Training Loss \| Validation Loss \| Token Accuracy \| Overall F1$/m);
  await trainer.dispose();
});

test('the custom loop (DataLoader, AdamW, get_scheduler) reaches the weights the Trainer reaches: one engine underneath', async () => {
  const data_collator = new DataCollatorForTokenClassification({ tokenizer });
  const common = { learning_rate: 3e-3, weight_decay: 0, max_grad_norm: 0, per_device_train_batch_size: 8, num_train_epochs: 2, group_by_length: false, seed: 42 };
  const viaTrainer = await model();
  const trainer = new Trainer({
    model: viaTrainer,
    args: new TrainingArguments(join(dir, 'same'), { ...common, save_strategy: 'no', logging_steps: 100 }),
    train_dataset: train,
    data_collator,
    output: null,
  });
  await trainer.train();
  await trainer.dispose();

  const byHand = await model();
  const train_dataloader = new DataLoader(train, { shuffle: true, collate_fn: data_collator, batch_size: 8, seed: 42 });
  const optimizer = new AdamW(byHand.parameters(), { lr: common.learning_rate, weight_decay: 0 });
  const num_training_steps = common.num_train_epochs * train_dataloader.length;
  const lr_scheduler = get_scheduler('linear', { optimizer, num_warmup_steps: 0, num_training_steps });
  const lrs: number[] = [];
  for (let epoch = 0; epoch < common.num_train_epochs; epoch++) {
    for (const batch of train_dataloader) {
      lrs.push(optimizer.lr);
      await optimizer.step(batch);
      lr_scheduler.step();
    }
  }
  assert.equal(lrs.length, 10);
  assert.deepEqual(lrs.slice(0, 3), [3e-3, 3e-3 * 0.9, 3e-3 * 0.8], 'linear from the base rate, as LambdaLR steps it');
  assert.equal(lr_scheduler.get_last_lr()[0], 0);
  for (const [name, t] of viaTrainer.params) {
    assert.deepEqual(byHand.params.get(name)!.data, t.data, `${name}: the same bits`);
  }
  await byHand.dispose();
});

test("misuse of the Trainer is a clear error: another collator, labels that are not the model's, no labels, compute_metrics without an eval_dataset", async () => {
  const m = await model();
  const base = { model: m, args: new TrainingArguments(join(dir, 'bad'), { save_strategy: 'no' }), train_dataset: train, output: null };
  const fails = (o: object, re: RegExp) => assert.throws(() => new Trainer({ ...base, ...o }), (e: unknown) => e instanceof TokentagError && re.test(e.message));
  fails({ data_collator: (rows: unknown[]) => rows }, /data_collator must be a DataCollatorForTokenClassification: token labels have to be padded with -100/);
  const shifted = train.map((r) => ({ labels: r.labels!.map((l) => (l === -100 ? l : l + 5)) }));
  fails({ train_dataset: shifted }, /train_dataset row \d+: label (9|1[0-3]) at token \d+ is not one of the model's 9 label ids \(0\.\.8\) or -100/);
  fails({ train_dataset: train.map(({ labels: _, ...rest }) => rest, { remove_columns: ['labels'] }) }, /train_dataset row 0 has no labels column; align the labels to the tokens first/);
  fails({ compute_metrics: () => ({}) }, /compute_metrics scores the eval_dataset: give the Trainer an eval_dataset too/);
  fails({ args: new TrainingArguments(join(dir, 'bad'), { eval_strategy: 'epoch' }) }, /needs an evaluation set \(eval_dataset\)/);
  fails({ trainFeatures: [] }, /train_dataset or trainFeatures, not both/);
  const long = train.map((r) => ({ input_ids: [...r.input_ids, ...new Array(80).fill(5)], labels: [...r.labels!, ...new Array(80).fill(-100)], attention_mask: undefined, token_type_ids: undefined }), { remove_columns: ['attention_mask', 'token_type_ids'] });
  fails({ train_dataset: long }, /train_dataset row 0 has \d+ tokens, more than the model's 64 positions; tokenize with truncation: true/);
});
