// Python's format(x, '.Nf'): half-to-even on the exact binary value (expected strings from CPython 3.11).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFixed } from '../../src/metrics/index.ts';

test('exact ties round to even, unlike toFixed', () => {
  assert.equal(formatFixed(0.125, 2), '0.12');
  assert.equal((0.125).toFixed(2), '0.13'); // the JavaScript behaviour we avoid
  assert.equal(formatFixed(0.375, 2), '0.38');
  assert.equal(formatFixed(0.5, 0), '0');
  assert.equal(formatFixed(1.5, 0), '2');
  assert.equal(formatFixed(2.5, 0), '2');
});

test('non-ties follow the exact binary value', () => {
  assert.equal(formatFixed(2.675, 2), '2.67'); // 2.67499999999999982236431605997495353221893310546875
  assert.equal(formatFixed(0.045, 2), '0.04');
  assert.equal(formatFixed(0.015, 2), '0.01');
  assert.equal(formatFixed(1 / 3, 2), '0.33');
  assert.equal(formatFixed(2 / 3, 4), '0.6667');
  assert.equal(formatFixed(0.995, 2), '0.99');
  assert.equal(formatFixed(0.8571428571428571, 2), '0.86');
});

test('zeros, signs, large and tiny values, nan and inf', () => {
  assert.equal(formatFixed(0, 2), '0.00');
  assert.equal(formatFixed(-0, 2), '-0.00');
  assert.equal(formatFixed(-0.001, 2), '-0.00');
  assert.equal(formatFixed(1, 0), '1');
  assert.equal(formatFixed(1e22, 1), '10000000000000000000000.0');
  assert.equal(formatFixed(5e-324, 2), '0.00');
  assert.equal(formatFixed(123456.785, 2), '123456.79'); // the double is slightly above .785
  assert.equal(formatFixed(NaN, 2), 'nan');
  assert.equal(formatFixed(Infinity, 2), 'inf');
  assert.equal(formatFixed(-Infinity, 2), '-inf');
  assert.throws(() => formatFixed(1, -1), RangeError);
});
