/**
 * Finite-difference checking of the autodiff rules (src/engine/autodiff/rules.ts).
 *
 * For an op under test we build, from one description, two ONNX models:
 *   - forward:  the op applied to graph inputs, and a scalar loss L = Σ_k ReduceSum(out_k ⊙ R_k)
 *               where R_k is a fixed random tensor (so every output element counts, each with a
 *               different weight, and a rule that mixes up elements cannot pass by symmetry);
 *   - gradient: the same, plus `grad(builder, L, params)`, with each gradient as an output.
 * The gradient model is run once; each element of each analytic gradient is then compared with
 * the central difference (L(x + h·e_i) − L(x − h·e_i)) / (2h) from the forward model.
 */
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import type { DType } from '../../src/engine/dtype.ts';
import { GraphBuilder, type Node, type Shape, type Value } from '../../src/engine/graph.ts';
import { serializeModel } from '../../src/engine/onnx.ts';
import { grad } from '../../src/engine/autodiff/grad.ts';

/** A tiny seeded PRNG (mulberry32): uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Data = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

/** A JS typed array for `dtype` holding `values`. */
export function typed(dtype: DType, values: ArrayLike<number>): Data {
  switch (dtype) {
    case 'float32':
      return Float32Array.from(values);
    case 'float64':
      return Float64Array.from(values);
    case 'int64':
      return BigInt64Array.from(Array.from(values, (v) => BigInt(v)));
    case 'int32':
      return Int32Array.from(values);
    case 'bool':
      return Uint8Array.from(values, (v) => (v ? 1 : 0));
    default:
      throw new Error(`gradcheck: no test data of type ${dtype}`);
  }
}

const size = (dims: readonly number[]) => dims.reduce((p, d) => p * d, 1);

export interface InputSpec {
  name: string;
  dtype: DType;
  /** The declared shape; may hold symbols (`'batch'`) or `null`, in which case give `dims`. */
  shape: Shape;
  /** The concrete dims fed at run time (default: `shape`, which must then be all numbers). */
  dims?: readonly number[];
  /** Fixed data; default: uniform random in `range` from the seeded PRNG. */
  data?: ArrayLike<number>;
  /** Range of the random data (default [-1, 1]). */
  range?: readonly [number, number];
  /** Whether the input is a parameter of `grad` (default: true for float inputs). */
  param?: boolean;
}

export interface GradCase {
  inputs: readonly InputSpec[];
  /** Applies the op under test; returns the outputs that the loss weights with random tensors. */
  forward: (b: GraphBuilder, ins: Record<string, Value>) => Value | readonly Value[];
  /** Seed of the PRNG behind the input data and the weights R (default 1). */
  seed?: number;
  /** Finite-difference step. */
  eps?: number;
  /** An analytic value a passes against the numeric value n when |a − n| ≤ atol + rtol·|n|. */
  rtol?: number;
  atol?: number;
  /** Parameters expected to get no gradient at all (the loss does not depend on them). */
  absent?: readonly string[];
}

/**
 * Tolerances. float64: a central difference has truncation error ~h²·f‴/6 ≈ 1e-12 and rounding
 * error ~ulp(L)/h ≈ 1e-10 at h = 1e-6, so 1e-6 leaves a wide margin yet catches any real mistake.
 * float32: ulp(L) ≈ 1e-7·|L|, so h must be large (1e-2) for the rounding error (~1e-5) to stay
 * small, which makes the truncation error ~1e-4·f‴; 1e-2 relative + 1e-2 absolute covers both.
 */
export const TOLERANCES: Record<'float32' | 'float64', { eps: number; rtol: number; atol: number }> = {
  float64: { eps: 1e-6, rtol: 1e-6, atol: 1e-6 },
  float32: { eps: 1e-2, rtol: 1e-2, atol: 1e-2 },
};

export interface Feeds {
  [name: string]: ort.Tensor;
}

export async function session(b: GraphBuilder): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(serializeModel(b.build()).model);
}

function numbers(t: ort.Tensor): number[] {
  return Array.from(t.data as ArrayLike<number | bigint>, Number);
}

interface Built {
  b: GraphBuilder;
  ins: Record<string, Value>;
  outs: Value[];
}

function declare(c: GradCase): Built {
  const b = new GraphBuilder('gradcheck');
  const ins: Record<string, Value> = {};
  for (const s of c.inputs) ins[s.name] = b.input(s.name, s.dtype, s.shape);
  const r = c.forward(b, ins);
  const outs = Array.isArray(r) ? [...(r as readonly Value[])] : [r as Value];
  return { b, ins, outs };
}

/**
 * Adds L = Σ_k ReduceSum(out_k ⊙ R_k) (as output `loss`) and returns it. Each R_k is a graph
 * input declared with out_k's own (possibly symbolic) shape, so that the loss does not add
 * static shape information the op under test lacks.
 */
function addLoss(built: Built, weights: readonly { dims: number[] }[]): Value {
  const { b, outs } = built;
  const terms = outs.map((o, k) => {
    const r = b.input(`R${k}`, o.dtype, o.shape ?? weights[k]!.dims);
    return b.reduceSum(b.mul(o, r), [], false);
  });
  const loss = b.sum(terms);
  b.output(loss, 'loss');
  return loss;
}

export interface CaseResult {
  /** Elements compared, over all parameters. */
  checked: number;
  /** The largest |analytic − numeric| seen. */
  maxError: number;
  /** The gradients, by parameter name (flattened). */
  grads: Map<string, number[]>;
  /** The nodes `grad` appended (to check which ops the backward pass used). */
  backward: readonly Node[];
}

/** The feeds of a case, from the seeded PRNG. */
export function makeFeeds(c: GradCase, rng: () => number): { feeds: Feeds; values: Map<string, number[]> } {
  const feeds: Feeds = {};
  const values = new Map<string, number[]>();
  for (const s of c.inputs) {
    const dims = s.dims ?? (s.shape as number[]);
    if (!dims.every((d) => typeof d === 'number')) throw new Error(`gradcheck: input '${s.name}' needs concrete dims`);
    const [lo, hi] = s.range ?? [-1, 1];
    const vals = s.data ? Array.from(s.data) : Array.from({ length: size(dims) }, () => lo + (hi - lo) * rng());
    assert.equal(vals.length, size(dims), `data of '${s.name}'`);
    const data = typed(s.dtype, vals);
    values.set(s.name, Array.from(data as ArrayLike<number | bigint>, Number));
    feeds[s.name] = new ort.Tensor(s.dtype as 'float32', data as Float32Array, [...dims]);
  }
  return { feeds, values };
}

/**
 * Checks every element of every analytic gradient of a case against central differences.
 * Throws (an assertion error) on the first mismatch, naming the parameter and element.
 */
export async function gradcheck(c: GradCase): Promise<CaseResult> {
  const rng = mulberry32(c.seed ?? 1);
  const { feeds, values } = makeFeeds(c, rng);
  const params = c.inputs.filter((s) => s.param ?? (s.dtype === 'float32' || s.dtype === 'float64'));
  const fdtype = params[0]?.dtype === 'float32' ? 'float32' : 'float64';
  const tol = { ...TOLERANCES[fdtype], ...(c.eps ? { eps: c.eps } : {}), ...(c.rtol ? { rtol: c.rtol } : {}), ...(c.atol ? { atol: c.atol } : {}) };

  // The dims of the outputs, to size the weights: from static shapes, else from a probe run.
  const probe = declare(c);
  let outDims: number[][];
  if (probe.outs.every((o) => o.shape && o.shape.every((d) => typeof d === 'number'))) {
    outDims = probe.outs.map((o) => [...(o.shape as number[])]);
  } else {
    probe.outs.forEach((o, k) => probe.b.output(o, `out${k}`));
    const s = await session(probe.b);
    const r = await s.run(feeds);
    outDims = probe.outs.map((_, k) => [...r[`out${k}`]!.dims]);
    await s.release();
  }
  const weights = probe.outs.map((o, k) => {
    const dims = outDims[k]!;
    feeds[`R${k}`] = new ort.Tensor(o.dtype as 'float32', typed(o.dtype, Array.from({ length: size(dims) }, () => 2 * rng() - 1)) as Float32Array, dims);
    return { dims };
  });

  // The gradient model.
  const gm = declare(c);
  const loss = addLoss(gm, weights);
  const before = gm.b.nodes.length;
  const grads = grad(gm.b, loss, params.map((p) => gm.ins[p.name]!));
  const backward = gm.b.nodes.slice(before);
  for (const name of c.absent ?? []) assert.ok(!grads.has(name), `'${name}' should get no gradient`);
  for (const p of params) {
    if (c.absent?.includes(p.name)) continue;
    assert.ok(grads.has(p.name), `no gradient for '${p.name}'`);
    gm.b.output(grads.get(p.name)!, `grad_${p.name}`);
  }
  const gs = await session(gm.b);
  const gr = await gs.run(feeds);
  await gs.release();

  // The forward model, for the finite differences.
  const fm = declare(c);
  addLoss(fm, weights);
  const fs = await session(fm.b);
  const lossAt = async (f: Feeds) => numbers((await fs.run(f, ['loss'])).loss!)[0]!;

  const result: CaseResult = { checked: 0, maxError: 0, grads: new Map(), backward };
  for (const p of params) {
    if (c.absent?.includes(p.name)) continue;
    const g = gr[`grad_${p.name}`]!;
    const dims = p.dims ?? (p.shape as number[]);
    assert.deepEqual([...g.dims], [...dims], `gradient of '${p.name}' has the dims of '${p.name}'`);
    assert.equal(g.type, p.dtype, `gradient of '${p.name}' has the type of '${p.name}'`);
    const analytic = numbers(g);
    result.grads.set(p.name, analytic);
    const base = values.get(p.name)!;
    for (let i = 0; i < base.length; i++) {
      const at = (delta: number) => {
        const v = [...base];
        v[i] = base[i]! + delta;
        const data = typed(p.dtype, v);
        return { feed: new ort.Tensor(p.dtype as 'float32', data as Float32Array, [...dims]), x: Number(data[i]) };
      };
      const plus = at(tol.eps);
      const minus = at(-tol.eps);
      // Divide by the step actually taken: in float32, x ± h is rounded.
      const numeric = ((await lossAt({ ...feeds, [p.name]: plus.feed })) - (await lossAt({ ...feeds, [p.name]: minus.feed }))) / (plus.x - minus.x);
      const a = analytic[i]!;
      const err = Math.abs(a - numeric);
      result.maxError = Math.max(result.maxError, err);
      result.checked++;
      assert.ok(
        err <= tol.atol + tol.rtol * Math.abs(numeric),
        `d loss / d ${p.name}[${i}]: analytic ${a} vs numeric ${numeric} (|diff| ${err.toExponential(2)}, eps ${tol.eps}, rtol ${tol.rtol}, atol ${tol.atol})`,
      );
    }
  }
  await fs.release();
  return result;
}
