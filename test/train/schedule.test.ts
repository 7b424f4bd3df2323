import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TokentagError } from '../../src/errors.ts';
import { trainingArguments, trainingArgumentsFromJson, trainingArgumentsToJson, TrainingArgumentsError } from '../../src/train/args.ts';
import { constantWithWarmupLambda, cosineLambda, createSchedule, linearLambda, LrSchedule, warmupStepsFor } from '../../src/train/schedule.ts';

test('linear: step/max(1, warmup) during warm-up, then (T - s)/max(1, T - warmup), floored at 0', () => {
  // warmup 2, total 10: f(0)=0, f(1)=0.5, f(2)=8/8=1, f(3)=7/8, …, f(10)=0, f(12)=0 (clamped).
  assert.deepEqual(
    [0, 1, 2, 3, 6, 9, 10, 12].map((s) => linearLambda(s, 2, 10)),
    [0, 0.5, 1, 7 / 8, 4 / 8, 1 / 8, 0, 0],
  );
  // no warm-up: f(s) = (T - s)/T
  assert.deepEqual([0, 1, 4].map((s) => linearLambda(s, 0, 4)), [1, 0.75, 0]);
  // T == warmup: the denominator is max(1, 0) = 1
  assert.equal(linearLambda(3, 3, 3), 0);
});

test('cosine with 0.5 cycles, constant and constant_with_warmup', () => {
  // warmup 1, total 5: progress = (s - 1)/4; f = 0.5(1 + cos(π · progress)).
  assert.equal(cosineLambda(0, 1, 5), 0);
  assert.equal(cosineLambda(1, 1, 5), 1);
  assert.ok(Math.abs(cosineLambda(2, 1, 5) - (0.5 * (1 + Math.SQRT1_2))) < 1e-15); // cos(π/4)
  assert.ok(Math.abs(cosineLambda(3, 1, 5) - 0.5) < 1e-15); // cos(π/2) = 0
  assert.ok(Math.abs(cosineLambda(5, 1, 5)) < 1e-15); // cos(π) = -1
  // Beyond T the progress is not clamped (as in transformers): it rises again, floored at 0 on the way.
  assert.ok(Math.abs(cosineLambda(7, 1, 5) - 0.5) < 1e-15); // progress 1.5: cos(3π/2) = 0
  assert.ok(Math.abs(cosineLambda(9, 1, 5) - 1) < 1e-15); // progress 2: cos(2π) = 1
  assert.equal(cosineLambda(5, 1, 5, 1), 0.5 * (1 + Math.cos(2 * Math.PI))); // one full cycle: back to 1
  assert.equal(cosineLambda(3, 1, 5, 1), 0); // half way through a full cycle: cos(π) = -1 → 0
  assert.deepEqual([0, 1, 2, 3, 100].map((s) => constantWithWarmupLambda(s, 3)), [0, 1 / 3, 2 / 3, 1, 1]);
  const c = createSchedule({ type: 'constant', baseLr: 0.1, totalSteps: 10, warmupSteps: 5 });
  assert.deepEqual([1, 2, 10, 50].map((k) => c.lrAt(k)), [0.1, 0.1, 0.1, 0.1]);
});

test('lrAt(k) = base · f(k − 1) as LambdaLR applies it (the first step uses f(0)); lastLr(k) = base · f(k) is what HF logs', () => {
  const s = new LrSchedule({ type: 'linear', baseLr: 2e-5, totalSteps: 4, warmupSteps: 0 });
  // steps 1..4 run with 2e-5 · (1, 3/4, 1/2, 1/4); after step 4 HF logs 0.
  assert.deepEqual([1, 2, 3, 4].map((k) => s.lrAt(k)), [2e-5, 2e-5 * 0.75, 2e-5 * 0.5, 2e-5 * 0.25]);
  assert.equal(s.lastLr(4), 0);
  assert.equal(s.lastLr(1), s.lrAt(2));
  const w = new LrSchedule({ type: 'linear', baseLr: 1, totalSteps: 10, warmupSteps: 4 });
  assert.equal(w.lrAt(1), 0); // warm-up starts at 0, as in Hugging Face
  assert.equal(w.lrAt(2), 0.25);
  assert.equal(w.lrAt(5), 1);
  assert.equal(w.lrAt(6), 5 / 6);
  assert.throws(() => w.lrAt(0), TokentagError);
  assert.deepEqual(LrSchedule.fromJSON(w.toJSON()), w);
});

test('warm-up steps: warmupSteps overrides ⌈total · ratio⌉', () => {
  assert.equal(warmupStepsFor(105, 0, 0.1), 11);
  assert.equal(warmupStepsFor(105, 7, 0.1), 7);
  assert.equal(warmupStepsFor(105, 0, 0), 0);
});

test('TrainingArguments: Hugging Face defaults, validation, JSON round trip', () => {
  const a = trainingArguments({ outputDir: 'out' });
  assert.equal(a.learningRate, 2e-5);
  assert.equal(a.numTrainEpochs, 3);
  assert.equal(a.perDeviceTrainBatchSize, 8);
  assert.equal(a.evalStrategy, 'no');
  assert.equal(a.saveStrategy, 'steps');
  assert.equal(a.saveSteps, 500);
  assert.equal(a.loggingSteps, 500);
  assert.equal(a.maxGradNorm, 1);
  assert.equal(a.seed, 42);
  assert.equal(a.maxSteps, -1);
  assert.equal(a.metricForBestModel, null);
  assert.equal(a.groupByLength, true, 'length-grouped batches by default: a deliberate difference from Hugging Face');
  assert.ok(Object.isFrozen(a));

  const best = trainingArguments({ outputDir: 'o', evalStrategy: 'epoch', saveStrategy: 'epoch', loadBestModelAtEnd: true });
  assert.equal(best.metricForBestModel, 'loss');
  assert.equal(best.greaterIsBetter, false);
  assert.equal(trainingArguments({ outputDir: 'o', metricForBestModel: 'f1' }).greaterIsBetter, true);
  assert.equal(trainingArguments({ outputDir: 'o', metricForBestModel: 'eval_loss' }).greaterIsBetter, false);

  assert.throws(() => trainingArguments({ outputDir: 'o', evalStrategy: 'epoch', loadBestModelAtEnd: true }), /save and eval strategy to match.*"epoch".*"steps"/);
  assert.throws(
    () => trainingArguments({ outputDir: 'o', evalStrategy: 'steps', evalSteps: 30, saveSteps: 50, loadBestModelAtEnd: true }),
    /saveSteps to be a multiple of evalSteps/,
  );
  assert.throws(() => trainingArguments({ outputDir: 'o', loadBestModelAtEnd: true }), /needs evaluation/);
  assert.throws(() => trainingArguments({ outputDir: 'o', perDeviceTrainBatchSize: 0 }), TrainingArgumentsError);
  assert.throws(() => trainingArguments({ outputDir: 'o', lrSchedulerType: 'poly' as never }), /lrSchedulerType must be one of/);
  assert.throws(() => trainingArguments({ outputDir: 'o', evaluationStrategy: 'epoch' } as never), /did you mean evalStrategy/);
  assert.throws(() => trainingArguments({ outputDir: 'o', learning_rate: 1 } as never), /did you mean learningRate/);
  assert.throws(() => trainingArguments({ outputDir: '' }), /outputDir/);

  const j = trainingArgumentsToJson(best);
  assert.equal(j.per_device_train_batch_size, 8);
  assert.equal(j.load_best_model_at_end, true);
  assert.equal(j.eval_strategy, 'epoch');
  assert.deepEqual(trainingArgumentsFromJson(JSON.parse(JSON.stringify(j))), best);
});
