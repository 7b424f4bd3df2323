/**
 * The training step (graph gradients + the WebAssembly optimizer) against a hand-written float64 reference of PyTorch's update rule
 * (`clip_grad_norm_` then `torch.optim.AdamW`, amsgrad off), on a linear regression whose
 * gradients are written out by hand too.
 *
 * Tolerance 1e-6 absolute: every quantity compared is O(1) or smaller (weights and targets in
 * [-1, 1], lr ≤ 0.1, a few steps), so float32 rounding (relative 6e-8 per op, a few dozen ops
 * per value) stays near 1e-7, while a wrong rule (a missing bias correction, decay applied to
 * a bias, an unclipped gradient, eps in the wrong place at these sizes) is off by ≥ 1e-4.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type TensorBatch,
  type GraphBuilder,
  type LayerContext,
  type ModelFn,
  TrainingSession,
  buildTrainingGraphs,
  decaysByDefault,
  linear,
  tensor,
  trainNames,
} from '../../src/engine/index.ts';
import type { Value } from '../../src/engine/index.ts';

const IN = 3;
const OUT = 2;

/** pred = x·Wᵀ + b, loss = mean((pred − y)²); `unused.weight` is a parameter the loss ignores. */
const model: ModelFn = (b: GraphBuilder, p: ReadonlyMap<string, Value>, _ctx: LayerContext) => {
  const x = b.input('x', 'float32', ['batch', IN]);
  const y = b.input('y', 'float32', ['batch', OUT]);
  const pred = linear(b, x, p.get('dense.weight')!, p.get('dense.bias')!);
  const d = b.sub(pred, y);
  return { loss: b.reduceMean(b.mul(d, d), [0, 1], false), outputs: { pred } };
};

const wave = (n: number, k: number) => Array.from({ length: n }, (_, i) => Math.round(Math.sin(i * 1.37 + k) * 1000) / 1000);
const W0 = wave(OUT * IN, 1);
const B0 = wave(OUT, 2).map((v) => v * 0.5);
const U0 = wave(4, 3);
const X = wave(4 * IN, 4);
const Y = wave(4 * OUT, 5);

function params() {
  return new Map([
    ['dense.weight', tensor('float32', [OUT, IN], Float32Array.from(W0))],
    ['dense.bias', tensor('float32', [OUT], Float32Array.from(B0))],
    ['unused.weight', tensor('float32', [4], Float32Array.from(U0))],
  ]);
}

function batch(rows: number[]): TensorBatch {
  return {
    x: tensor('float32', [rows.length, IN], Float32Array.from(rows.flatMap((r) => X.slice(r * IN, r * IN + IN)))),
    y: tensor('float32', [rows.length, OUT], Float32Array.from(rows.flatMap((r) => Y.slice(r * OUT, r * OUT + OUT)))),
  };
}

// ---- the float64 reference -----------------------------------------------------------------

interface RefState {
  w: number[];
  b: number[];
  mw: number[];
  vw: number[];
  mb: number[];
  vb: number[];
  t: number;
}

/** Loss and gradients of mean((x·Wᵀ + b − y)²) over the given rows. */
function lossAndGrads(s: RefState, rows: number[]) {
  const n = rows.length * OUT;
  const gw = new Array(OUT * IN).fill(0);
  const gb = new Array(OUT).fill(0);
  let loss = 0;
  for (const r of rows) {
    for (let o = 0; o < OUT; o++) {
      let pred = s.b[o]!;
      for (let i = 0; i < IN; i++) pred += X[r * IN + i]! * s.w[o * IN + i]!;
      const d = pred - Y[r * OUT + o]!;
      loss += (d * d) / n;
      gb[o] += (2 * d) / n;
      for (let i = 0; i < IN; i++) gw[o * IN + i] += ((2 * d) / n) * X[r * IN + i]!;
    }
  }
  return { loss, gw, gb };
}

interface Hyper {
  lr: number;
  wd: number;
  maxNorm: number;
  beta1: number;
  beta2: number;
  eps: number;
}

/** One optimizer step over micro-batches, exactly as HF Trainer + PyTorch do it. */
function refStep(s: RefState, micro: number[][], h: Hyper) {
  const gw = new Array(OUT * IN).fill(0);
  const gb = new Array(OUT).fill(0);
  let loss = 0;
  for (const rows of micro) {
    const r = lossAndGrads(s, rows);
    loss += r.loss / micro.length;
    r.gw.forEach((g, i) => (gw[i] += g / micro.length));
    r.gb.forEach((g, i) => (gb[i] += g / micro.length));
  }
  // clip_grad_norm_
  const norm = Math.sqrt([...gw, ...gb].reduce((a, g) => a + g * g, 0));
  const coef = Math.min(h.maxNorm / (norm + 1e-6), 1);
  s.t += 1;
  const adamw = (p: number[], g: number[], m: number[], v: number[], decay: boolean) => {
    const bc1 = 1 - h.beta1 ** s.t;
    const bc2 = 1 - h.beta2 ** s.t;
    for (let i = 0; i < p.length; i++) {
      const gi = g[i]! * coef;
      if (decay) p[i] = p[i]! * (1 - h.lr * h.wd);
      m[i] = h.beta1 * m[i]! + (1 - h.beta1) * gi;
      v[i] = h.beta2 * v[i]! + (1 - h.beta2) * gi * gi;
      const stepSize = h.lr / bc1;
      const denom = Math.sqrt(v[i]!) / Math.sqrt(bc2) + h.eps;
      p[i] = p[i]! - (stepSize * m[i]!) / denom;
    }
  };
  adamw(s.w, gw, s.mw, s.vw, true);
  adamw(s.b, gb, s.mb, s.vb, false);
  return { loss, norm };
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    assert.ok(d <= tol, `${what}[${i}]: got ${actual[i]}, expected ${expected[i]} (|Δ| = ${d.toExponential(2)} > ${tol})`);
  }
}

async function compareWithReference(accumulation: number, schedule: { lr: number; micro: number[][] }[], h: Omit<Hyper, 'lr'>) {
  const session = await TrainingSession.create({
    params: params(),
    model,
    adamw: { weightDecay: h.wd, betas: [h.beta1, h.beta2], eps: h.eps },
    maxGradNorm: h.maxNorm,
    accumulationSteps: accumulation,
    threads: 1,
  });
  const s: RefState = { w: [...W0], b: [...B0], mw: new Array(OUT * IN).fill(0), vw: new Array(OUT * IN).fill(0), mb: [0, 0], vb: [0, 0], t: 0 };
  const norms: number[] = [];
  for (const [k, { lr, micro }] of schedule.entries()) {
    const got = await session.step(
      micro.map((rows) => batch(rows)),
      { lr },
    );
    const want = refStep(s, micro, { ...h, lr });
    norms.push(want.norm);
    assert.equal(got.step, k + 1);
    assert.ok(Math.abs(got.loss - want.loss) <= 1e-6, `step ${k + 1} loss ${got.loss} vs ${want.loss}`);
    assert.ok(Math.abs(got.gradNorm - want.norm) <= 1e-6, `step ${k + 1} grad norm ${got.gradNorm} vs ${want.norm}`);
    const st = session.state();
    close(st.params.get('dense.weight')!.data, s.w, 1e-6, `step ${k + 1} dense.weight`);
    close(st.params.get('dense.bias')!.data, s.b, 1e-6, `step ${k + 1} dense.bias`);
    close(st.expAvg.get('dense.weight')!.data, s.mw, 1e-6, `step ${k + 1} exp_avg`);
    close(st.expAvgSq.get('dense.weight')!.data, s.vw, 1e-6, `step ${k + 1} exp_avg_sq`);
    close(st.expAvg.get('dense.bias')!.data, s.mb, 1e-6, `step ${k + 1} bias exp_avg`);
    close(st.expAvgSq.get('dense.bias')!.data, s.vb, 1e-6, `step ${k + 1} bias exp_avg_sq`);
    // The parameter the loss ignores is passed through untouched, its moments too.
    assert.deepEqual(Array.from(st.params.get('unused.weight')!.data), Array.from(Float32Array.from(U0)));
    assert.deepEqual(Array.from(st.expAvg.get('unused.weight')!.data), [0, 0, 0, 0]);
  }
  assert.equal(session.stepCount, schedule.length);
  await session.dispose();
  return norms;
}

const hyper = { wd: 0.1, maxNorm: 0.5, beta1: 0.9, beta2: 0.999, eps: 1e-8 };

describe('a training step (gradients from the graph, clipping and AdamW in WebAssembly) matches PyTorch semantics', () => {
  it('accumulation 1: weight decay on the weight, none on the bias, clipping active, lr 0 step', async () => {
    const all = [0, 1, 2, 3];
    const norms = await compareWithReference(
      1,
      [
        { lr: 0.1, micro: [all] },
        { lr: 0.05, micro: [all] },
        { lr: 0, micro: [all] },
        { lr: 0.08, micro: [[0, 2, 3]] },
        { lr: 0.02, micro: [all] },
      ],
      hyper,
    );
    assert.ok(norms.some((n) => n > hyper.maxNorm * 1.5), `clipping must be active in this test (norms ${norms.join(', ')})`);
  });

  it('accumulation 2: micro-batch gradients summed with the loss divided by 2, then clipped', async () => {
    const norms = await compareWithReference(
      2,
      [
        { lr: 0.1, micro: [[0, 1], [2, 3]] },
        { lr: 0.05, micro: [[3, 1], [0, 2]] },
        { lr: 0.07, micro: [[0, 1], [2, 3]] },
        // the last window of an epoch may be short: one micro-batch, not divided by 2
        { lr: 0.03, micro: [[1, 2]] },
      ],
      hyper,
    );
    assert.ok(norms.some((n) => n > hyper.maxNorm * 1.5));
  });

  it('without clipping and with other betas/eps', async () => {
    await compareWithReference(
      1,
      [
        { lr: 0.1, micro: [[0, 1, 2, 3]] },
        { lr: 0.1, micro: [[0, 1, 2, 3]] },
        { lr: 0.1, micro: [[0, 1, 2, 3]] },
      ],
      { wd: 0.01, maxNorm: 1e9, beta1: 0.8, beta2: 0.99, eps: 1e-3 },
    );
  });

  it('the reference is sensitive: a wrong rule would fail at this tolerance', () => {
    // Bias decayed by mistake, or no clipping: both move the result by far more than 1e-6.
    const base = { w: [...W0], b: [...B0], mw: new Array(6).fill(0), vw: new Array(6).fill(0), mb: [0, 0], vb: [0, 0], t: 0 };
    const a = structuredClone(base);
    const c = structuredClone(base);
    refStep(a, [[0, 1, 2, 3]], { ...hyper, lr: 0.1 });
    refStep(c, [[0, 1, 2, 3]], { ...hyper, lr: 0.1, maxNorm: 1e9 });
    const diff = Math.max(...a.mw.map((m, i) => Math.abs(m - c.mw[i]!)));
    assert.ok(diff > 1e-4, `clipping changes exp_avg by ${diff}`);
  });
});

describe('training graphs', () => {
  const specs = [
    { name: 'dense.weight', dims: [OUT, IN] },
    { name: 'dense.bias', dims: [OUT] },
    { name: 'unused.weight', dims: [4] },
  ];

  it('accumulation 1: outputs the loss and each gradient; no optimizer in the graph', () => {
    const g = buildTrainingGraphs({ params: specs, model });
    assert.equal(g.accumulates, false);
    assert.deepEqual(g.trainable, ['dense.weight', 'dense.bias']);
    assert.deepEqual(g.frozen, ['unused.weight']);
    assert.deepEqual(
      g.batchInputs.map((v) => v.name),
      ['x', 'y'],
    );
    assert.deepEqual(
      g.graph.outputs.map((v) => v.name),
      ['loss', 'grad/dense.weight', 'grad/dense.bias'],
    );
    const ins = g.graph.inputs.map((v) => v.name);
    assert.deepEqual(ins.sort(), ['dense.bias', 'dense.weight', 'training', 'unused.weight', 'x', 'y']);
    const ops = new Set(g.graph.nodes.map((n) => n.op));
    for (const op of ['Sqrt', 'Where', 'ReduceSumSquare']) assert.ok(!ops.has(op), `no ${op}: the update is not in the graph`);
  });

  it('accumulation > 1: the gradient is added into sums fed and fetched in place', () => {
    const g = buildTrainingGraphs({ params: specs, model, accumulation: 4 });
    assert.equal(g.accumulates, true);
    assert.deepEqual(
      g.graph.outputs.map((v) => v.name),
      ['loss', 'new_grad_sum/dense.weight', 'new_grad_sum/dense.bias'],
    );
    const ins = g.graph.inputs.map((v) => v.name);
    for (const n of [trainNames.lossScale, 'grad_sum/dense.weight', 'grad_sum/dense.bias']) assert.ok(ins.includes(n), n);
  });

  it('the default decay rule follows the Hugging Face Trainer', () => {
    for (const n of ['bert.encoder.layer.0.attention.output.dense.bias', 'classifier.bias', 'bert.embeddings.LayerNorm.weight', 'x.layer_norm.weight', 'y.layernorm.weight', 'z.LAYERNORM.WEIGHT']) {
      assert.equal(decaysByDefault(n), false, n);
    }
    for (const n of ['bert.embeddings.word_embeddings.weight', 'classifier.weight', 'bert.encoder.layer.0.intermediate.dense.weight', 'bert.embeddings.LayerNorm.bias.extra.weight']) {
      assert.equal(decaysByDefault(n), true, n);
    }
  });

  it('a custom decay predicate is honoured', async () => {
    const session = await TrainingSession.create({
      params: params(),
      model,
      adamw: { weightDecay: 0.5, decay: (n) => n === 'dense.bias' },
      maxGradNorm: 0,
      threads: 1,
    });
    // With lr·wd = 0.05 and a zero gradient contribution impossible to isolate, compare the
    // bias to a run without decay: it must differ by exactly the decay term p·lr·wd.
    const plain = await TrainingSession.create({ params: params(), model, adamw: { weightDecay: 0 }, maxGradNorm: 0, threads: 1 });
    await session.step(batch([0, 1, 2, 3]), { lr: 0.1 });
    await plain.step(batch([0, 1, 2, 3]), { lr: 0.1 });
    const bd = session.weights().get('dense.bias')!.data;
    const bp = plain.weights().get('dense.bias')!.data;
    close(Array.from(bd, (v, i) => v - bp[i]!), B0.map((v) => -v * 0.1 * 0.5), 1e-6, 'decay term on bias');
    close(session.weights().get('dense.weight')!.data, plain.weights().get('dense.weight')!.data, 0, 'weight not decayed');
    await session.dispose();
    await plain.dispose();
  });
});
