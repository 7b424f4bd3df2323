// `tokentag train` and `tokentag evaluate` end to end through main(), on a tiny synthetic dataset.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSyntheticConll } from '../src/data/synthetic-files.ts';
import { loadDataset, saveDataset } from '../src/data/load.ts';
import { CONLL2003_NER } from '../src/data/labels.ts';
import { runCli } from './helpers/cli.ts';

const root = fs.mkdtempSync(join(tmpdir(), 'tokentag-cli-train-'));
const data = join(root, 'data');
const model = join(root, 'model');
after(() => fs.rmSync(root, { recursive: true, force: true }));
before(async () => {
  await writeSyntheticConll(data, { train: 24, validation: 8, test: 8 });
});

const run = runCli;

const TINY = ['--model', 'bert-tiny', '--vocab-size', '150', '--batch-size', '4', '--epochs', '1'];

test('train: a tiny run saves the model with its tokenizer and prints the table and report', async () => {
  const r = await run('train', ...TINY, '--max-steps', '5', '--dataset', data, '--output-dir', model);
  assert.equal(r.code, 0, r.err);
  for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt']) {
    assert.ok(fs.existsSync(join(model, f)), f);
  }
  assert.match(r.out, /Epoch +\| Training Loss \| Validation Loss \| Precision \| Recall +\| F1 +\| Accuracy/);
  assert.match(r.out, /tokenizer: trained a cased WordPiece vocabulary on the training split/);
  assert.match(r.out, /model: bert-tiny .*from scratch/);
  assert.match(r.out, /TrainOutput\(global_step=5, /);
  assert.match(r.out, /micro avg/);
  assert.match(r.out, /saved the model to /);
  const config = JSON.parse(fs.readFileSync(join(model, 'config.json'), 'utf8'));
  assert.equal(config.hidden_size, 128);
  assert.equal(config.id2label['0'], 'O');
  assert.equal(config.label2id.O, 0);
  assert.equal(Object.keys(config.id2label).length, Object.keys(config.label2id).length);
  assert.ok(config.vocab_size <= 150);
  const checkpoint = fs.readdirSync(model).find((f) => f.startsWith('checkpoint-'))!;
  assert.ok(checkpoint);
  assert.equal(JSON.parse(fs.readFileSync(join(model, checkpoint, 'training_args.json'), 'utf8')).group_by_length, true, 'length-grouped by default');
});

test('train --no-group-by-length: plain shuffled batches', async () => {
  const out = join(root, 'shuffled');
  const r = await run('train', ...TINY, '--max-steps', '2', '--dataset', data, '--output-dir', out, '--no-group-by-length', '--eval-strategy', 'no');
  assert.equal(r.code, 0, r.err);
  const checkpoint = fs.readdirSync(out).find((f) => f.startsWith('checkpoint-'))!;
  assert.equal(JSON.parse(fs.readFileSync(join(out, checkpoint, 'training_args.json'), 'utf8')).group_by_length, false);
});

test('train --json: the summary and final metrics on stdout', async () => {
  const out = join(root, 'json');
  const r = await run('train', ...TINY, '--max-steps', '3', '--dataset', data, '--output-dir', out, '--json', '--save-strategy', 'no');
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.deepEqual(Object.keys(j).sort(), ['dataset', 'eval', 'from_scratch', 'label_column', 'labels', 'model', 'output_dir', 'split_sentences', 'test', 'train'].sort());
  assert.equal(j.train.global_step, 3);
  for (const k of ['train_runtime', 'train_samples_per_second', 'train_steps_per_second', 'train_loss', 'epoch']) assert.equal(typeof j.train[k], 'number', k);
  assert.equal(typeof j.eval.eval_f1, 'number');
  assert.equal(typeof j.test.overall_f1, 'number');
  assert.equal(j.from_scratch, true);
  assert.match(r.err, /Epoch +\| Training Loss/);
});

test('evaluate: report, --json, and long sentences split into windows', async () => {
  const r = await run('evaluate', '--model', model, '--dataset', data);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /precision +recall +f1-score +support/);
  assert.match(r.out, /accuracy: \d\.\d{4}/);
  assert.match(r.out, /8 sentences/);
  const j = await run('evaluate', '--model', model, '--dataset', data, '--split', 'validation', '--json');
  assert.equal(j.code, 0, j.err);
  const m = JSON.parse(j.out);
  for (const k of ['overall_precision', 'overall_recall', 'overall_f1', 'overall_accuracy']) assert.equal(typeof m[k], 'number', k);
  const w = await run('evaluate', '--model', model, '--dataset', data, '--max-length', '16');
  assert.equal(w.code, 0, w.err);
  assert.match(w.out, /long sentences split into windows \(\d+ windows\) and merged back/);
});

test('train --resume-from-checkpoint: continues from the newest checkpoint', async () => {
  const out = join(root, 'resume');
  const common = [...TINY, '--dataset', data, '--output-dir', out, '--save-strategy', 'steps', '--save-steps', '3', '--eval-strategy', 'no'];
  const a = await run('train', ...common, '--max-steps', '3');
  assert.equal(a.code, 0, a.err);
  assert.ok(fs.existsSync(join(out, 'checkpoint-3')));
  const b = await run('train', ...common, '--max-steps', '5', '--resume-from-checkpoint');
  assert.equal(b.code, 0, b.err);
  assert.match(b.out, /Resuming from .*checkpoint-3: step 3/);
  assert.match(b.out, /TrainOutput\(global_step=5, /);
  const c = await run('train', ...common, '--max-steps', '6', '--resume-from-checkpoint', join(out, 'checkpoint-5'));
  assert.equal(c.code, 0, c.err);
  assert.match(c.out, /Resuming from .*checkpoint-5: step 5/);
});

test('train: fine-tuning a saved model; a label-count mismatch needs --ignore-mismatched-sizes', async () => {
  const per = join(root, 'per');
  fs.mkdirSync(per);
  fs.writeFileSync(join(per, 'train.txt'), 'Maria B-PER\nChen I-PER\nspoke O\n.\tO\n\nHe O\nleft O\nAcme B-COMPANY\n\n');
  const bad = await run('train', '--model', model, '--dataset', join(per, 'train.txt'), '--output-dir', join(root, 'ft'), '--max-steps', '1');
  assert.equal(bad.code, 1);
  assert.match(bad.err, /--ignore-mismatched-sizes/);
  const ok = await run('train', '--model', model, '--dataset', join(per, 'train.txt'), '--output-dir', join(root, 'ft'), '--max-steps', '2', '--ignore-mismatched-sizes', '--json');
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.err, /labels: the dataset's ner_tags labels \(O, B-COMPANY, B-PER, I-PER\) differ from the model's .*: a new head .*3 labels keeping the model's weights by name, new: B-COMPANY/);
  const j = JSON.parse(ok.out);
  assert.equal(j.from_scratch, false);
  assert.deepEqual(j.labels, ['O', 'B-COMPANY', 'B-PER', 'I-PER']);
  const config = JSON.parse(fs.readFileSync(join(root, 'ft', 'config.json'), 'utf8'));
  assert.deepEqual(config.id2label, { 0: 'O', 1: 'B-COMPANY', 2: 'B-PER', 3: 'I-PER' });
});

test('bad input: clear messages, exit 1 (2 for usage)', async () => {
  const missing = await run('train', '--dataset', join(root, 'nope'));
  assert.equal(missing.code, 1);
  assert.match(missing.err, /no such file or directory/);
  // Not a preset, so a Hub id: offline with an empty cache, the error names the presets too (the test never reaches the Hub).
  process.env.HF_HUB_OFFLINE = '1';
  process.env.HF_HUB_CACHE = join(root, 'empty-hub-cache');
  let preset;
  try {
    preset = await run('train', '--model', 'bert-huge', '--dataset', data);
  } finally {
    delete process.env.HF_HUB_OFFLINE;
    delete process.env.HF_HUB_CACHE;
  }
  assert.equal(preset.code, 1);
  assert.match(preset.err, /bert-huge.*not a preset: bert-tiny, bert-mini, bert-small/);
  const column = await run('train', '--model', 'bert-tiny', '--dataset', data, '--label-column', 'pos_tags');
  assert.equal(column.code, 1);
  assert.match(column.err, /label column 'pos_tags'/);
  fs.mkdirSync(join(root, 'testonly'));
  fs.copyFileSync(join(data, 'test.txt'), join(root, 'testonly', 'test.txt'));
  const noTrain = await run('train', '--dataset', join(root, 'testonly'));
  assert.equal(noTrain.code, 1);
  assert.match(noTrain.err, /no train split/);
  const flag = await run('train', '--frobnicate');
  assert.equal(flag.code, 2);
  assert.match(flag.err, /Unknown option '--frobnicate'/);
  const num = await run('train', '--epochs', 'many');
  assert.equal(num.code, 2);
  assert.match(num.err, /--epochs expects a number/);
  const noModel = await run('evaluate', '--dataset', data);
  assert.equal(noModel.code, 2);
  const split = await run('evaluate', '--model', model, '--dataset', data, '--split', 'dev');
  assert.equal(split.code, 1);
  assert.match(split.err, /no dev split/);
  const both = await run('train', '--group-by-length', '--no-group-by-length', '--dataset', data);
  assert.equal(both.code, 2);
  assert.match(both.err, /--group-by-length and --no-group-by-length contradict each other/);
  const help = await run('train', '--help');
  assert.equal(help.code, 0);
  assert.match(help.out, /--resume-from-checkpoint/);
});

test('train: a directory with config.json but no weights trains from scratch with that config', async () => {
  const cfg = join(root, 'cfg');
  fs.mkdirSync(cfg);
  const config = JSON.parse(fs.readFileSync(join(model, 'config.json'), 'utf8'));
  fs.writeFileSync(join(cfg, 'config.json'), JSON.stringify({ ...config, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1 }));
  const out = join(root, 'cfg-out');
  const r = await run('train', '--model', cfg, '--dataset', data, '--output-dir', out, '--max-steps', '2', '--vocab-size', '120', '--batch-size', '4');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /config\.json without weights: training a bert from scratch with this config/);
  assert.match(r.out, /tokenizer: trained a cased WordPiece vocabulary/);
  const saved = JSON.parse(fs.readFileSync(join(out, 'config.json'), 'utf8'));
  assert.equal(saved.hidden_size, 32);
  assert.equal(saved.vocab_size, fs.readFileSync(join(out, 'vocab.txt'), 'utf8').trimEnd().split('\n').length);
});

test('train and evaluate read JSONL with integer tag ids (Dataset.to_json() output) given --labels', async () => {
  const jsonl = join(root, 'jsonl-ids');
  await saveDataset(await loadDataset(data, { labels: 'conll2003' }), jsonl, { format: 'jsonl' });
  assert.match(fs.readFileSync(join(jsonl, 'train.jsonl'), 'utf8'), /"ner_tags":\[\d/);
  const out = join(root, 'jsonl-run');
  const without = await run('train', ...TINY, '--max-steps', '1', '--dataset', jsonl, '--output-dir', out);
  assert.equal(without.code, 1);
  assert.match(without.err, /holds integer ids but no label names were given.*--labels/);
  const r = await run('train', ...TINY, '--max-steps', '2', '--dataset', jsonl, '--labels', 'conll2003', '--output-dir', out, '--json');
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(JSON.parse(r.out).labels, [...CONLL2003_NER]);
  const e = await run('evaluate', '--model', out, '--dataset', join(jsonl, 'test.jsonl'), '--labels', 'conll2003', '--json');
  assert.equal(e.code, 0, e.err);
  assert.equal(typeof JSON.parse(e.out).overall_f1, 'number');
  // A comma-separated list names the --label-column's labels.
  const list = await run('evaluate', '--model', out, '--dataset', join(jsonl, 'test.jsonl'), '--labels', CONLL2003_NER.join(','), '--json');
  assert.equal(list.code, 0, list.err);
  assert.deepEqual(JSON.parse(list.out), JSON.parse(e.out));
});

test('train accepts TrainingArguments names in both spellings, and run_ner.py arguments', async () => {
  const out = join(root, 'hf-names');
  const r = await run(
    'train', '--model_name_or_path', 'bert-tiny', '--vocab-size', '150', '--train_file', join(data, 'train.txt'), '--validation_file', join(data, 'validation.txt'),
    '--output_dir', out, '--num_train_epochs', '1', '--per_device_train_batch_size', '4', '--per-device-eval-batch-size', '8', '--learning_rate', '1e-3',
    '--max_steps', '3', '--lr_scheduler_type', 'constant', '--logging_steps', '1', '--seed', '7', '--do_train', '--do_eval', '--json',
  );
  assert.equal(r.code, 0, r.err);
  const args = JSON.parse(fs.readFileSync(join(out, 'checkpoint-3', 'training_args.json'), 'utf8'));
  assert.equal(args.per_device_train_batch_size, 4);
  assert.equal(args.per_device_eval_batch_size, 8);
  assert.equal(args.learning_rate, 1e-3);
  assert.equal(args.lr_scheduler_type, 'constant');
  assert.equal(args.seed, 7);
  assert.equal(args.max_steps, 3);
  assert.equal(args.logging_steps, 1);
  assert.equal(JSON.parse(r.out).test, null); // no test file given, no --do_predict
});

test('an unknown option suggests the closest one, on every command', async () => {
  const t = await run('train', '--num_train_epoch', '2');
  assert.equal(t.code, 2);
  assert.match(t.err, /Unknown option '--num_train_epoch'.*did you mean --num_train_epochs/);
  const e = await run('evaluate', '--modle', 'x');
  assert.equal(e.code, 2);
  assert.match(e.err, /Unknown option '--modle'.*did you mean --model/);
  const s = await run('score', '--gold', 'a', '--perd', 'b');
  assert.match(s.err, /Unknown option '--perd'.*did you mean --pred/);
  const p = await run('predict', '--model', 'x', '--agregation', 'simple', 'text');
  assert.match(p.err, /Unknown option '--agregation'.*did you mean --aggregation/);
  const fp16 = await run('train', '--fp16');
  assert.equal(fp16.code, 2);
  assert.match(fp16.err, /--fp16.*tokentag trains in float32/);
});

test('train reads a JSON arguments file as HfArgumentParser does; unknown keys are an error', async () => {
  const out = join(root, 'json-args');
  const file = join(root, 'args.json');
  fs.writeFileSync(file, JSON.stringify({
    model_name_or_path: 'bert-tiny', train_file: join(data, 'train.txt'), validation_file: join(data, 'validation.txt'), output_dir: out,
    per_device_train_batch_size: 4, max_steps: 2, vocab_size: 150, do_train: true, do_eval: true, load_best_model_at_end: true,
    metric_for_best_model: 'f1', eval_strategy: 'epoch', save_strategy: 'epoch',
  }));
  const r = await run('train', file);
  assert.equal(r.code, 0, r.err);
  const args = JSON.parse(fs.readFileSync(join(out, 'checkpoint-2', 'training_args.json'), 'utf8'));
  assert.equal(args.per_device_train_batch_size, 4);
  assert.equal(args.load_best_model_at_end, true);
  assert.equal(args.metric_for_best_model, 'f1');
  const bad = join(root, 'bad-args.json');
  fs.writeFileSync(bad, JSON.stringify({ output_dir: out, num_train_epoch: 2 }));
  const b = await run('train', bad);
  assert.equal(b.code, 2);
  assert.match(b.err, /bad-args\.json: unknown key "num_train_epoch".*did you mean num_train_epochs/);
  const typed = join(root, 'typed-args.json');
  fs.writeFileSync(typed, JSON.stringify({ output_dir: out, max_steps: 'many' }));
  const t = await run('train', typed);
  assert.equal(t.code, 2);
  assert.match(t.err, /typed-args\.json: max_steps expects a number/);
});

test('the output directory gets trainer_state.json and the *_results.json files, as run_ner.py writes them', async () => {
  const out = join(root, 'results');
  const r = await run('train', ...TINY, '--max-steps', '4', '--dataset', data, '--output-dir', out, '--eval-strategy', 'steps', '--eval-steps', '2',
    '--save-strategy', 'steps', '--save-steps', '2', '--load-best-model-at-end', '--metric-for-best-model', 'f1', '--logging-steps', '1');
  assert.equal(r.code, 0, r.err);
  const read = (f: string) => JSON.parse(fs.readFileSync(join(out, f), 'utf8'));
  const state = read('trainer_state.json');
  assert.equal(state.global_step, 4);
  assert.ok(Array.isArray(state.log_history) && state.log_history.some((x: Record<string, number>) => 'eval_f1' in x));
  assert.ok(state.log_history.some((x: Record<string, number>) => 'train_runtime' in x));
  assert.equal(typeof state.best_metric, 'number');
  assert.match(state.best_model_checkpoint, /checkpoint-[24]$/);
  const train = read('train_results.json');
  assert.deepEqual(Object.keys(train).sort(), ['epoch', 'total_flos', 'train_loss', 'train_runtime', 'train_samples', 'train_samples_per_second', 'train_steps_per_second']);
  assert.equal(train.train_samples, 24);
  const evalr = read('eval_results.json');
  assert.deepEqual(Object.keys(evalr).sort(), ['epoch', 'eval_accuracy', 'eval_f1', 'eval_loss', 'eval_precision', 'eval_recall', 'eval_runtime', 'eval_samples', 'eval_samples_per_second', 'eval_steps_per_second']);
  assert.equal(evalr.eval_samples, 8);
  const predict = read('predict_results.json');
  assert.deepEqual(Object.keys(predict).sort(), ['predict_accuracy', 'predict_f1', 'predict_loss', 'predict_precision', 'predict_recall', 'predict_runtime', 'predict_samples_per_second', 'predict_steps_per_second']);
  const all = read('all_results.json');
  assert.deepEqual(all, { ...train, ...evalr, ...predict });
  // Keys sorted, indent 4, as Trainer.save_metrics writes them.
  assert.equal(fs.readFileSync(join(out, 'all_results.json'), 'utf8'), JSON.stringify(Object.fromEntries(Object.entries(all).sort(([a], [b]) => (a < b ? -1 : 1))), null, 4));
  // predictions.txt: one line of word-level labels per test sentence.
  assert.equal(fs.readFileSync(join(out, 'predictions.txt'), 'utf8').trimEnd().split('\n').length, 8);
});
