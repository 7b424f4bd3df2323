/**
 * One vector-Jacobian rule per ONNX op, each a few standard ONNX ops (no training-only
 * contrib ops: they are not in the inference builds we run on). Each rule has its own
 * finite-difference test in test/engine/grad-rules.test.ts.
 */
import { GraphError, type GraphBuilder, int, type Value } from '../graph.ts';
import type { GradContext, GradRule } from './context.ts';
import { unbroadcast } from './broadcast.ts';

function attrInt(c: GradContext, name: string, fallback: number): number {
  const a = c.node.attrs[name];
  return a && a.kind === 'int' ? a.value : fallback;
}

function attrFloat(c: GradContext, name: string, fallback: number): number {
  const a = c.node.attrs[name];
  return a && a.kind === 'float' ? a.value : fallback;
}

/** The integer values of a constant input (axes, starts …); rules need them at build time. */
function constInput(c: GradContext, i: number): number[] | undefined {
  const v = c.inputs[i];
  if (!v) return undefined;
  const t = c.b.constantData(v);
  if (!t) throw new GraphError(`grad of ${c.node.op} '${c.node.name}': input ${i} '${v.name}' must be a constant`);
  return Array.from(t.data as ArrayLike<number | bigint>, Number);
}

function rankOf(c: GradContext, v: Value): number {
  if (!v.shape) throw new GraphError(`grad of ${c.node.op} '${c.node.name}': the rank of '${v.name}' is unknown`);
  return v.shape.length;
}

function x(c: GradContext, i = 0): Value {
  return c.inputs[i]!;
}

const dy = (c: GradContext): Value => c.dys[0]!;

function zerosLike(b: GraphBuilder, v: Value): Value {
  return b.mul(v, b.scalar(0, v.dtype));
}

/** Swaps the last two axes. */
function transposeLast2(b: GraphBuilder, v: Value, rank: number): Value {
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 1] = rank - 2;
  perm[rank - 2] = rank - 1;
  return b.transpose(v, perm);
}

/** Broadcasts a reduced gradient back over `axes` of `input` (inverse of a reduction). */
function expandBack(c: GradContext, g: Value, input: Value, axes: readonly number[] | undefined, keepdims: boolean): Value {
  const b = c.b;
  const rank = rankOf(c, input);
  let kept = g;
  if (!keepdims) {
    const all = axes === undefined || axes.length === 0 ? Array.from({ length: rank }, (_, i) => i) : axes.map((a) => (a < 0 ? a + rank : a));
    kept = b.unsqueeze(g, [...all].sort((p, q) => p - q));
  }
  return b.expand(kept, b.shape(input));
}

function countRatio(c: GradContext, input: Value, output: Value): Value {
  const b = c.b;
  return b.cast(b.div(b.op1('Size', [input]), b.op1('Size', [output])), input.dtype);
}

export const gradRules: Record<string, GradRule> = {
  Identity: (c) => [dy(c)],

  Add: (c) => [c.wants(0) ? unbroadcast(c.b, dy(c), x(c, 0)) : undefined, c.wants(1) ? unbroadcast(c.b, dy(c), x(c, 1)) : undefined],

  Sub: (c) => [
    c.wants(0) ? unbroadcast(c.b, dy(c), x(c, 0)) : undefined,
    c.wants(1) ? unbroadcast(c.b, c.b.neg(dy(c)), x(c, 1)) : undefined,
  ],

  Mul: (c) => [
    c.wants(0) ? unbroadcast(c.b, c.b.mul(dy(c), x(c, 1)), x(c, 0)) : undefined,
    c.wants(1) ? unbroadcast(c.b, c.b.mul(dy(c), x(c, 0)), x(c, 1)) : undefined,
  ],

  // d(a/b)/db = -a/b² = -y/b
  Div: (c) => [
    c.wants(0) ? unbroadcast(c.b, c.b.div(dy(c), x(c, 1)), x(c, 0)) : undefined,
    c.wants(1) ? unbroadcast(c.b, c.b.neg(c.b.div(c.b.mul(dy(c), c.outputs[0]!), x(c, 1))), x(c, 1)) : undefined,
  ],

  Sum: (c) => c.inputs.map((v, i) => (c.wants(i) ? unbroadcast(c.b, dy(c), v!) : undefined)),

  Neg: (c) => [c.b.neg(dy(c))],

  // d erf(x)/dx = 2/√π · exp(−x²)
  Erf: (c) => {
    const b = c.b;
    const v = x(c);
    return [b.mul(dy(c), b.mul(b.scalar(2 / Math.sqrt(Math.PI), v.dtype), b.exp(b.neg(b.mul(v, v)))))];
  },

  // d gelu(x)/dx = Φ(x) + x·φ(x), recomputed from x alone so the forward keeps nothing else.
  Gelu: (c) => {
    const b = c.b;
    const v = x(c);
    const dt = v.dtype;
    const cdf = b.mul(b.add(b.erf(b.mul(v, b.scalar(Math.SQRT1_2, dt))), b.scalar(1, dt)), b.scalar(0.5, dt));
    const pdf = b.mul(b.exp(b.mul(b.mul(v, v), b.scalar(-0.5, dt))), b.scalar(1 / Math.sqrt(2 * Math.PI), dt));
    return [b.mul(dy(c), b.add(cdf, b.mul(v, pdf)))];
  },

  Tanh: (c) => {
    const b = c.b;
    const y = c.outputs[0]!;
    return [b.mul(dy(c), b.sub(b.scalar(1, y.dtype), b.mul(y, y)))];
  },

  Sqrt: (c) => [c.b.div(c.b.mul(dy(c), c.b.scalar(0.5, x(c).dtype)), c.outputs[0]!)],

  Exp: (c) => [c.b.mul(dy(c), c.outputs[0]!)],

  Log: (c) => [c.b.div(dy(c), x(c))],

  Relu: (c) => [c.b.where(c.b.op1('Greater', [x(c), c.b.scalar(0, x(c).dtype)]), dy(c), zerosLike(c.b, dy(c)))],

  Sigmoid: (c) => {
    const b = c.b;
    const y = c.outputs[0]!;
    return [b.mul(dy(c), b.mul(y, b.sub(b.scalar(1, y.dtype), y)))];
  },

  // d(a^p)/da = p·a^(p−1);  d(a^p)/dp = a^p·ln a
  Pow: (c) => {
    const b = c.b;
    const [a, p] = [x(c, 0), x(c, 1)];
    const y = c.outputs[0]!;
    const pCast = p.dtype === a.dtype ? p : b.cast(p, a.dtype);
    return [
      c.wants(0) ? unbroadcast(b, b.mul(dy(c), b.mul(pCast, b.pow(a, b.sub(pCast, b.scalar(1, a.dtype))))), a) : undefined,
      c.wants(1) ? unbroadcast(b, b.mul(dy(c), b.mul(y, b.log(a))), p) : undefined,
    ];
  },

  Cast: (c) => [c.b.cast(dy(c), x(c).dtype)],

  Where: (c) => {
    const b = c.b;
    const cond = x(c, 0);
    const zero = zerosLike(b, dy(c));
    return [
      undefined,
      c.wants(1) ? unbroadcast(b, b.where(cond, dy(c), zero), x(c, 1)) : undefined,
      c.wants(2) ? unbroadcast(b, b.where(cond, zero, dy(c)), x(c, 2)) : undefined,
    ];
  },

  // Y = A·B over the last two axes, batch axes broadcast.
  MatMul: (c) => {
    const b = c.b;
    const [a, w] = [x(c, 0), x(c, 1)];
    const ra = rankOf(c, a);
    const rw = rankOf(c, w);
    if (ra < 2 || rw < 2) throw new GraphError(`grad of MatMul '${c.node.name}': inputs of rank 1 are not supported`);
    const g = dy(c);
    let da: Value | undefined;
    let dw: Value | undefined;
    if (c.wants(0)) da = unbroadcast(b, b.matmul(g, transposeLast2(b, w, rw)), a);
    if (c.wants(1)) {
      if (rw === 2 && ra > 2) {
        // A shared weight: fold the batch axes into rows, one large GEMM instead of a batch of small ones.
        const k = a.shape![ra - 1]!;
        const n = w.shape![1]!;
        const a2 = b.reshape(a, [-1, typeof k === 'number' ? k : 0]);
        const g2 = b.reshape(g, [-1, typeof n === 'number' ? n : 0]);
        if (typeof k !== 'number' || typeof n !== 'number') {
          throw new GraphError(`grad of MatMul '${c.node.name}': the weight '${w.name}' needs static dimensions`);
        }
        dw = b.gemm(a2, g2, undefined, { transA: true });
      } else {
        dw = unbroadcast(b, b.matmul(transposeLast2(b, a, ra), g), w);
      }
    }
    return [da, dw];
  },

  // Y = alpha·A'·B' + beta·C with A' = transA ? Aᵀ : A, B' likewise.
  Gemm: (c) => {
    const b = c.b;
    const [a, w, bias] = [x(c, 0), x(c, 1), c.inputs[2]];
    const transA = attrInt(c, 'transA', 0) === 1;
    const transB = attrInt(c, 'transB', 0) === 1;
    const alpha = attrFloat(c, 'alpha', 1);
    const beta = attrFloat(c, 'beta', 1);
    const g = dy(c);
    const opt = (o: { transA?: boolean; transB?: boolean }) => ({ ...o, ...(alpha !== 1 ? { alpha } : {}) });
    const da = !c.wants(0)
      ? undefined
      : transA
        ? b.gemm(w, g, undefined, opt({ transA: transB, transB: true }))
        : b.gemm(g, w, undefined, opt({ transB: !transB }));
    const dw = !c.wants(1)
      ? undefined
      : transB
        ? b.gemm(g, a, undefined, opt({ transA: true, transB: transA }))
        : b.gemm(a, g, undefined, opt({ transA: !transA }));
    const dc = bias && c.wants(2) ? unbroadcast(b, beta === 1 ? g : b.mul(g, b.scalar(beta, g.dtype)), bias) : undefined;
    return [da, dw, dc];
  },

  Reshape: (c) => [c.b.reshape(dy(c), c.b.shape(x(c)))],

  Expand: (c) => [unbroadcast(c.b, dy(c), x(c))],

  Transpose: (c) => {
    const rank = rankOf(c, x(c));
    const permAttr = c.node.attrs.perm;
    const perm = permAttr && permAttr.kind === 'ints' ? permAttr.value : Array.from({ length: rank }, (_, i) => rank - 1 - i);
    const inverse = new Array<number>(rank);
    perm.forEach((p, i) => (inverse[p] = i));
    return [c.b.transpose(dy(c), inverse)];
  },

  Unsqueeze: (c) => [c.b.reshape(dy(c), c.b.shape(x(c)))],

  Squeeze: (c) => [c.b.reshape(dy(c), c.b.shape(x(c)))],

  // Split the gradient back into the pieces along the concatenation axis.
  Concat: (c) => {
    const b = c.b;
    const rank = rankOf(c, x(c));
    const axis = ((attrInt(c, 'axis', 0) % rank) + rank) % rank;
    const sizes = c.inputs.map((v) => b.slice(b.shape(v!), [axis], [axis + 1], [0]));
    const out: (Value | undefined)[] = [];
    let start: Value = b.int64s([0]);
    for (const [i, v] of c.inputs.entries()) {
      const end = b.add(start, sizes[i]!);
      out.push(c.wants(i) ? b.op1('Slice', [dy(c), start, end, b.int64s([axis])]) : undefined);
      start = end;
      void v;
    }
    return out;
  },

  // Pad the gradient with zeros where the slice cut the input (unit steps).
  Slice: (c) => {
    const b = c.b;
    const input = x(c);
    const rank = rankOf(c, input);
    const starts = constInput(c, 1)!;
    const ends = constInput(c, 2)!;
    const axes = (constInput(c, 3) ?? starts.map((_, i) => i)).map((a) => (a < 0 ? a + rank : a));
    const steps = constInput(c, 4);
    if (steps && steps.some((s) => s !== 1)) throw new GraphError(`grad of Slice '${c.node.name}': only unit steps are supported`);
    const dims = b.shape(input);
    const zero = b.int64s([0]);
    const begins: Value[] = [];
    const endPads: Value[] = [];
    for (let ax = 0; ax < rank; ax++) {
      const k = axes.indexOf(ax);
      if (k < 0) {
        begins.push(zero);
        endPads.push(zero);
        continue;
      }
      const d = b.slice(dims, [ax], [ax + 1], [0]);
      const norm = (v: number) => {
        const clamped = Math.max(Math.min(v, 2 ** 62), -(2 ** 62));
        const raw = clamped < 0 ? b.add(b.int64s([clamped]), d) : b.int64s([clamped]);
        return b.min(b.max(raw, zero), d);
      };
      const s = norm(starts[k]!);
      const e = b.max(norm(ends[k]!), s);
      begins.push(s);
      endPads.push(b.sub(d, e));
    }
    return [b.op1('Pad', [dy(c), b.concat([...begins, ...endPads], 0)], { mode: { kind: 'string', value: 'constant' } })];
  },

  // Embedding lookups: scatter-add the gradient rows back into a zero table.
  Gather: (c) => {
    const b = c.b;
    const [data, idx] = [x(c, 0), x(c, 1)];
    if (attrInt(c, 'axis', 0) !== 0) throw new GraphError(`grad of Gather '${c.node.name}': only axis 0 is supported`);
    const zeros = b.op1('ConstantOfShape', [b.shape(data)], {
      value: { kind: 'tensor', value: { dtype: data.dtype, dims: [1], data: data.dtype === 'float64' ? new Float64Array(1) : new Float32Array(1) } },
    });
    const index = b.unsqueeze(idx.dtype === 'int64' ? idx : b.cast(idx, 'int64'), [-1]);
    return [b.op1('ScatterND', [zeros, index, dy(c)], { reduction: { kind: 'string', value: 'add' } }), undefined];
  },

  ReduceSum: (c) => {
    const axes = constInput(c, 1);
    if ((!axes || axes.length === 0) && attrInt(c, 'noop_with_empty_axes', 0) === 1) return [dy(c)];
    return [expandBack(c, dy(c), x(c), axes, attrInt(c, 'keepdims', 1) === 1)];
  },

  ReduceMean: (c) => {
    const a = c.node.attrs.axes;
    const axes = a && a.kind === 'ints' ? a.value : undefined;
    const g = expandBack(c, dy(c), x(c), axes, attrInt(c, 'keepdims', 1) === 1);
    return [c.b.div(g, countRatio(c, x(c), c.outputs[0]!))];
  },

  ReduceSumSquare: (c) => {
    const a = c.node.attrs.axes;
    const axes = a && a.kind === 'ints' ? a.value : undefined;
    const g = expandBack(c, dy(c), x(c), axes, attrInt(c, 'keepdims', 1) === 1);
    return [c.b.mul(g, c.b.mul(x(c), c.b.scalar(2, x(c).dtype)))];
  },

  // dx = y ⊙ (dy − Σ(dy ⊙ y))
  Softmax: (c) => {
    const b = c.b;
    const y = c.outputs[0]!;
    const axis = attrInt(c, 'axis', -1);
    return [b.mul(y, b.sub(dy(c), b.reduceSum(b.mul(dy(c), y), [axis], true)))];
  },

  // dx = dy − softmax ⊙ Σ dy
  LogSoftmax: (c) => {
    const b = c.b;
    const axis = attrInt(c, 'axis', -1);
    return [b.sub(dy(c), b.mul(b.exp(c.outputs[0]!), b.reduceSum(dy(c), [axis], true)))];
  },

  LayerNormalization: (c) => {
    const b = c.b;
    const [input, scale, bias] = [x(c, 0), x(c, 1), c.inputs[2]];
    const rank = rankOf(c, input);
    const axis = ((attrInt(c, 'axis', -1) % rank) + rank) % rank;
    const eps = attrFloat(c, 'epsilon', 1e-5);
    const normAxes = Array.from({ length: rank - axis }, (_, i) => axis + i);
    const g = dy(c);
    let mean: Value;
    let invStd: Value;
    if (input.dtype === 'float32') {
      // The forward pass computes Mean and InvStdDev anyway; ask the node for them (its optional
      // outputs) instead of recomputing them with six more nodes and passes over x.
      [, mean, invStd] = c.savedOutputs(3) as [Value, Value, Value];
    } else {
      // Mean and InvStdDev are float32 whatever the input (ONNX's stash_type), too coarse for a
      // float64 graph: recompute them in its precision.
      mean = b.reduceMean(input, normAxes, true);
      const sq = b.sub(input, mean);
      invStd = b.div(b.scalar(1, input.dtype), b.sqrt(b.add(b.reduceMean(b.mul(sq, sq), normAxes, true), b.scalar(eps, input.dtype))));
    }
    const centered = b.sub(input, mean);
    const xhat = b.mul(centered, invStd);
    const dxhat = b.mul(g, scale);
    const dx = !c.wants(0)
      ? undefined
      : b.mul(invStd, b.sub(b.sub(dxhat, b.reduceMean(dxhat, normAxes, true)), b.mul(xhat, b.reduceMean(b.mul(dxhat, xhat), normAxes, true))));
    const dscale = c.wants(1) ? unbroadcast(b, b.mul(g, xhat), scale) : undefined;
    const dbias = bias && c.wants(2) ? unbroadcast(b, g, bias) : undefined;
    return [dx, dscale, dbias];
  },

  // The kept elements were scaled by 1/(1−ratio) in training mode; the rest were zeroed.
  Dropout: (c) => {
    const b = c.b;
    const input = x(c);
    const mask = c.outputs[1];
    if (!mask) throw new GraphError(`grad of Dropout '${c.node.name}': the forward node must output its mask`);
    // ORT's kernel reads the ratio as a float32 whatever its type; so do we, so that the gradient
    // uses the very scale of the forward pass (0.3 → 1/(1 − 0.300000012), in float64 too).
    const r = c.inputs[1];
    const r32 = r ? (r.dtype === 'float32' ? r : b.cast(r, 'float32')) : b.scalar(0.5, 'float32');
    const ratio = input.dtype === 'float32' ? r32 : b.cast(r32, input.dtype);
    const one = b.scalar(1, input.dtype);
    const training = c.inputs[2];
    const trainScale = b.div(one, b.sub(one, ratio));
    const scale = training ? b.where(training, trainScale, one) : one;
    return [b.mul(b.mul(dy(c), b.cast(mask, input.dtype)), scale)];
  },

  // Mean reduction over the labels that are not ignored: d/dscores = (p − onehot)·valid / count.
  SoftmaxCrossEntropyLoss: (c) => {
    const b = c.b;
    const [scores, labels] = [x(c, 0), x(c, 1)];
    if (c.inputs[2]) throw new GraphError(`grad of SoftmaxCrossEntropyLoss '${c.node.name}': class weights are not supported`);
    const reduction = c.node.attrs.reduction;
    if (reduction && reduction.kind === 'string' && reduction.value !== 'mean') {
      throw new GraphError(`grad of SoftmaxCrossEntropyLoss '${c.node.name}': only reduction 'mean' is supported`);
    }
    const logProb = c.outputs[1];
    if (!logProb) throw new GraphError(`grad of SoftmaxCrossEntropyLoss '${c.node.name}': the forward node must output log_prob`);
    const ignore = c.node.attrs.ignore_index;
    const dt = scores.dtype;
    const prob = b.exp(logProb);
    const labels64 = labels.dtype === 'int64' ? labels : b.cast(labels, 'int64');
    let valid: Value | undefined;
    let safe = labels64;
    if (ignore && ignore.kind === 'int') {
      valid = b.not(b.equal(labels64, b.int64s([ignore.value])));
      safe = b.where(valid, labels64, zerosLike(b, labels64));
    }
    const depth = b.slice(b.shape(scores), [1], [2], [0]);
    // OneHot in float32 (ORT's CPU OneHot has no double-valued kernel for int64 indices), then cast.
    const onehot32 = b.op1('OneHot', [safe, depth, b.constant({ dtype: 'float32', dims: [2], data: Float32Array.of(0, 1) })], { axis: int(1) });
    const onehot = dt === 'float32' ? onehot32 : b.cast(onehot32, dt);
    let d = b.sub(prob, onehot);
    let count: Value;
    if (valid) {
      const validF = b.cast(valid, dt);
      d = b.mul(d, b.unsqueeze(validF, [1]));
      count = b.max(b.reduceSum(validF, [], false), b.scalar(1, dt));
    } else {
      count = b.cast(b.op1('Size', [labels64]), dt);
    }
    const parts: Value[] = [];
    if (c.dys[0]) parts.push(b.mul(d, b.div(c.dys[0], count)));
    if (c.dys[1]) parts.push(b.sub(c.dys[1], b.mul(prob, b.reduceSum(c.dys[1], [1], true))));
    return [b.sum(parts), undefined];
  },
};
