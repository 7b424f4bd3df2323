import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { Rng } from '../../src/data/rng.ts';
import { type TensorBatch, TrainingSession } from '../../src/engine/runtime.ts';
import { architectureFor } from '../../src/models/index.ts';
import { batches, type EncodedFeature } from '../../src/train/batching.ts';
import { readCheckpoint } from '../../src/train/checkpoint.ts';
import { MemoryCheckpointStore } from '../../src/train/checkpoint-store.ts';
import { type EvalFeature, evaluateModel } from '../../src/train/evaluate.ts';
import { ProgressBar } from '../../src/train/progress.ts';
import { LrSchedule } from '../../src/train/schedule.ts';
import { Trainer, TrainingStoppedError } from '../../src/train/trainer.ts';
import { tinyBertConfig } from './tiny-bert.ts';

const LABELS = ['O', 'B-PER', 'I-PER'];
const config = tinyBertConfig(LABELS);
const arch = architectureFor(config);

/**
 * Sentences of 2–7 words; a word's label follows from its first token id (5–19 O, 20–34 B-PER,
 * 35–49 I-PER); a third of the words get a continuation sub-token (id 4, label -100).
 * [CLS] = 2 and [SEP] = 3 carry -100.
 */
function makeData(n: number, seed: number): EvalFeature[] {
  const rng = new Rng(seed);
  const out: EvalFeature[] = [];
  for (let s = 0; s < n; s++) {
    const ids = [2];
    const labels = [-100];
    const wordTokenIndex: number[] = [];
    const wordLabels: number[] = [];
    const words = 2 + rng.nextInt(6);
    for (let w = 0; w < words; w++) {
      const label = rng.nextInt(3);
      wordTokenIndex.push(ids.length);
      wordLabels.push(label);
      ids.push(5 + 15 * label + rng.nextInt(15));
      labels.push(label);
      if (rng.nextInt(3) === 0) {
        ids.push(4);
        labels.push(-100);
      }
    }
    ids.push(3);
    labels.push(-100);
    out.push({ feature: { inputIds: ids, labels }, wordTokenIndex, wordLabels });
  }
  return out;
}

const trainData = makeData(40, 1); // 5 batches of 8
const evalData = makeData(12, 2);
const trainFeatures: EncodedFeature[] = trainData.map((d) => d.feature);

const dirs: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tokentag-trainer-'));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
const sink = () => {
  const chunks: string[] = [];
  return { chunks, stream: { write: (c: string) => chunks.push(c), isTTY: false } };
};
const same = (a: Map<string, { data: Float32Array | ArrayLike<number> }>, b: Map<string, { data: Float32Array | ArrayLike<number> }>) => {
  assert.deepEqual([...a.keys()], [...b.keys()]);
  for (const [k, t] of a) assert.deepEqual(Buffer.from((t.data as Float32Array).buffer), Buffer.from((b.get(k)!.data as Float32Array).buffer), `weights of ${k} differ`);
};

test('a short run lowers the loss, evaluates per epoch on the word level, prints the table and returns TrainOutput', async () => {
  const dir = tmp();
  const out = sink();
  const trainer = new Trainer({
    model: { config, params: arch.init(config, 7) },
    args: { outputDir: dir, learningRate: 5e-3, numTrainEpochs: 3, loggingSteps: 4, evalStrategy: 'epoch', saveStrategy: 'no', threads: 1 },
    trainFeatures,
    evalFeatures: evalData,
    output: out.stream,
  });
  const result = await trainer.train();
  assert.equal(result.globalStep, 15);
  assert.equal(result.interrupted, false);
  assert.deepEqual(Object.keys(result.metrics).sort(), ['epoch', 'total_flos', 'train_loss', 'train_runtime', 'train_samples_per_second', 'train_steps_per_second', 'train_tokens_per_second']);
  // Hugging Face's estimate: 6 × padded input tokens × parameters outside the embedding tables.
  let padded = 0;
  for (let epoch = 0; epoch < 3; epoch++) {
    for (const b of batches(trainFeatures, { batchSize: 8, shuffle: true, seed: 42, epoch, groupByLength: trainer.args.groupByLength })) padded += b.tensors.input_ids.data.length;
  }
  const params = arch.init(config, 7);
  const nonEmbedding = [...params].filter(([n]) => !/embeddings\.(word|position|token_type)_embeddings\.weight$/.test(n)).reduce((s, [, t]) => s + t.data.length, 0);
  assert.ok(nonEmbedding > 0 && nonEmbedding < [...params.values()].reduce((s, t) => s + t.data.length, 0));
  assert.equal(result.metrics.total_flos, 6 * padded * nonEmbedding);
  assert.equal(result.metrics.epoch, 3);
  assert.ok(result.metrics.train_tokens_per_second > result.metrics.train_samples_per_second);

  const evals = trainer.logHistory.filter((r) => 'eval_loss' in r);
  assert.equal(evals.length, 3);
  for (const e of evals) for (const k of ['eval_loss', 'eval_precision', 'eval_recall', 'eval_f1', 'eval_accuracy', 'eval_runtime', 'epoch', 'step']) assert.equal(typeof e[k], 'number', k);
  assert.deepEqual(evals.map((e) => e.step), [5, 10, 15]);
  assert.ok(evals[2].eval_loss < evals[0].eval_loss, `eval loss ${evals[0].eval_loss} → ${evals[2].eval_loss}`);
  const logs = trainer.logHistory.filter((r) => 'loss' in r);
  assert.deepEqual(logs.map((r) => r.step), [4, 8, 12]);
  assert.ok(logs[2].loss < logs[0].loss);
  // learning_rate logged after step k is base · f(k) (HF's get_last_lr): linear over 15 steps.
  assert.equal(logs[0].learning_rate, 5e-3 * (11 / 15));
  assert.equal(trainer.logHistory.at(-1)!.train_loss, result.trainingLoss);

  const text = out.chunks.join('');
  const header = text.split('\n').find((l) => l.startsWith('Epoch'))!;
  assert.deepEqual(header.split('|').map((c) => c.trim()), ['Epoch', 'Training Loss', 'Validation Loss', 'Precision', 'Recall', 'F1', 'Accuracy']);
  assert.deepEqual(trainer.tableRows.map((r) => r[0]), ['1', '2', '3']);
  assert.equal(trainer.tableRows[0][1], logs[0].loss.toFixed(6)); // the last loss logged so far
  assert.match(text, /\{'loss': [0-9.]+, 'grad_norm': /);
  await trainer.dispose();
});

test('gradient accumulation with a short last window equals a custom loop over the public building blocks', async () => {
  // 40 features / batch 8 = 5 micro-batches per epoch; accumulation 2 → steps of 2, 2, 1 batches.
  const dir = tmp();
  const trainer = new Trainer({
    model: { config, params: arch.init(config, 7) },
    args: { outputDir: dir, learningRate: 5e-3, numTrainEpochs: 2, gradientAccumulationSteps: 2, evalStrategy: 'epoch', saveStrategy: 'no', threads: 1 },
    trainFeatures,
    evalFeatures: evalData,
    output: null,
  });
  const result = await trainer.train();
  assert.equal(result.globalStep, 6);
  assert.deepEqual(trainer.tableRows.map((r) => r[1]), ['No log', 'No log']); // loggingSteps 500 > 6 steps
  const fromTrainer = await trainer.weights();
  await trainer.dispose();

  const session = await TrainingSession.create({ params: arch.init(config, 7), model: arch.modelFn(config, { tokenTypeIds: false }), accumulationSteps: 2, seed: 42, threads: 1 });
  const schedule = new LrSchedule({ type: 'linear', baseLr: 5e-3, totalSteps: 6 });
  let step = 0;
  const sizes: number[] = [];
  // The Trainer groups batches by length by default (a deliberate difference from Hugging Face).
  for (let epoch = 0; epoch < 2; epoch++) {
    const all = [...batches(trainFeatures, { batchSize: 8, shuffle: true, groupByLength: true, seed: 42, epoch })].map((b): TensorBatch => ({ ...b.tensors }));
    for (let i = 0; i < all.length; i += 2) {
      const window = all.slice(i, i + 2);
      sizes.push(window.length);
      await session.step(window, { lr: schedule.lrAt(++step) });
    }
  }
  assert.deepEqual(sizes, [2, 2, 1, 2, 2, 1]);
  same(fromTrainer, session.state().params);
  await session.dispose();
});

test('maxSteps stops early; saveStrategy "steps" saves a checkpoint at the end', async () => {
  const dir = tmp();
  const trainer = new Trainer({
    model: { config, params: arch.init(config, 7) },
    args: { outputDir: dir, learningRate: 5e-3, maxSteps: 4, threads: 1 },
    trainFeatures,
    output: null,
  });
  const r = await trainer.train();
  assert.equal(r.globalStep, 4);
  assert.equal(r.metrics.epoch, 0.8);
  assert.deepEqual(fs.readdirSync(dir), ['checkpoint-4']);
  assert.equal(r.lastCheckpoint, path.join(dir, 'checkpoint-4'));
  await trainer.dispose();
});

test('a diverged step stops the run with a clear error naming the step and the last good checkpoint, which stays intact', async () => {
  const dir = tmp();
  // Step 1 runs with lr 0 (warm-up), step 2 with 1e37 (weights ±7e36), step 3's forward overflows.
  // (With 1e38 the float32 step size −lr/(1 − β1) itself overflows, as in PyTorch, and step 2 is already infinite.)
  const trainer = new Trainer({
    model: { config, params: arch.init(config, 7) },
    args: { outputDir: dir, learningRate: 1e37, lrSchedulerType: 'constant_with_warmup', warmupSteps: 1, saveSteps: 1, maxSteps: 10, threads: 1 },
    trainFeatures,
    output: null,
  });
  const before = fs.readdirSync(dir);
  const err = await trainer.train().then(
    () => assert.fail('expected the run to stop'),
    (e: unknown) => e,
  );
  assert.deepEqual(before, []);
  assert.ok(err instanceof TrainingStoppedError, String(err));
  assert.equal(err.step, 3);
  const last = path.join(dir, 'checkpoint-2');
  assert.equal(err.lastCheckpoint, last);
  assert.match(err.message, /training stopped: the (loss|gradient norm) is (NaN|Infinity) at step 3/);
  assert.ok(err.message.includes(`The last good checkpoint is ${last}`), err.message);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['checkpoint-1', 'checkpoint-2']); // nothing new, no temp dirs
  const ck = readCheckpoint(last);
  assert.equal(ck.trainerState.global_step, 2);
  for (const t of ck.state.params.values()) assert.ok((t.data as Float32Array).every(Number.isFinite));
  await trainer.dispose();
});

for (const dropout of [0, 0.1]) test(`abort: the current step finishes, a checkpoint is saved, interrupted; resuming reaches the same weights as an uninterrupted run (dropout ${dropout})`, async () => {
  // With dropout on, the resumed run must draw the very masks the uninterrupted one drew.
  const config = { ...tinyBertConfig(LABELS), hiddenDropoutProb: dropout, attentionProbsDropoutProb: dropout };
  const args = { learningRate: 5e-3, numTrainEpochs: 2, gradientAccumulationSteps: 2, loggingSteps: 1, saveStrategy: 'no', threads: 1 } as const;
  const full = new Trainer({ model: { config, params: arch.init(config, 7) }, args: { ...args, outputDir: tmp() }, trainFeatures, output: null });
  await full.train();
  const expected = await full.weights();
  const fullLosses = full.logHistory.filter((r) => 'loss' in r).map((r) => r.loss);
  await full.dispose();

  const dir = tmp();
  const controller = new AbortController();
  const stream = { write: (c: string) => (c.includes("'step': 4}") && controller.abort(), true), isTTY: false };
  const first = new Trainer({ model: { config, params: arch.init(config, 7) }, args: { ...args, outputDir: dir }, trainFeatures, output: stream, progress: false });
  const r1 = await first.train({ signal: controller.signal });
  assert.equal(r1.interrupted, true);
  assert.equal(r1.globalStep, 4);
  assert.equal(r1.lastCheckpoint, path.join(dir, 'checkpoint-4'));
  const ck = readCheckpoint(r1.lastCheckpoint!);
  assert.deepEqual({ epoch: ck.rng.epoch, batchesDone: ck.rng.batchesDone }, { epoch: 1, batchesDone: 2 });
  await first.dispose();

  // A fresh trainer (other initial weights: they are replaced by the checkpoint's).
  const second = new Trainer({ model: { config, params: arch.init(config, 99) }, args: { ...args, outputDir: dir }, trainFeatures, output: null });
  const r2 = await second.train({ resumeFromCheckpoint: true });
  assert.equal(r2.globalStep, 6);
  assert.equal(r2.interrupted, false);
  same(expected, await second.weights());
  assert.deepEqual(second.logHistory.filter((r) => 'loss' in r).map((r) => r.loss), fullLosses);
  await second.dispose();

  // Resuming with another batch size would change the data order: refused.
  const third = new Trainer({ model: { config, params: arch.init(config, 7) }, args: { ...args, outputDir: dir, perDeviceTrainBatchSize: 4 }, trainFeatures, output: null });
  await assert.rejects(third.train({ resumeFromCheckpoint: r1.lastCheckpoint! }), /cannot resume .*perDeviceTrainBatchSize 8 → 4/);
  await third.dispose();
});

test('in memory (as a browser tab): stop on the signal (raised while betweenSteps yields, as a worker\'s Stop message), resume from the store, the same weights and losses as an uninterrupted run; onLog sees every record', async () => {
  const args = { learningRate: 5e-3, numTrainEpochs: 2, loggingSteps: 1, evalStrategy: 'epoch', saveStrategy: 'no', threads: 1 } as const;
  const full = new Trainer({ model: { config, params: arch.init(config, 7) }, args: { ...args, outputDir: 'unused' }, trainFeatures, evalFeatures: evalData, output: null });
  await full.train();
  const expected = await full.weights();
  await full.dispose();

  const store = new MemoryCheckpointStore();
  const controller = new AbortController();
  const seen: Record<string, number>[] = [];
  const onLog = (r: Record<string, number>) => void seen.push(r);
  let yields = 0;
  const betweenSteps = async () => {
    await new Promise((resolve) => setImmediate(resolve));
    if (++yields === 3) controller.abort();
  };
  const first = new Trainer({ model: { config, params: arch.init(config, 7) }, args: { ...args, outputDir: 'unused' }, trainFeatures, evalFeatures: evalData, output: null, checkpointStore: store, onLog });
  const r1 = await first.train({ signal: controller.signal, betweenSteps });
  assert.equal(yields, 3, 'betweenSteps is awaited once after each step, and the run stops at the step it aborted in');
  assert.equal(r1.interrupted, true);
  assert.equal(r1.lastCheckpoint, 'checkpoint-3');
  assert.deepEqual(seen, first.logHistory, 'onLog sees every record, in order');
  await first.dispose();
  const second = new Trainer({ model: { config, params: arch.init(config, 99) }, args: { ...args, outputDir: 'unused' }, trainFeatures, evalFeatures: evalData, output: null, checkpointStore: store, onLog });
  const r2 = await second.train({ resumeFromCheckpoint: true });
  assert.equal(r2.globalStep, 10);
  same(expected, await second.weights());
  assert.ok(seen.filter((r) => 'eval_f1' in r).length === 2, 'both epochs evaluated across the two calls');
  assert.ok(!fs.existsSync('unused'), 'nothing written to disk');
  await second.dispose();
});

test('evaluateModel scores the first sub-token of each word and returns word-level predictions', async () => {
  const session = await TrainingSession.create({ params: arch.init(config, 3), model: arch.modelFn(config, { tokenTypeIds: false }), threads: 1 });
  // The last word of the first sentence is truncated away (-1): it is left out.
  const data = [{ ...evalData[0], wordTokenIndex: [...evalData[0].wordTokenIndex.slice(0, -1), -1] }, ...evalData.slice(1)];
  const r = await evaluateModel(session, data, LABELS, { batchSize: 5 });
  assert.equal(r.steps, 3);
  assert.equal(r.samples, 12);
  assert.equal(r.predictions.length, 12);
  assert.equal(r.predictions[0].length, evalData[0].wordLabels.length - 1);
  r.predictions.forEach((p, i) => assert.equal(p.length, r.references[i].length));
  assert.deepEqual(r.references[1], evalData[1].wordLabels.map((l) => LABELS[l]));
  for (const p of r.predictions.flat()) assert.ok(LABELS.includes(p));
  assert.ok(Number.isFinite(r.loss!) && r.loss! > 0);
  assert.equal(typeof r.metrics.overall_f1, 'number');
  // The loss is each batch's mean weighted by its sentences (HF's eval_loss).
  let sum = 0;
  for (const b of batches(data.map((d) => d.feature), { batchSize: 5 })) sum += (await session.evaluate({ ...b.tensors })).loss! * b.indices.length;
  assert.ok(Math.abs(r.loss! - sum / 12) < 1e-12);
  await assert.rejects(evaluateModel(session, [{ ...evalData[0], wordLabels: [7] }], LABELS), /wordTokenIndex has \d+ entries but wordLabels 1/);
  await session.dispose();
});

test('progress bar: \\r-rewritten line on a TTY, periodic plain lines otherwise', () => {
  let t = 0;
  const tty: string[] = [];
  const bar = new ProgressBar({ write: (c: string) => tty.push(c), isTTY: true }, { now: () => t });
  bar.start(100);
  t = 2000;
  bar.update(10, { loss: 0.5, epoch: 0.1, epochs: 3 });
  const last = tty.at(-1)!;
  assert.ok(last.startsWith('\r'), JSON.stringify(last));
  assert.match(last, / 10\/100 \[==[ ]+\]  10% 00:02<00:18, 5\.00 it\/s, loss 0\.5000, epoch 0\.10\/3/);
  bar.log('a record');
  assert.equal(tty.at(-3), '\r\x1b[K');
  bar.finish();
  assert.equal(tty.at(-1), '\n');

  const plain: string[] = [];
  t = 0;
  const p = new ProgressBar({ write: (c: string) => plain.push(c), isTTY: false }, { now: () => t });
  p.start(100);
  for (let s = 1; s <= 100; s++) {
    t += 10;
    p.update(s, { loss: 1 });
  }
  p.finish();
  assert.equal(plain.length, 10); // every 10 steps
  assert.ok(plain.every((l) => !l.includes('\r') && l.endsWith('\n')));
  assert.match(plain[9], /^100\/100 100% /);
});
