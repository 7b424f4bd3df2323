// Score functions: seqeval docstring examples, averages, zero_division, beta, validation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  accuracyScore,
  f1Score,
  fbetaScore,
  performanceMeasure,
  precisionRecallFscoreSupport,
  precisionScore,
  recallScore,
  type MetricWarning,
} from '../../src/metrics/index.ts';

// seqeval README example.
const Y_TRUE = [['O', 'O', 'O', 'B-MISC', 'I-MISC', 'I-MISC', 'O'], ['B-PER', 'I-PER', 'O']];
const Y_PRED = [['O', 'O', 'B-MISC', 'I-MISC', 'I-MISC', 'I-MISC', 'O'], ['B-PER', 'I-PER', 'O']];

// seqeval 1.2.2 docstring example for the averages.
const D_TRUE = [['O', 'O', 'B-MISC', 'I-MISC', 'B-MISC', 'O', 'O'], ['B-PER', 'I-PER', 'O']];
const D_PRED = [['O', 'O', 'B-MISC', 'I-MISC', 'B-MISC', 'I-MISC', 'O'], ['B-PER', 'I-PER', 'O']];

test('README example: P = R = F1 = 0.5, accuracy 0.8', () => {
  // Gold MISC(3,5), PER(8,9); predicted MISC(2,5), PER(8,9): 1 of 2 right both ways.
  assert.equal(f1Score(Y_TRUE, Y_PRED), 0.5);
  assert.equal(precisionScore(Y_TRUE, Y_PRED), 0.5);
  assert.equal(recallScore(Y_TRUE, Y_PRED), 0.5);
  assert.equal(accuracyScore(Y_TRUE, Y_PRED), 0.8); // 8 of 10 tags equal
});

test('docstring example: micro, macro, weighted and per-type averages', () => {
  // MISC: gold (2,3),(4,4); pred (2,3),(4,5) → tp 1, p = r = f = 0.5. PER: all 1.
  assert.equal(f1Score(D_TRUE, D_PRED), 0.6666666666666666); // tp 2 / 3
  assert.equal(f1Score(D_TRUE, D_PRED, { average: 'macro' }), 0.75); // (0.5 + 1) / 2
  assert.equal(f1Score(D_TRUE, D_PRED, { average: 'weighted' }), 0.6666666666666666); // (0.5*2 + 1*1) / 3
  assert.deepEqual(f1Score(D_TRUE, D_PRED, { average: 'none' }), [0.5, 1]);
  assert.deepEqual(precisionScore(D_TRUE, D_PRED, { average: 'none' }), [0.5, 1]);
  assert.deepEqual(recallScore(D_TRUE, D_PRED, { average: 'none' }), [0.5, 1]);
  const per = precisionRecallFscoreSupport(D_TRUE, D_PRED, { average: 'none' });
  assert.deepEqual(per, { types: ['MISC', 'PER'], precision: [0.5, 1], recall: [0.5, 1], fScore: [0.5, 1], support: [2, 1] });
  assert.deepEqual(precisionRecallFscoreSupport(D_TRUE, D_PRED), {
    precision: 0.6666666666666666,
    recall: 0.6666666666666666,
    fScore: 0.6666666666666666,
    support: 3,
  });
});

test('zero_division: no entities anywhere gives 0 (warn, 0) or 1', () => {
  const warnings: MetricWarning[] = [];
  assert.equal(f1Score([['O']], [['O']], { onWarning: (w) => warnings.push(w) }), 0);
  assert.deepEqual(warnings.map((w) => w.message), [
    'F-score is ill-defined and being set to 0.0 due to no true nor predicted samples. Use `zero_division` parameter to control this behavior.',
  ]);
  const silent: MetricWarning[] = [];
  assert.equal(f1Score([['O']], [['O']], { zeroDivision: 0, onWarning: (w) => silent.push(w) }), 0);
  assert.equal(f1Score([['O']], [['O']], { zeroDivision: 1, onWarning: (w) => silent.push(w) }), 1);
  assert.deepEqual(silent, []);
  // Macro over zero types is numpy's mean of an empty array; weighted falls back to zero_division.
  assert.ok(Number.isNaN(f1Score([['O']], [['O']], { average: 'macro' })));
  assert.equal(f1Score([['O']], [['O']], { average: 'weighted', zeroDivision: 1 }), 1);
});

test('zero_division per metric: precision without predictions, recall without gold', () => {
  const warnings: string[] = [];
  const onWarning = (w: MetricWarning): void => void warnings.push(w.message);
  assert.equal(precisionScore([['B-PER']], [['O']], { onWarning }), 0);
  assert.equal(precisionScore([['B-PER']], [['O']], { zeroDivision: 1 }), 1);
  assert.equal(recallScore([['O']], [['B-PER']], { onWarning }), 0);
  assert.equal(recallScore([['O']], [['B-PER']], { zeroDivision: 1 }), 1);
  assert.deepEqual(warnings, [
    'Precision is ill-defined and being set to 0.0 due to no predicted samples. Use `zero_division` parameter to control this behavior.',
    'Recall is ill-defined and being set to 0.0 due to no true samples. Use `zero_division` parameter to control this behavior.',
  ]);
  // F with zero_division=1: p = 1 (no predictions), r = 0 → F = 2*1*0/(1+0) = 0.
  assert.equal(f1Score([['B-PER']], [['O']], { zeroDivision: 1 }), 0);
  // Weighted with no gold entities but some predictions: (0, zero_division, 0).
  assert.deepEqual(precisionRecallFscoreSupport([['O']], [['B-PER']], { average: 'weighted', zeroDivision: 1 }), {
    precision: 0,
    recall: 1,
    fScore: 0,
    support: 0,
  });
});

test('F-beta: beta weighs recall; 0 gives precision and Infinity recall', () => {
  // One of three gold entities predicted, nothing else: micro p = 1, r = 1/3.
  const yt = [['B-A', 'O', 'B-B', 'O', 'B-C']];
  const yp = [['B-A', 'O', 'O', 'O', 'O']];
  // F-beta = (1 + beta²)·p·r / (beta²·p + r), evaluated in that order.
  assert.equal(fbetaScore(yt, yp, { beta: 2 }), (5 * 1 * (1 / 3)) / (4 * 1 + 1 / 3));
  assert.equal(fbetaScore(yt, yp, { beta: 0 }), 1);
  assert.equal(fbetaScore(yt, yp, { beta: Infinity }), 1 / 3);
  assert.equal(f1Score(yt, yp), (2 * 1 * (1 / 3)) / (1 + 1 / 3));
  assert.throws(() => fbetaScore(yt, yp, { beta: -1 }), /beta should be >=0/);
});

test('strict mode needs a scheme in the score functions (silent fallback, as in seqeval)', () => {
  const yt = [['B-NP', 'I-NP', 'O']];
  const yp = [['I-NP', 'I-NP', 'O']];
  assert.equal(f1Score(yt, yp), 1); // conlleval: I-NP after O starts the same chunk
  assert.equal(f1Score(yt, yp, { mode: 'strict' }), 1); // no scheme → default mode
  assert.equal(f1Score(yt, yp, { mode: 'strict', scheme: 'IOB2' }), 0); // I- without B- is no entity
  assert.equal(f1Score(yt, yp, { scheme: 'IOB2' }), 1); // a scheme without strict mode is ignored
});

test('strict mode on the README example with IOB2 agrees with default mode', () => {
  assert.equal(f1Score(Y_TRUE, Y_PRED, { mode: 'strict', scheme: 'IOB2' }), 0.5);
  assert.equal(f1Score(Y_TRUE, Y_PRED, { mode: 'strict', scheme: 'IOB2', average: 'weighted' }), 0.5);
});

test('inconsistent lengths are errors naming the sentence', () => {
  assert.throws(() => f1Score([['O']], [['O'], ['O']]), /y_true has 1 sentences but y_pred has 2/);
  assert.throws(() => f1Score([['O'], ['O', 'O']], [['O'], ['O']]), /sentence 1 has 2 tags in y_true but 1 in y_pred/);
  assert.throws(() => accuracyScore([['O'], ['O', 'O']], [['O'], ['O']]), /sentence 1/);
});

test('accuracy counts O tokens; zero tokens is an error (seqeval divides by zero)', () => {
  assert.equal(accuracyScore([['O', 'B-X'], ['I-X']], [['O', 'B-X'], ['O']]), 2 / 3);
  assert.throws(() => accuracyScore([], []), /no tokens/);
  assert.throws(() => accuracyScore([[]], [[]]), /no tokens/);
});

test('performanceMeasure: seqeval docstring example', () => {
  const yt = [['O', 'O', 'O', 'B-MISC', 'I-MISC', 'O', 'B-ORG'], ['B-PER', 'I-PER', 'O', 'B-PER']];
  const yp = [['O', 'O', 'B-MISC', 'I-MISC', 'I-MISC', 'O', 'O'], ['B-PER', 'I-PER', 'O', 'B-MISC']];
  assert.deepEqual(performanceMeasure(yt, yp), { TP: 3, FP: 3, FN: 1, TN: 4 });
});

test('macro average over 10 types uses numpy pairwise summation', () => {
  // Type Tk: gold has one entity, the prediction ten single-token ones (B-X B-X ...), one right.
  // Each precision is 1/10 = 0.1; numpy's mean of ten 0.1 is exactly 0.1, a naive loop gives
  // 0.09999999999999999.
  const types = Array.from({ length: 10 }, (_, k) => `T${k}`);
  const yt = types.map((t) => [`B-${t}`, ...Array(9).fill('O')]);
  const yp = types.map((t) => Array(10).fill(`B-${t}`));
  assert.equal(precisionScore(yt, yp, { average: 'macro' }), 0.1);
  assert.equal(precisionScore(yt, yp), 0.1); // micro: 10 / 100
  assert.equal(f1Score(yt, yp, { average: 'macro' }), 0.18181818181818182); // 2*0.1*1/1.1
});
