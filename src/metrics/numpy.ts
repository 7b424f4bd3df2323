/**
 * numpy's float64 reductions, reproduced operation by operation so that macro and weighted
 * averages are bitwise identical to `np.mean` / `np.average` (which seqeval uses).
 *
 * numpy adds float64 arrays with *pairwise summation* (`pairwise_sum` in
 * numpy/_core/src/umath/loops_utils.h.src): blocks of fewer than 8 elements are added left to
 * right; blocks of 8..128 use 8 strided accumulators combined as
 * ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7)) and then the leftover tail one by one; larger blocks are
 * split in two halves, the first a multiple of 8 long. The reduction starts from the identity
 * 0.0 (`0.0 + pairwise_sum(...)`). Arrays longer than numpy's iterator buffer (8192) can be
 * summed in chunks by numpy; seqeval never sums more values than there are entity types.
 */

const BLOCK = 128;

function pairwise(a: ArrayLike<number>, start: number, n: number): number {
  if (n < 8) {
    // numpy starts this loop from `res = 0.`; the 0.0 + a[0] is kept for -0.0 parity.
    let res = 0;
    for (let i = 0; i < n; i++) res += a[start + i];
    return res;
  }
  if (n <= BLOCK) {
    let r0 = a[start], r1 = a[start + 1], r2 = a[start + 2], r3 = a[start + 3];
    let r4 = a[start + 4], r5 = a[start + 5], r6 = a[start + 6], r7 = a[start + 7];
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      const p = start + i;
      r0 += a[p]; r1 += a[p + 1]; r2 += a[p + 2]; r3 += a[p + 3];
      r4 += a[p + 4]; r5 += a[p + 5]; r6 += a[p + 6]; r7 += a[p + 7];
    }
    let res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
    for (; i < n; i++) res += a[start + i];
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwise(a, start, n2) + pairwise(a, start + n2, n - n2);
}

/** `np.sum(a)` for a 1-D float64 array. */
export function numpySum(a: ArrayLike<number>): number {
  return 0 + pairwise(a, 0, a.length);
}

/** `np.mean(a)` / `np.average(a)`: pairwise sum divided by the count; NaN when empty (numpy warns). */
export function numpyMean(a: ArrayLike<number>): number {
  return numpySum(a) / a.length;
}

/**
 * `np.average(a, weights=w)`: `np.multiply(a, w).sum() / w.sum()`, both sums pairwise.
 * numpy raises ZeroDivisionError when the weights sum to zero; callers guard that case.
 */
export function numpyWeightedAverage(a: ArrayLike<number>, weights: ArrayLike<number>): number {
  if (a.length !== weights.length) throw new RangeError('numpyWeightedAverage: length mismatch');
  const products = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) products[i] = a[i] * weights[i];
  const scale = numpySum(weights);
  if (scale === 0) throw new RangeError("Weights sum to zero, can't be normalized");
  return numpySum(products) / scale;
}
