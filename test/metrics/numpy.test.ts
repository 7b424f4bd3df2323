// numpy's pairwise float64 summation; expected values were checked against numpy 2.x.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { numpyMean, numpySum, numpyWeightedAverage } from '../../src/metrics/index.ts';

const naive = (a: number[]): number => a.reduce((s, x) => s + x, 0);

test('fewer than 8 elements: plain left-to-right loop', () => {
  const a = [0.1, 0.2, 0.3];
  assert.equal(numpySum(a), naive(a));
  assert.equal(numpySum(a), 0.6000000000000001);
  assert.equal(numpySum([]), 0);
  assert.ok(Number.isNaN(numpyMean([]))); // np.mean([]) is nan
});

test('ten times 0.1: numpy gives 1.0 where a naive loop gives 0.9999999999999999', () => {
  const a = Array(10).fill(0.1);
  // 8 accumulators hold 0.1 each, (0.2+0.2)+(0.2+0.2) = 0.8, then + 0.1 + 0.1 = 1.0.
  assert.equal(naive(a), 0.9999999999999999);
  assert.equal(numpySum(a), 1);
  assert.equal(numpyMean(a), 0.1);
});

test('nine elements with a large head: the 8 accumulators keep the small ones', () => {
  const a = [1e16, 1, 1, 1, 1, 1, 1, 1, 1];
  assert.equal(naive(a), 1e16); // every +1 is rounded away
  // ((1e16+1)+(1+1)) + ((1+1)+(1+1)) = 1e16+6, then the tail +1 → 1e16+8 (ties to even).
  assert.equal(numpySum(a), 10000000000000008);
  assert.equal(numpyMean(a), 1111111111111112);
});

test('blocks above 128 are split in halves that are multiples of 8', () => {
  const a = Array(300).fill(0.1);
  assert.equal(numpySum(a), 29.999999999999996); // np.sum
  assert.equal(naive(a), 30.000000000000156);
});

test('weighted average = sum(a*w) / sum(w), both pairwise', () => {
  const p = [1 / 3, 2 / 3, 0.1, 0.7, 0.9, 0.2, 0.25, 1 / 7, 0.3];
  const w = [3, 1, 4, 1, 5, 9, 2, 6, 5];
  assert.equal(numpyWeightedAverage(p, w), 0.33121693121693124); // np.average(p, weights=w)
  assert.throws(() => numpyWeightedAverage([1], [0]), /Weights sum to zero/);
});
