/**
 * The WebAssembly optimizer (src/engine/adamw.ts + wasm/kernels.wat) against the plain-TypeScript
 * AdamW of adamw-reference.ts, bit for bit: over odd tensor sizes (padding), both weight-decay
 * groups, clipping, several steps of bias correction, and state split over several WebAssembly
 * memories.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { BINARY_MODULE_FILE, WAT_FILE, binaryModule, compileWat } from '../../scripts/build-wasm.ts';
import { AdamWState, adamwScalars, clipCoefficient, planShards, resolveAdamW, totalNorm } from '../../src/engine/adamw.ts';
import { kernelBytes } from '../../src/engine/wasm/kernels.ts';
import { referenceAdamW } from './adamw-reference.ts';
import { mulberry32 } from './gradcheck.ts';

// Odd sizes whose group sums are not multiples of 4 either: the padding must keep every tensor whole for the SIMD lanes.
const TENSORS = [
  { name: 'embeddings.weight', size: 37, decays: true },
  { name: 'dense.bias', size: 5, decays: false },
  { name: 'dense.weight', size: 64, decays: true },
  { name: 'LayerNorm.weight', size: 18, decays: false },
  { name: 'classifier.weight', size: 2, decays: true },
];

function bits(a: Float32Array): number[] {
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
}

/** Runs `steps` updates on a state and on the reference from the same random start; returns both. */
async function runBoth(steps: { lr: number; maxNorm?: number }[], maxShardBytes?: number) {
  const adam = resolveAdamW({ weightDecay: 0.01 });
  const state = await AdamWState.create(TENSORS, { maxShardBytes });
  const r = mulberry32(7);
  const ref = TENSORS.map((t) => ({ ...t, p: new Float32Array(t.size), g: new Float32Array(t.size), m: new Float32Array(t.size), v: new Float32Array(t.size) }));
  for (const t of ref) {
    for (let i = 0; i < t.size; i++) t.p[i] = (r() - 0.5) * 0.2;
    state.param(t.name).set(t.p);
  }
  for (const [k, s] of steps.entries()) {
    let sumsq = 0;
    for (const t of ref) {
      for (let i = 0; i < t.size; i++) t.g[i] = (r() - 0.5) * (k + 1);
      state.grad(t.name).set(t.g);
      sumsq += t.g.reduce((a, x) => a + x * x, 0);
    }
    // The kernel sums in another order, in float64: equal to ~1e-16, and to the bit once rounded to float32.
    const wasmSum = state.gradSumOfSquares();
    assert.ok(Math.abs(wasmSum - sumsq) <= 1e-12 * sumsq, `Σ g² ${wasmSum} vs ${sumsq}`);
    assert.equal(totalNorm(wasmSum), totalNorm(sumsq));
    const scalars = adamwScalars(adam, s.lr, k + 1, clipCoefficient(totalNorm(wasmSum), s.maxNorm));
    state.update(scalars);
    for (const t of ref) referenceAdamW(t.p, t.g, t.m, t.v, scalars, t.decays);
  }
  return { state, ref };
}

const STEPS = [{ lr: 1e-3, maxNorm: 1 }, { lr: 0 }, { lr: 5e-2, maxNorm: 0.5 }, { lr: 2e-3, maxNorm: 1 }, { lr: 1e-2 }];

describe('the WebAssembly AdamW', () => {
  it('equals the TypeScript reference bit for bit: weights, moments, both groups, clipping, bias correction', async () => {
    const { state, ref } = await runBoth(STEPS);
    assert.equal(state.shardCount, 1);
    for (const t of ref) {
      assert.deepEqual(bits(state.param(t.name)), bits(t.p), `${t.name} weights`);
      assert.deepEqual(bits(state.expAvg(t.name)), bits(t.m), `${t.name} exp_avg`);
      assert.deepEqual(bits(state.expAvgSq(t.name)), bits(t.v), `${t.name} exp_avg_sq`);
    }
    // The gradients are read, not written (PyTorch clips them in place; nothing here reads them after).
    assert.notDeepEqual(bits(state.param('dense.weight')), bits(new Float32Array(64)));
  });

  it('the reference is sensitive: decaying a no-decay tensor or skipping clipping changes the bits', async () => {
    const adam = resolveAdamW({ weightDecay: 0.01 });
    const p = Float32Array.of(0.5, -0.25);
    const g = Float32Array.of(3, -4);
    const run = (k: ReturnType<typeof adamwScalars>, decays: boolean) => {
      const q = Float32Array.from(p);
      referenceAdamW(q, g, new Float32Array(2), new Float32Array(2), k, decays);
      return bits(q);
    };
    const clipped = adamwScalars(adam, 0.1, 1, clipCoefficient(5, 1));
    assert.notDeepEqual(run(clipped, true), run(clipped, false));
    assert.notDeepEqual(run(clipped, true), run(adamwScalars(adam, 0.1, 1, 1), true));
    assert.notDeepEqual(run(clipped, true), run(adamwScalars(adam, 0.1, 2, clipCoefficient(5, 1)), true), 'bias correction depends on t');
  });

  it('clipping follows clip_grad_norm_: coefficient max_norm · 1/(norm + 1e-6) in float32, at most 1, off at 0', () => {
    assert.equal(clipCoefficient(5, 1), Math.fround(Math.fround(1 / Math.fround(5 + Math.fround(1e-6))) * 1));
    assert.equal(clipCoefficient(0.5, 1), 1);
    assert.equal(clipCoefficient(5, 0), 1);
    assert.equal(clipCoefficient(5, undefined), 1);
    assert.equal(totalNorm(25), 5);
    assert.throws(() => clipCoefficient(1, -1), /max grad norm must be > 0/);
  });

  it('state split over several WebAssembly memories gives the same bits as one memory', async () => {
    const one = await runBoth(STEPS);
    // 1 KiB of state per shard: 16 floats × 4 regions is 256 bytes, so the 64-float tensor fills a shard alone.
    const many = await runBoth(STEPS, 1024);
    assert.ok(many.state.shardCount >= 3, `${many.state.shardCount} shards`);
    for (const t of TENSORS) {
      for (const view of ['param', 'expAvg', 'expAvgSq'] as const) {
        assert.deepEqual(bits(many.state[view](t.name)), bits(one.state[view](t.name)), `${t.name} ${view}`);
      }
    }
  });

  it('plans shards within the limit, decayed tensors first in each, and names a tensor too large for any', () => {
    const { slots, shards } = planShards(TENSORS, 1024);
    for (const s of shards) assert.ok(4 * s.regionFloats * 4 <= 1024);
    assert.equal(shards.reduce((n, s) => n + s.regionFloats, 0), 48 + 16 + 64 + 32 + 16, "each tensor padded to 16 floats");
    const ordered = [...slots].sort((a, b) => a[1].shard - b[1].shard || a[1].offset - b[1].offset).map(([n]) => n);
    assert.deepEqual(ordered, ['embeddings.weight', 'dense.weight', 'classifier.weight', 'dense.bias', 'LayerNorm.weight']);
    assert.throws(() => planShards(TENSORS, 900), /parameter 'dense.weight' \(64 values\) needs 1024 bytes of optimizer state, more than one WebAssembly memory shard holds \(900 bytes\)/);
  });
});

describe('the kernel binary', () => {
  it('is what kernels.wat compiles to (npm run build:wasm)', async () => {
    const built = await compileWat(readFileSync(WAT_FILE, 'utf8'));
    assert.deepEqual(Array.from(kernelBytes()), Array.from(built));
    assert.equal(readFileSync(BINARY_MODULE_FILE, 'utf8'), binaryModule(built));
  });
});
