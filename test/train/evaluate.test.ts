import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type SeqevalTypeScores, seqevalCompute } from '../../src/metrics/evaluate.ts';
import type { TrainingSession } from '../../src/engine/runtime.ts';
import { type EvalFeature, evaluateModel, joinWindows } from '../../src/train/evaluate.ts';

const feature = (sentence: number | undefined, words: number): EvalFeature => ({
  feature: { inputIds: [], labels: [] },
  wordTokenIndex: Array.from({ length: words }, (_, i) => i + 1),
  wordLabels: Array.from({ length: words }, () => 0),
  ...(sentence === undefined ? {} : { sentence }),
});

test('windows of one sentence are scored as one sequence: an entity across the boundary counts once', () => {
  // Sentence 0 was split into two windows; "New York" straddles them. Sentence 1 is whole.
  const features = [feature(0, 3), feature(0, 2), feature(1, 2)];
  const perWindow = [
    ['O', 'O', 'B-LOC'],
    ['I-LOC', 'O'],
    ['B-PER', 'O'],
  ];
  const joined = joinWindows(features, perWindow);
  assert.deepEqual(joined, [['O', 'O', 'B-LOC', 'I-LOC', 'O'], ['B-PER', 'O']]);
  // Joined, "New York" is one LOC entity; scored window by window it would count as two.
  const locEntities = (seqs: string[][]) => (seqevalCompute(seqs, seqs).LOC as SeqevalTypeScores).number;
  assert.equal(locEntities(joined), 1);
  assert.equal(locEntities(perWindow), 2);
});

test('features without a sentence id stay separate sequences', () => {
  const joined = joinWindows([feature(undefined, 1), feature(undefined, 1)], [['B-PER'], ['I-PER']]);
  assert.deepEqual(joined, [['B-PER'], ['I-PER']]);
});

// ---- evaluateModel on crafted logits: what every F1 tokentag prints rests on ----

const LABELS = ['O', 'B-PER', 'I-PER', 'B-LOC'];
const [O, BPER, IPER, BLOC] = [0, 1, 2, 3];
/** Logits by token id: argmax at `label`, the rest lower; ids absent here (padding) predict O. */
const ARGMAX_BY_TOKEN: Record<number, number> = {
  101: BLOC, // [CLS]: scoring every word with the [CLS] logits gives B-LOC everywhere
  102: BLOC, // [SEP]
  11: BPER, // "Ada"
  12: IPER, // "Love" (first sub-token of "Lovelace")
  13: BLOC, // "##lace": a continuation; scoring it instead of "Love" would give B-LOC
  14: O, // "in"
  15: O, // "Paris": a missed LOC
  21: BLOC, // "Berlin": predicted LOC, gold O
  22: BLOC, // "Rome": predicted LOC, gold O
};

/** A stand-in for the engine's session: logits come from the token ids, the loss per batch is given. */
function craftedSession(lossOf: (ids: number[][]) => number) {
  return {
    async evaluate(batch: { input_ids: { dims: readonly number[]; data: BigInt64Array } }, opts: { outputs?: readonly string[] }) {
      const [B, L] = batch.input_ids.dims as [number, number];
      const data = new Float32Array(B * L * LABELS.length);
      const rows: number[][] = [];
      for (let b = 0; b < B; b++) {
        const row: number[] = [];
        for (let t = 0; t < L; t++) {
          const id = Number(batch.input_ids.data[b * L + t]);
          row.push(id);
          const best = ARGMAX_BY_TOKEN[id] ?? O;
          for (let k = 0; k < LABELS.length; k++) data[(b * L + t) * LABELS.length + k] = k === best ? 2 + t * 0.01 : -1 - k * 0.1;
        }
        rows.push(row);
      }
      const outputs = { logits: { dtype: 'float32' as const, dims: [B, L, LABELS.length], data } };
      return opts.outputs?.includes('loss') ? { loss: lossOf(rows), outputs } : { outputs };
    },
  } as unknown as TrainingSession;
}

/** "Ada Lovelace in Paris" (Lovelace = Love ##lace) and "Berlin Rome" (no entities). */
function craftedFeatures(withLabels: boolean): EvalFeature[] {
  const f = (inputIds: number[]) => ({ inputIds, ...(withLabels ? { labels: inputIds.map(() => 0) } : {}) });
  return [
    { feature: f([101, 11, 12, 13, 14, 15, 102]), wordTokenIndex: [1, 2, 4, 5], wordLabels: [BPER, IPER, O, BLOC] },
    { feature: f([101, 21, 22, 102]), wordTokenIndex: [1, 2], wordLabels: [O, O] },
  ];
}

test('evaluateModel scores each word by the argmax at its first sub-token, predictions against references', async () => {
  const r = await evaluateModel(craftedSession(() => 0), craftedFeatures(false), LABELS, { batchSize: 2 });
  assert.deepEqual(r.predictions, [['B-PER', 'I-PER', 'O', 'O'], ['B-LOC', 'B-LOC']]);
  assert.deepEqual(r.references, [['B-PER', 'I-PER', 'O', 'B-LOC'], ['O', 'O']]);
  // Gold: PER, LOC (2). Predicted: PER, LOC, LOC (3). Correct: PER. So precision ≠ recall.
  assert.equal(r.metrics.overall_precision, 1 / 3);
  assert.equal(r.metrics.overall_recall, 1 / 2);
  assert.equal(r.metrics.overall_f1, 0.4);
  assert.equal(r.metrics.overall_accuracy, 3 / 6);
  assert.deepEqual(r.metrics.PER, { precision: 1, recall: 1, f1: 1, number: 1 });
  assert.deepEqual(r.metrics.LOC, { precision: 0, recall: 0, f1: 0, number: 1 });
  assert.equal(r.loss, null);
  assert.equal(r.samples, 2);
  assert.equal(r.steps, 1);
});

test('evaluateModel: batch by batch gives the same words; eval_loss is the per-sequence weighted mean of batch losses', async () => {
  // Batch losses by the first word's token: 2 for the first sentence, 5 for the second.
  const loss = (rows: number[][]) => rows.reduce((s, r) => s + (r[1] === 11 ? 2 : 5), 0) / rows.length;
  const one = await evaluateModel(craftedSession(loss), craftedFeatures(true), LABELS, { batchSize: 1 });
  assert.equal(one.steps, 2);
  assert.equal(one.loss, (2 + 5) / 2);
  assert.deepEqual(one.predictions, [['B-PER', 'I-PER', 'O', 'O'], ['B-LOC', 'B-LOC']]);
  const both = await evaluateModel(craftedSession(loss), craftedFeatures(true), LABELS, { batchSize: 2 });
  assert.equal(both.loss, 3.5);
  assert.deepEqual(both.metrics, one.metrics);
});

test('evaluateModel leaves out words truncated away (-1) and refuses misaligned features', async () => {
  const features = craftedFeatures(false);
  const cut: EvalFeature[] = [{ ...features[0]!, wordTokenIndex: [1, 2, 4, -1] }, features[1]!];
  const r = await evaluateModel(craftedSession(() => 0), cut, LABELS);
  assert.deepEqual(r.references[0], ['B-PER', 'I-PER', 'O']);
  assert.equal(r.metrics.overall_recall, 1); // the missed Paris was cut, so PER is all the gold
  await assert.rejects(
    evaluateModel(craftedSession(() => 0), [{ ...features[0]!, wordTokenIndex: [1, 2, 9, 5] }], LABELS),
    /word 2 points at token 9, outside 0\.\.6/,
  );
  await assert.rejects(evaluateModel(craftedSession(() => 0), features, LABELS.slice(0, 3)), /label id 3, outside 0\.\.2/);
});
