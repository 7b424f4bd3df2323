import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DropoutMaskSource, fillMask, maskSeed } from '../../src/engine/dropout-masks.ts';
import { buildTrainingGraphs } from '../../src/engine/optim.ts';
import { dropout, linear } from '../../src/engine/layers.ts';
import type { ModelFn } from '../../src/engine/optim.ts';

describe('dropout masks', () => {
  it('drop a `ratio` share of the values and scale the rest by 1/(1 − ratio), as torch.nn.Dropout', () => {
    for (const ratio of [0.1, 0.5, 0.9]) {
      const m = new Float32Array(200_000);
      fillMask(m, ratio, maskSeed(42, 1, 0, 0));
      const dropped = m.filter((x) => x === 0).length / m.length;
      assert.ok(Math.abs(dropped - ratio) < 0.005, `ratio ${ratio}: dropped ${dropped}`);
      const kept = new Set(m.filter((x) => x !== 0));
      assert.deepEqual([...kept], [Math.fround(1 / (1 - ratio))]);
    }
    const d = new Float64Array(10);
    fillMask(d, 0.5, 7);
    assert.ok(d.every((x) => x === 0 || x === 2));
  });

  it('are a function of (seed, step, micro-batch, site) alone', () => {
    const draw = (seed: number, step: number, micro: number, site: number) => {
      const m = new Float32Array(64);
      fillMask(m, 0.3, maskSeed(seed, step, micro, site));
      return m;
    };
    assert.deepEqual(draw(42, 3, 1, 2), draw(42, 3, 1, 2));
    for (const other of [draw(43, 3, 1, 2), draw(42, 4, 1, 2), draw(42, 3, 0, 2), draw(42, 3, 1, 1)]) assert.notDeepEqual(other, draw(42, 3, 1, 2));
  });

  it('drawn in WebAssembly, they are the very values fillMask draws, for any size, ratio and growth of the arena', async () => {
    const sites = [
      { name: 'dropout_mask/0', shape: ['batch', 'sequence', 5], dtype: 'float32', ratio: 0.1 },
      { name: 'dropout_mask/1', shape: ['batch', 3, 'sequence', 'sequence'], dtype: 'float32', ratio: 0.37 },
      { name: 'dropout_mask/2', shape: ['batch', 7], dtype: 'float64', ratio: 0.5 },
      { name: 'dropout_mask/3', shape: ['batch', 'sequence'], dtype: 'float32', ratio: 1 },
    ] as const;
    const wasm = await DropoutMaskSource.create(sites, 42);
    const js = new DropoutMaskSource(sites, 42);
    // Growing shapes make the WebAssembly memory grow between calls (the views are made anew each time).
    for (const [step, [batch, sequence]] of [[1, 3], [2, 1], [3, 33], [4, 130]].entries()) {
      const symbols = new Map([['batch', batch!], ['sequence', sequence!]]);
      const a = wasm.feeds(symbols, step + 1, 1);
      const b = js.feeds(symbols, step + 1, 1);
      for (const s of sites) {
        assert.deepEqual(a[s.name]!.dims, b[s.name]!.dims);
        assert.deepEqual(Array.from(a[s.name]!.data as Float32Array), Array.from(b[s.name]!.data as Float32Array), `${s.name} at step ${step + 1}`);
      }
      if (sequence! > 30) assert.ok((a['dropout_mask/1']!.data as Float32Array).some((x) => x === 0));
      assert.ok((a['dropout_mask/3']!.data as Float32Array).every((x) => x === 0), 'ratio 1 drops everything');
    }
  });

  it('a training graph feeds one mask per dropout site, sized from the batch', () => {
    const model: ModelFn = (b, w, ctx) => {
      const x = b.input('x', 'float32', ['batch', 'sequence', 4]);
      const h = dropout(ctx, linear(b, x, w.get('w')!, undefined), 0.25);
      return { loss: b.reduceSumSquareAll(dropout(ctx, h, 0.5)) };
    };
    const g = buildTrainingGraphs({ params: [{ name: 'w', dims: [4, 4] }], model });
    assert.deepEqual(g.dropoutMasks.map((m) => [m.name, m.shape, m.ratio]), [
      ['dropout_mask/0', ['batch', 'sequence', 4], 0.25],
      ['dropout_mask/1', ['batch', 'sequence', 4], 0.5],
    ]);
    assert.deepEqual(g.batchInputs.map((v) => v.name), ['x'], 'the masks are not batch inputs');
    assert.ok(!g.graph.nodes.some((n) => n.op === 'Dropout'));
    const feeds = new DropoutMaskSource(g.dropoutMasks, 42).feeds(new Map([['batch', 2], ['sequence', 3]]), 1, 0);
    assert.deepEqual(feeds['dropout_mask/1']!.dims, [2, 3, 4]);
    assert.throws(() => new DropoutMaskSource(g.dropoutMasks, 42).feeds(new Map([['batch', 2]]), 1, 0), /no batch input gives the size of its dim 'sequence'/);
  });
});
