/**
 * `tokentag train` gives, for a fixed seed, the results it gave before its setup moved into
 * the library (the course API refactor): the numbers below were recorded on the command's
 * code before the move (main at 4ecd50e + issue 10) and must not change with it. A change in
 * the engine's arithmetic or the synthetic corpus changes them too; then record them again
 * with `RECORD=1 node --import tsx --test test/cli-train-same.test.ts` and say why in the commit.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { makeOfflineCourse } from '../examples/course/offline.ts';
import { labelNamesOf, resolveDataset, resolveModel, saveRunOutputs, setupTraining } from '../src/train/index.ts';
import { runCli } from './helpers/cli.ts';

let dir = '';
let data = '';
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tokentag-cli-same-'));
  // A small corpus a model learns in a few dozen steps, so that the scores are not all zero.
  data = (await makeOfflineCourse(dir, { train: 240, validation: 40, test: 40 })).dataset;
});
after(() => rmSync(dir, { recursive: true, force: true }));

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** What a run's outcome is: losses, scores, the saved weights and predictions, bit for bit. */
function outcome(out: string, outputDir: string) {
  const r = JSON.parse(out) as { train: Record<string, number>; eval: Record<string, number> | null; test: Record<string, unknown> | null; labels: string[] };
  const state = JSON.parse(readFileSync(join(outputDir, 'trainer_state.json'), 'utf8')) as { log_history: Record<string, number>[] };
  return {
    labels: r.labels,
    train_loss: r.train.train_loss,
    global_step: r.train.global_step,
    eval: r.eval && { loss: r.eval.eval_loss, f1: r.eval.eval_f1, precision: r.eval.eval_precision, recall: r.eval.eval_recall, accuracy: r.eval.eval_accuracy },
    test: r.test && { f1: r.test.overall_f1, precision: r.test.overall_precision, recall: r.test.overall_recall, accuracy: r.test.overall_accuracy },
    losses: state.log_history.filter((h) => h.loss !== undefined).map((h) => h.loss),
    weights: sha(join(outputDir, 'model.safetensors')),
    predictions: sha(join(outputDir, 'predictions.txt')),
  };
}

// Recorded on one intra-op thread, and run on one, so that the bytes do not depend on the
// machine's core count (the default is one thread per core).
const RECORDED = {
  "scratch": {
    "labels": [
      "O",
      "B-LOC",
      "I-LOC",
      "B-MISC",
      "I-MISC",
      "B-ORG",
      "I-ORG",
      "B-PER",
      "I-PER"
    ],
    "train_loss": 1.070238421857357,
    "global_step": 40,
    "eval": {
      "loss": 0.44409170746803284,
      "f1": 0.8252427184466019,
      "precision": 0.8252427184466019,
      "recall": 0.8252427184466019,
      "accuracy": 0.9399477806788512
    },
    "test": {
      "f1": 0.8613861386138614,
      "precision": 0.8529411764705882,
      "recall": 0.87,
      "accuracy": 0.9561855670103093
    },
    "losses": [
      1.9364,
      1.3223,
      1.0226,
      0.8073,
      0.611
    ],
    "weights": "e5a1d27d4c25a0c390e541ed7a0350a2fc001bd18910363733c62efee17eae3d",
    "predictions": "7ee1aa40dff1a983e7fb0dc1ccd0ddbfb70ab3f320a160427b9a5ca581ef6290"
  },
  "fineTune": {
    "labels": [
      "O",
      "B-LOC",
      "I-LOC",
      "B-MISC",
      "I-MISC",
      "B-ORG",
      "I-ORG",
      "B-PER",
      "I-PER"
    ],
    "train_loss": 0.7714052349328995,
    "global_step": 8,
    "eval": {
      "loss": 0.8982155442237854,
      "f1": 0.8,
      "precision": 0.803921568627451,
      "recall": 0.7961165048543689,
      "accuracy": 0.9347258485639687
    },
    "test": {
      "f1": 0.8514851485148515,
      "precision": 0.8431372549019608,
      "recall": 0.86,
      "accuracy": 0.9561855670103093
    },
    "losses": [
      0.6944,
      0.7818
    ],
    "weights": "04613fbe6fd9645d18b6003985b54baf848c2aea21681bbd4b35d5a899d81fbd",
    "predictions": "7eb588e7873df616bcd11a7fd9fde9b5ffeeed8f96ba80c5b29184d574c863c0"
  }
};

test('train from scratch (preset, trained vocabulary, word dropout) then fine-tune on it: the same numbers and bytes as before the refactor', async () => {
  const scratchDir = join(dir, 'scratch');
  const a = await runCli('train', '--model', 'bert-tiny', '--dataset', data, '--output-dir', scratchDir, '--max-steps', '40', '--batch-size', '16', '--eval-strategy', 'steps', '--eval-steps', '20', '--vocab-size', '300', '--seed', '7', '--threads', '1', '--json');
  assert.equal(a.code, 0, a.err);
  const scratch = outcome(a.out, scratchDir);

  const tunedDir = join(dir, 'tuned');
  const b = await runCli('train', '--model', scratchDir, '--dataset', data, '--output-dir', tunedDir, '--max-steps', '8', '--batch-size', '16', '--learning-rate', '3e-4', '--label-all-tokens', '--seed', '3', '--threads', '1', '--json');
  assert.equal(b.code, 0, b.err);
  const fineTune = outcome(b.out, tunedDir);

  if (process.env.RECORD === '1') {
    console.log(JSON.stringify({ scratch, fineTune }, null, 2));
    return;
  }
  assert.deepEqual(scratch, RECORDED.scratch);
  assert.deepEqual(fineTune, RECORDED.fineTune);
});

test('the library, called as a program calls it (resolve, setupTraining, train, saveRunOutputs), gives the command\'s bytes', async () => {
  const outputDir = join(dir, 'library');
  const model = await resolveModel('bert-tiny');
  const resolved = await resolveDataset(data);
  const labels = labelNamesOf(resolved.dataset, 'ner_tags');
  const { trainer, splits } = await setupTraining({
    model,
    data: resolved,
    labels,
    outputDir,
    seed: 7,
    vocabSize: 300,
    evalStrategy: 'steps',
    training: { maxSteps: 40, perDeviceTrainBatchSize: 16, evalSteps: 20, seed: 7, threads: 1 },
    output: null,
  });
  const result = await trainer.train();
  const out = await saveRunOutputs(trainer, result, { splits, trainSamples: resolved.dataset.get('train').length });
  assert.equal(result.trainingLoss, RECORDED.scratch.train_loss);
  assert.equal(out.test?.overall_f1, RECORDED.scratch.test.f1);
  assert.equal(sha(join(outputDir, 'model.safetensors')), RECORDED.scratch.weights);
  assert.equal(sha(join(outputDir, 'predictions.txt')), RECORDED.scratch.predictions);
});
