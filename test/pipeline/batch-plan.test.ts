import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { planBatches } from '../../src/pipeline/batch-plan.ts';

const cells = (lengths: readonly number[], runs: readonly (readonly number[])[], perRun: number): number =>
  runs.reduce((n, r) => n + r.length * Math.max(...r.map((i) => lengths[i]!)) + perRun, 0);

describe('planBatches', () => {
  it('covers every window exactly once, within maxRows, rows longest first', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 512 }), { maxLength: 200 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 4 }), (lengths, maxRows, lanes) => {
        const runs = planBatches(lengths, { maxRows, lanes });
        assert.deepEqual(runs.flat().sort((a, b) => a - b), lengths.map((_, i) => i));
        for (const r of runs) {
          assert.ok(r.length >= 1 && r.length <= maxRows);
          for (let i = 1; i < r.length; i++) assert.ok(lengths[r[i - 1]!]! >= lengths[r[i]!]!);
        }
      }),
    );
  });

  it('pays a run rather than padding short windows to a long one, and not the other way round', () => {
    // One long window and many short ones: two runs beat one (the short ones padded to 100).
    const lengths = [100, ...new Array(20).fill(10)];
    assert.deepEqual(planBatches(lengths, { maxRows: 32, perRunCells: 32 }).map((r) => r.length).sort((a, b) => a - b), [1, 20]);
    // Windows of nearly equal length: one run (the padding costs less than another run).
    assert.equal(planBatches([12, 11, 12, 10, 12, 11], { maxRows: 32, perRunCells: 32 }).length, 1);
  });

  it('is no worse than one run per maxRows chunk of the sorted windows (its cost is the least)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 128 }), { minLength: 1, maxLength: 100 }), fc.integer({ min: 1, max: 32 }), (lengths, maxRows) => {
        const sorted = lengths.map((_, i) => i).sort((a, b) => lengths[b]! - lengths[a]!);
        const naive: number[][] = [];
        for (let i = 0; i < sorted.length; i += maxRows) naive.push(sorted.slice(i, i + maxRows));
        assert.ok(cells(lengths, planBatches(lengths, { maxRows, perRunCells: 32 }), 32) <= cells(lengths, naive, 32));
      }),
    );
  });

  it('gives two runs per lane when there are rows enough, costliest first', () => {
    const lengths = new Array(16).fill(20);
    const runs = planBatches(lengths, { maxRows: 32, lanes: 2 });
    assert.equal(runs.length, 4);
    const cost = (r: number[]) => r.length * lengths[r[0]!]!;
    for (let i = 1; i < runs.length; i++) assert.ok(cost(runs[i - 1]!) >= cost(runs[i]!));
    assert.equal(planBatches([5], { maxRows: 32, lanes: 2 }).length, 1, 'a single window stays one run');
    assert.deepEqual(planBatches([], { maxRows: 8 }), []);
    assert.throws(() => planBatches([1], { maxRows: 0 }), /maxRows/);
  });
});
