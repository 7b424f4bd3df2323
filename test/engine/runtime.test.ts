import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type TensorBatch,
  type ModelFn,
  BatchInputError,
  EngineRuntimeError,
  TrainingDivergedError,
  TrainingSession,
  dropout,
  gelu,
  linear,
  tensor,
} from '../../src/engine/index.ts';
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../../src/engine/graph.ts';
import { serializeModel } from '../../src/engine/onnx.ts';
import { mulberry32 } from './gradcheck.ts';

const IN = 3;
const HID = 5;
const OUT = 2;

/** A 2-layer MLP regression, with optional dropout, and an unused parameter. */
function mlp(p = 0): ModelFn {
  return (b, w, ctx) => {
    const x = b.input('x', 'float32', ['batch', IN]);
    const y = b.input('y', 'float32', ['batch', OUT]);
    const h = dropout(ctx, gelu(b, linear(b, x, w.get('l1.weight')!, w.get('l1.bias')!)), p);
    const pred = linear(b, h, w.get('l2.weight')!, w.get('l2.bias')!);
    const d = b.sub(pred, y);
    return { loss: b.reduceMean(b.mul(d, d), [0, 1], false), outputs: { pred } };
  };
}

/** Uniform in [−0.5, 0.5). */
function rng(seed: number): () => number {
  const u = mulberry32(seed);
  return () => u() - 0.5;
}

function params(seed = 1) {
  const r = rng(seed);
  const t = (dims: number[], scale = 1) => tensor('float32', dims, Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => r() * scale));
  return new Map([
    ['l1.weight', t([HID, IN])],
    ['l1.bias', t([HID], 0.1)],
    ['l2.weight', t([OUT, HID])],
    ['l2.bias', t([OUT], 0.1)],
    ['unused', t([3])],
  ]);
}

function batch(n: number, seed: number, scale = 1): TensorBatch {
  const r = rng(seed + 1000);
  return {
    x: tensor('float32', [n, IN], Float32Array.from({ length: n * IN }, () => r() * scale)),
    y: tensor('float32', [n, OUT], Float32Array.from({ length: n * OUT }, () => r())),
  };
}

function slice(bt: TensorBatch, from: number, to: number): TensorBatch {
  const x = bt.x!;
  const y = bt.y!;
  return {
    x: tensor('float32', [to - from, IN], (x.data as Float32Array).slice(from * IN, to * IN)),
    y: tensor('float32', [to - from, OUT], (y.data as Float32Array).slice(from * OUT, to * OUT)),
  };
}

const create = (o: Partial<Parameters<typeof TrainingSession.create>[0]> = {}) =>
  TrainingSession.create({ params: params(), model: mlp(), adamw: { weightDecay: 0.01 }, threads: 1, ...o });

const snapshot = (s: TrainingSession) => {
  const st = s.state();
  return [...st.params.values(), ...st.expAvg.values(), ...st.expAvgSq.values()].map((t) => Array.from(t.data as Float32Array));
};

describe('onnxruntime-node and WebAssembly memory (what the training buffers rely on: check on each upgrade)', () => {
  it('reads inputs from and writes pre-allocated outputs into views of a non-shared WebAssembly.Memory', async () => {
    const b = new GraphBuilder('double');
    b.output(b.mul(b.input('x', 'float32', [5]), b.scalar(2)), 'y');
    const session = await ort.InferenceSession.create(serializeModel(b.build()).model);
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1 });
    const x = new Float32Array(memory.buffer, 64, 5);
    const y = new Float32Array(memory.buffer, 1024, 5);
    x.set([1, 2, 3, 4, 5]);
    const out = await session.run({ x: new ort.Tensor('float32', x, [5]) }, { y: new ort.Tensor('float32', y, [5]) });
    assert.deepEqual(Array.from(y), [2, 4, 6, 8, 10], 'written in place, into WebAssembly memory');
    // onnxruntime-node 1.30 also returns a copy of every output (the cost docs/engine.md "Memory" counts).
    assert.deepEqual(Array.from(out.y!.data as Float32Array), [2, 4, 6, 8, 10]);
    await session.release();
  });
});

describe('TrainingSession', () => {
  it('updates its one buffer per tensor in place, allocating none per step', async () => {
    const s = await create();
    const first = new Map([...s.weights()].map(([name, t]) => [name, t.data]));
    let previous = Array.from(s.weights().get('l1.weight')!.data);
    for (let i = 0; i < 7; i++) {
      await s.step(batch(4, i), { lr: 0.01 });
      for (const [name, t] of s.weights()) assert.equal(t.data, first.get(name), `${name} is still the same Float32Array`);
      const now = Array.from(s.weights().get('l1.weight')!.data);
      assert.notDeepEqual(now, previous, 'and its contents changed');
      previous = now;
    }
    assert.equal(s.stepCount, 7);
    await s.dispose();
  });

  it('a non-finite loss throws TrainingDivergedError and keeps the last good weights and moments', async () => {
    for (const accumulationSteps of [1, 2]) {
      const s = await create({ accumulationSteps });
      const micro = (k: number, scale = 1) => (accumulationSteps === 1 ? batch(4, k, scale) : [batch(2, k), batch(2, k + 50, scale)]);
      await s.step(micro(1), { lr: 0.05 });
      await s.step(micro(2), { lr: 0.05 });
      const before = snapshot(s);
      const nanBatch = batch(4, 3);
      (nanBatch.x!.data as Float32Array)[2] = Number.NaN;
      const bad = accumulationSteps === 1 ? nanBatch : [batch(2, 3), slice(nanBatch, 0, 2)];
      await assert.rejects(s.step(bad, { lr: 0.05 }), (e: unknown) => {
        assert.ok(e instanceof TrainingDivergedError);
        assert.match(e.message, /^loss is NaN at step 3/);
        assert.equal(e.step, 3);
        return true;
      });
      assert.deepEqual(snapshot(s), before, 'weights and moments unchanged');
      assert.equal(s.stepCount, 2);
      // Huge inputs: the loss is +Infinity.
      await assert.rejects(s.step(micro(4, 1e30), { lr: 0.05 }), /loss is Infinity at step 3/);
      assert.deepEqual(snapshot(s), before);
      // The session carries on from the good state.
      const r = await s.step(micro(5), { lr: 0.05 });
      assert.equal(r.step, 3);
      assert.ok(Number.isFinite(r.loss));
      await s.dispose();
    }
  });

  it('a finite loss with a non-finite gradient norm throws too, and changes nothing', async () => {
    // loss = mean(√(x·w)): at x = 0 the loss is 0 but d√u/du = 1/(2√u) is infinite, so the gradient is NaN.
    const model: ModelFn = (b, w) => {
      const x = b.input('x', 'float32', ['batch', IN]);
      return { loss: b.reduceMean(b.sqrt(b.mul(x, w.get('w')!)), [0, 1], false) };
    };
    const s = await TrainingSession.create({ params: new Map([['w', tensor('float32', [IN], Float32Array.of(0.5, 1, 2))]]), model, threads: 1 });
    const ones = { x: tensor('float32', [2, IN], new Float32Array(2 * IN).fill(1)) };
    await s.step(ones, { lr: 0.1 });
    const before = snapshot(s);
    await assert.rejects(s.step({ x: tensor('float32', [2, IN], new Float32Array(2 * IN)) }, { lr: 0.1 }), (e: unknown) => {
      assert.ok(e instanceof TrainingDivergedError);
      assert.match(e.message, /^grad_norm is NaN at step 2; the weights of step 1 were kept/);
      return true;
    });
    assert.deepEqual(snapshot(s), before);
    assert.equal((await s.step(ones, { lr: 0.1 })).step, 2);
    await s.dispose();
  });

  it('rejects a batch that does not match the declared inputs, naming the input and the dims', async () => {
    const s = await create();
    const good = batch(4, 1);
    const bad = (b: Partial<Record<string, unknown>>) => ({ ...good, ...b }) as TensorBatch;
    const cases: [TensorBatch, RegExp][] = [
      [bad({ x: tensor('float32', [4, 5], new Float32Array(20)) }), /input 'x' has dims \[4, 5\] but the model declares \[batch, 3\] \(dim 1 must be 3\)/],
      [bad({ x: tensor('float32', [12], new Float32Array(12)) }), /input 'x' has dims \[12\] but the model declares \[batch, 3\] \(rank 1 instead of 2\)/],
      [{ x: good.x! }, /input 'y' is missing; the model declares it as float32 \[batch, 2\]/],
      [bad({ y: tensor('float32', [3, 2], new Float32Array(6)) }), /input 'y' has dims \[3, 2\] but the model declares \[batch, 2\] \(dim 0 is 'batch', which is 4 in input 'x'\)/],
      [bad({ y: tensor('float64', [4, 2], new Float64Array(8)) }), /input 'y' is float64, the model declares float32 \[batch, 2\]/],
      [bad({ labels: tensor('int64', [4], new BigInt64Array(4)) }), /unknown input 'labels'; the model declares 'x', 'y'/],
    ];
    for (const [b, re] of cases) {
      await assert.rejects(s.step(b, { lr: 0.01 }), (e: unknown) => {
        assert.ok(e instanceof BatchInputError, String(e));
        assert.match(e.message, re);
        assert.match(e.message, /^step 1: /);
        return true;
      });
    }
    assert.equal(s.stepCount, 0);
    await s.step(good, { lr: 0.01 });
    await s.dispose();
  });

  it('rethrows ONNX Runtime errors naming the graph and the step', async () => {
    const model: ModelFn = (b, w) => {
      const x = b.input('x', 'float32', ['n']);
      const rows = b.reshape(x, [-1, 2]); // fails at run time when n is odd
      return { loss: b.reduceSumSquareAll(b.mul(rows, w.get('w')!)) };
    };
    const s = await TrainingSession.create({ params: new Map([['w', tensor('float32', [2], Float32Array.of(1, 2))]]), model, threads: 1 });
    await s.step({ x: tensor('float32', [4], Float32Array.of(1, 2, 3, 4)) }, { lr: 0.1 });
    await assert.rejects(s.step({ x: tensor('float32', [3], Float32Array.of(1, 2, 3)) }, { lr: 0.1 }), (e: unknown) => {
      assert.ok(e instanceof EngineRuntimeError);
      assert.match(e.message, /^ONNX Runtime failed running graph 'train' at step 2: /);
      return true;
    });
    await s.dispose();
  });

  it('is deterministic for a seed, dropout included', async () => {
    const run = async (seed: number) => {
      const s = await create({ model: mlp(0.3), seed });
      const losses: number[] = [];
      for (let i = 0; i < 6; i++) losses.push((await s.step(batch(8, i), { lr: 0.02 })).loss);
      await s.dispose();
      return losses;
    };
    const a = await run(7);
    const b = await run(7);
    const c = await run(8);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c, 'a different seed gives other dropout masks');
  });

  it('state() and loadState() round-trip weights, moments and the step counter', async () => {
    const a = await create();
    for (let i = 0; i < 3; i++) await a.step(batch(4, i), { lr: 0.05 });
    const st = a.state();
    assert.equal(st.step, 3);
    const b = await create({ params: params(99) });
    b.loadState(st);
    assert.equal(b.stepCount, 3);
    assert.deepEqual(snapshot(b), snapshot(a));
    // state() is a copy: changing it changes nothing in the session.
    st.params.get('l1.weight')!.data[0] = 1234;
    assert.notEqual(a.weights().get('l1.weight')!.data[0], 1234);
    // Both continue identically (the bias correction uses the restored step).
    for (let i = 3; i < 5; i++) {
      const ra = await a.step(batch(4, i), { lr: 0.05 });
      const rb = await b.step(batch(4, i), { lr: 0.05 });
      assert.deepEqual(rb, ra);
    }
    assert.deepEqual(snapshot(b), snapshot(a));
    assert.throws(() => b.loadState({ ...a.state(), params: new Map([...a.state().params].filter(([k]) => k !== 'l2.bias')) }), /parameter 'l2.bias' is missing/);
    const wrong = a.state();
    wrong.params.set('l2.bias', tensor('float32', [3], new Float32Array(3)));
    assert.throws(() => b.loadState(wrong), /'l2.bias' is float32 \[3\], expected float32 \[2\]/);
    await a.dispose();
    await b.dispose();
  });

  it('2 micro-batches of 2 accumulate to the step of one batch of 4 (mean loss)', async () => {
    const one = await create({ maxGradNorm: 0.3 });
    const acc = await create({ maxGradNorm: 0.3, accumulationSteps: 2 });
    for (let i = 0; i < 4; i++) {
      const full = batch(4, i);
      const r1 = await one.step(full, { lr: 0.05 });
      const r2 = await acc.step([slice(full, 0, 2), slice(full, 2, 4)], { lr: 0.05 });
      assert.ok(Math.abs(r1.loss - r2.loss) < 1e-6, `loss ${r1.loss} vs ${r2.loss}`);
      assert.ok(Math.abs(r1.gradNorm - r2.gradNorm) < 1e-6, `grad norm ${r1.gradNorm} vs ${r2.gradNorm}`);
    }
    const a = snapshot(one).flat();
    const b = snapshot(acc).flat();
    const worst = Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
    assert.ok(worst < 1e-6, `max |Δ| ${worst}`);
    await assert.rejects(acc.step([batch(2, 1), batch(2, 2), batch(2, 3)], { lr: 0.05 }), /3 micro-batches given but the session accumulates 2/);
    await one.dispose();
    await acc.dispose();
  });

  it('optimizer state split over several WebAssembly memories trains to the same bits, with and without accumulation', async () => {
    for (const accumulationSteps of [1, 2]) {
      const one = await create({ accumulationSteps, model: mlp(0.2) });
      // 256 bytes of state per memory: each tensor (≤ 16 floats here) gets a memory of its own.
      const many = await create({ accumulationSteps, model: mlp(0.2), optimizerShardBytes: 256 });
      assert.equal(one.optimizerShards, 1);
      assert.equal(many.optimizerShards, 4);
      for (let i = 0; i < 3; i++) {
        const micro = accumulationSteps === 1 ? batch(4, i) : [slice(batch(4, i), 0, 2), slice(batch(4, i), 2, 4)];
        assert.deepEqual(await many.step(micro, { lr: 0.05 }), await one.step(micro, { lr: 0.05 }));
      }
      assert.deepEqual(snapshot(many), snapshot(one));
      await one.dispose();
      await many.dispose();
    }
  });

  it('evaluates with the current weights, dropout off, and predicts without labels', async () => {
    const s = await create({ model: mlp(0.5) });
    await s.step(batch(4, 1), { lr: 0.05 });
    const b = batch(4, 2);
    const e1 = await s.evaluate(b);
    const e2 = await s.evaluate(b);
    assert.equal(e1.loss, e2.loss, 'no dropout in evaluation');
    assert.deepEqual(e1.outputs.pred!.dims, [4, OUT]);
    // The loss recomputed from the predictions.
    const pred = e1.outputs.pred!.data as Float32Array;
    const y = b.y!.data as Float32Array;
    const mse = pred.reduce((a, p, i) => a + (p - y[i]!) ** 2, 0) / pred.length;
    assert.ok(Math.abs(mse - e1.loss!) < 1e-6);
    const p = await s.evaluate({ x: b.x! }, { outputs: ['pred'] });
    assert.equal(p.loss, undefined);
    assert.deepEqual(Array.from(p.outputs.pred!.data as Float32Array), Array.from(pred));
    await assert.rejects(s.evaluate(b, { outputs: ['logits'] }), /no output 'logits'/);
    await s.dispose();
  });

  it('fails clearly for an execution provider the binding lacks', async () => {
    await assert.rejects(create({ executionProvider: 'tpu' as never }), (e: unknown) => {
      assert.ok(e instanceof EngineRuntimeError);
      assert.match(e.message, /execution provider 'tpu' is not available in this onnxruntime-node build \(available: cpu/);
      return true;
    });
  });
});
