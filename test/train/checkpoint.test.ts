import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { Rng } from '../../src/data/rng.ts';
import { architectureFor, loadTokenClassifier, readSafetensors } from '../../src/models/index.ts';
import { latestCheckpoint, listCheckpoints, readCheckpoint, rotateCheckpoints, TrainerCheckpointError, writeCheckpoint } from '../../src/train/checkpoint.ts';
import type { EvalFeature } from '../../src/train/evaluate.ts';
import { Trainer } from '../../src/train/trainer.ts';
import { tinyBertConfig } from './tiny-bert.ts';

const LABELS = ['O', 'B-LOC', 'I-LOC'];
const config = tinyBertConfig(LABELS);
const arch = architectureFor(config);

/** One token per word; label = which third of 5..49 the token id is in. [CLS] 2, [SEP] 3. */
function makeData(n: number, seed: number): EvalFeature[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => {
    const words = 2 + rng.nextInt(5);
    const wordLabels = Array.from({ length: words }, () => rng.nextInt(3));
    const ids = [2, ...wordLabels.map((l) => 5 + 15 * l + rng.nextInt(15)), 3];
    return { feature: { inputIds: ids, labels: [-100, ...wordLabels, -100] }, wordTokenIndex: wordLabels.map((_, i) => i + 1), wordLabels };
  });
}
const trainFeatures = makeData(40, 11).map((d) => d.feature); // 5 batches of 8
const evalFeatures = makeData(10, 12);

const dirs: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tokentag-ckpt-'));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const bytes = (f: string) => fs.readFileSync(f);

test('per-epoch checkpoints hold every file, HF trainer_state fields, and the best model is loaded at the end; resuming from an epoch boundary reproduces the next checkpoint byte for byte', async () => {
  const out = tmp();
  const args = {
    outputDir: out,
    learningRate: 5e-3,
    numTrainEpochs: 2,
    evalStrategy: 'epoch',
    saveStrategy: 'epoch',
    loadBestModelAtEnd: true,
    metricForBestModel: 'f1',
    loggingSteps: 2,
    threads: 1,
  } as const;
  const tokenizerFiles = { 'tokenizer_config.json': '{"model_max_length": 32}\n' };
  const trainer = new Trainer({ model: { config, params: arch.init(config, 5) }, args, trainFeatures, evalFeatures, tokenizerFiles, output: null });
  await trainer.train();
  assert.deepEqual(fs.readdirSync(out).sort(), ['checkpoint-10', 'checkpoint-5']);
  const ck5 = path.join(out, 'checkpoint-5');
  assert.deepEqual(fs.readdirSync(ck5).sort(), [
    'config.json',
    'model.safetensors',
    'optimizer.safetensors',
    'rng_state.json',
    'scheduler.json',
    'tokenizer_config.json',
    'trainer_state.json',
    'training_args.json',
  ]);
  const state = JSON.parse(fs.readFileSync(path.join(ck5, 'trainer_state.json'), 'utf8'));
  for (const k of ['global_step', 'epoch', 'log_history', 'best_metric', 'best_model_checkpoint', 'max_steps', 'logging_steps', 'eval_steps', 'save_steps', 'train_batch_size', 'num_train_epochs']) {
    assert.ok(k in state, k);
  }
  assert.equal(state.global_step, 5);
  assert.equal(state.epoch, 1);
  assert.equal(state.max_steps, 10);
  assert.equal(state.best_model_checkpoint, ck5); // the first evaluation is the best so far
  assert.equal(state.best_metric, state.log_history.find((r: Record<string, number>) => 'eval_f1' in r).eval_f1);
  assert.deepEqual(state.log_history.map((r: Record<string, number>) => r.step), [2, 4, 5]);
  const args5 = JSON.parse(fs.readFileSync(path.join(ck5, 'training_args.json'), 'utf8'));
  assert.equal(args5.output_dir, out);
  assert.equal(args5.metric_for_best_model, 'f1');
  assert.equal(args5.greater_is_better, true);
  const sched = JSON.parse(fs.readFileSync(path.join(ck5, 'scheduler.json'), 'utf8'));
  assert.deepEqual(sched, { type: 'linear', base_lr: 5e-3, total_steps: 10, warmup_steps: 0, num_cycles: 0.5, step: 5, last_lr: 5e-3 * 0.5 });
  const rng = JSON.parse(fs.readFileSync(path.join(ck5, 'rng_state.json'), 'utf8'));
  assert.deepEqual(rng, { seed: 42, epoch: 0, batchesDone: 5, numFeatures: 40, epochEndDone: true, dropoutSeed: 42, dropoutRestorable: true });
  const opt = readSafetensors(path.join(ck5, 'optimizer.safetensors')).tensors;
  const names = arch.paramShapes(config).map((p) => p.name);
  assert.deepEqual([...opt.keys()].sort(), [...names.map((n) => `exp_avg/${n}`), ...names.map((n) => `exp_avg_sq/${n}`), 'step'].sort());
  // The model directory loads like any Hugging Face checkpoint.
  const loaded = loadTokenClassifier(ck5);
  assert.deepEqual(loaded.config.id2label, LABELS);
  assert.deepEqual(loaded.report.newlyInitialized, []);

  // Best model at the end: the final weights are the best checkpoint's.
  const final = JSON.parse(fs.readFileSync(path.join(out, 'checkpoint-10', 'trainer_state.json'), 'utf8'));
  const best = final.best_model_checkpoint as string;
  assert.equal(trainer.bestModelCheckpoint, best);
  const bestParams = loadTokenClassifier(best).params;
  for (const [k, t] of await trainer.weights()) assert.deepEqual(t.data, bestParams.get(k)!.data, k);
  await trainer.dispose();

  // Resume in another output directory from checkpoint-5 (end of epoch 1, evaluation done).
  const out2 = tmp();
  fs.cpSync(ck5, path.join(out2, 'checkpoint-5'), { recursive: true });
  const resumed = new Trainer({ model: { config, params: arch.init(config, 6) }, args: { ...args, outputDir: out2 }, trainFeatures, evalFeatures, tokenizerFiles, output: null });
  const r = await resumed.train({ resumeFromCheckpoint: path.join(out2, 'checkpoint-5') });
  assert.equal(r.globalStep, 10);
  assert.equal(resumed.logHistory.filter((x) => 'eval_loss' in x).length, 2); // one restored, one new: epoch 1 is not evaluated twice
  for (const f of ['model.safetensors', 'optimizer.safetensors', 'scheduler.json', 'rng_state.json']) {
    assert.deepEqual(bytes(path.join(out2, 'checkpoint-10', f)), bytes(path.join(out, 'checkpoint-10', f)), f);
  }
  await resumed.dispose();
});

test('saveTotalLimit keeps the newest checkpoints', async () => {
  const out = tmp();
  const trainer = new Trainer({
    model: { config, params: arch.init(config, 5) },
    args: { outputDir: out, learningRate: 1e-3, maxSteps: 5, saveSteps: 1, saveTotalLimit: 2, threads: 1 },
    trainFeatures,
    output: null,
  });
  const r = await trainer.train();
  assert.deepEqual(listCheckpoints(out).map((c) => c.step), [4, 5]);
  assert.equal(latestCheckpoint(out), path.join(out, 'checkpoint-5'));
  assert.equal(r.lastCheckpoint, path.join(out, 'checkpoint-5'));
  assert.deepEqual(fs.readdirSync(out).filter((n) => n.startsWith('.')), []);
  await trainer.dispose();
});

test('rotateCheckpoints never deletes the best checkpoint (and keeps two when the limit is 1)', () => {
  const out = tmp();
  for (const s of [1, 2, 3, 10, 20]) fs.mkdirSync(path.join(out, `checkpoint-${s}`));
  fs.mkdirSync(path.join(out, 'other'));
  const best = path.join(out, 'checkpoint-2');
  assert.deepEqual(rotateCheckpoints(out, 3, best).map((d) => path.basename(d)), ['checkpoint-1', 'checkpoint-3']);
  assert.deepEqual(listCheckpoints(out).map((c) => c.step), [2, 10, 20]);
  assert.deepEqual(rotateCheckpoints(out, 1, best).map((d) => path.basename(d)), ['checkpoint-10']);
  assert.deepEqual(listCheckpoints(out).map((c) => c.step), [2, 20]);
  assert.deepEqual(rotateCheckpoints(out, null), []);
  assert.ok(fs.existsSync(path.join(out, 'other')));
});

test('writeCheckpoint is all or nothing: a failed write leaves no directory and an existing checkpoint untouched', async () => {
  const out = tmp();
  const trainer = new Trainer({ model: { config, params: arch.init(config, 5) }, args: { outputDir: out, learningRate: 1e-3, maxSteps: 1, threads: 1 }, trainFeatures, output: null });
  await trainer.train();
  const ck = readCheckpoint(path.join(out, 'checkpoint-1'));
  const before = bytes(path.join(out, 'checkpoint-1', 'model.safetensors'));
  const broken = new Map(ck.state.params);
  broken.delete('classifier.bias');
  assert.throws(() => writeCheckpoint(out, { ...ck, state: { ...ck.state, params: broken } }), /classifier\.bias/);
  assert.deepEqual(fs.readdirSync(out), ['checkpoint-1']);
  assert.deepEqual(bytes(path.join(out, 'checkpoint-1', 'model.safetensors')), before);
  // A complete rewrite of the same step replaces it.
  writeCheckpoint(out, ck);
  assert.deepEqual(fs.readdirSync(out), ['checkpoint-1']);
  assert.deepEqual(bytes(path.join(out, 'checkpoint-1', 'model.safetensors')), before);

  fs.rmSync(path.join(out, 'checkpoint-1', 'trainer_state.json'));
  assert.throws(() => readCheckpoint(path.join(out, 'checkpoint-1')), (e: unknown) => e instanceof TrainerCheckpointError && /trainer_state\.json: cannot read/.test(e.message));
  assert.equal(latestCheckpoint(out), null); // an incomplete checkpoint is not "the latest"
  await trainer.dispose();
});
