import { type DType, type TensorData, onnxDataType, sizeOf } from './dtype.ts';
import { type Attrs, type Dim, GraphError, type Shape, type Value } from './graph.ts';

/** What shape inference knows about one output. */
export interface Inferred {
  dtype: DType;
  shape: Shape | undefined;
}

/** The dims a 1-D int64 value holds when it is the output of `Shape(x)`: `x`'s shape, symbols included. */
export type ShapeOf = (v: Value) => Shape | undefined;

type Rule = (ins: readonly (Value | undefined)[], attrs: Attrs, constantOf: (v: Value) => TensorData | undefined, shapeOf: ShapeOf) => Inferred[];

/** `Cast`'s `to` codes back to element types: the inverse of `onnxDataType`. */
const dtypeByCode: Record<number, DType> = Object.fromEntries(Object.entries(onnxDataType).map(([d, code]) => [code, d as DType]));

function need(ins: readonly (Value | undefined)[], i: number): Value {
  const v = ins[i];
  if (!v) throw new GraphError(`input ${i} is required`);
  return v;
}

function intAttr(attrs: Attrs, name: string, fallback: number): number {
  const a = attrs[name];
  return a && a.kind === 'int' ? a.value : fallback;
}

function intsAttr(attrs: Attrs, name: string): readonly number[] | undefined {
  const a = attrs[name];
  return a && a.kind === 'ints' ? a.value : undefined;
}

function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new GraphError(`axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** Integer values of a constant 1-D input (axes, shapes), if it is a constant. */
function constInts(v: Value | undefined, constantOf: (v: Value) => TensorData | undefined): number[] | undefined {
  if (!v) return undefined;
  const t = constantOf(v);
  if (!t) return undefined;
  return Array.from(t.data as ArrayLike<number | bigint>, Number);
}

/** Numpy broadcasting of two dims; a provable conflict is an error. */
function broadcastDim(a: Dim, b: Dim): Dim {
  if (a === b) return a;
  if (a === 1) return b;
  if (b === 1) return a;
  if (typeof a === 'number' && typeof b === 'number') throw new GraphError(`cannot broadcast dimension ${a} with ${b}`);
  // One or both symbolic/unknown: a number other than 1 must be what the symbol is.
  if (typeof a === 'number') return a;
  if (typeof b === 'number') return b;
  return null;
}

export function broadcastShapes(shapes: readonly (Shape | undefined)[]): Shape | undefined {
  if (shapes.some((s) => s === undefined)) return undefined;
  const rank = Math.max(...shapes.map((s) => s!.length));
  const out: Dim[] = new Array(rank).fill(1);
  for (const s of shapes as Shape[]) {
    const off = rank - s.length;
    for (let i = 0; i < s.length; i++) out[off + i] = broadcastDim(out[off + i]!, s[i]!);
  }
  return out;
}

const same: Rule = (ins) => [{ dtype: need(ins, 0).dtype, shape: need(ins, 0).shape }];

function broadcasting(outDtype?: DType): Rule {
  return (ins) => {
    const vs = ins.map((v, i) => need(ins, i));
    const dt = vs[0]!.dtype;
    for (const v of vs.slice(1)) {
      if (v.dtype !== dt) throw new GraphError(`element types differ: ${dt} and ${v.dtype}`);
    }
    return [{ dtype: outDtype ?? dt, shape: broadcastShapes(vs.map((v) => v.shape)) }];
  };
}

function reduceShape(shape: Shape | undefined, axes: readonly number[] | undefined, keepdims: boolean, noopWhenEmpty = false): Shape | undefined {
  if (!shape) return undefined;
  if (axes === undefined || axes.length === 0) {
    if (noopWhenEmpty) return shape;
    return keepdims ? shape.map(() => 1) : [];
  }
  const set = new Set(axes.map((a) => normAxis(a, shape.length)));
  const out: Dim[] = [];
  shape.forEach((d, i) => {
    if (!set.has(i)) out.push(d);
    else if (keepdims) out.push(1);
  });
  return out;
}

function matmulShape(a: Shape | undefined, b: Shape | undefined): Shape | undefined {
  if (!a || !b) return undefined;
  if (a.length < 1 || b.length < 1) throw new GraphError('MatMul needs inputs of rank >= 1');
  const a2 = a.length === 1 ? [1, a[0]!] : a;
  const b2 = b.length === 1 ? [b[0]!, 1] : b;
  const k1 = a2[a2.length - 1]!;
  const k2 = b2[b2.length - 2]!;
  if (typeof k1 === 'number' && typeof k2 === 'number' && k1 !== k2) {
    throw new GraphError(`inner dimensions differ: ${k1} and ${k2}`);
  }
  const batch = broadcastShapes([a2.slice(0, -2), b2.slice(0, -2)])!;
  const out: Dim[] = [...batch];
  if (a.length > 1) out.push(a2[a2.length - 2]!);
  if (b.length > 1) out.push(b2[b2.length - 1]!);
  return out;
}

const rules: Record<string, Rule> = {
  Identity: same,
  Neg: same,
  Erf: same,
  Gelu: same,
  Tanh: same,
  Sqrt: same,
  Exp: same,
  Log: same,
  Relu: same,
  Sigmoid: same,
  Abs: same,
  Reciprocal: same,
  Softmax: same,
  LogSoftmax: same,
  Add: broadcasting(),
  Sub: broadcasting(),
  Mul: broadcasting(),
  Div: broadcasting(),
  Max: broadcasting(),
  Min: broadcasting(),
  Sum: broadcasting(),
  Equal: broadcasting('bool'),
  Less: broadcasting('bool'),
  Greater: broadcasting('bool'),
  And: broadcasting('bool'),
  Or: broadcasting('bool'),
  Not: same,
  Pow: (ins) => [{ dtype: need(ins, 0).dtype, shape: broadcastShapes([need(ins, 0).shape, need(ins, 1).shape]) }],
  Where: (ins) => {
    const [c, a, b] = [need(ins, 0), need(ins, 1), need(ins, 2)];
    if (c.dtype !== 'bool') throw new GraphError(`condition must be bool, not ${c.dtype}`);
    if (a.dtype !== b.dtype) throw new GraphError(`element types differ: ${a.dtype} and ${b.dtype}`);
    return [{ dtype: a.dtype, shape: broadcastShapes([c.shape, a.shape, b.shape]) }];
  },
  Cast: (ins, attrs) => {
    const to = dtypeByCode[intAttr(attrs, 'to', 0)];
    if (!to) throw new GraphError(`unsupported Cast target ${intAttr(attrs, 'to', 0)}`);
    return [{ dtype: to, shape: need(ins, 0).shape }];
  },
  MatMul: (ins) => {
    const [a, b] = [need(ins, 0), need(ins, 1)];
    if (a.dtype !== b.dtype) throw new GraphError(`element types differ: ${a.dtype} and ${b.dtype}`);
    return [{ dtype: a.dtype, shape: matmulShape(a.shape, b.shape) }];
  },
  Gemm: (ins, attrs) => {
    const [a, b] = [need(ins, 0), need(ins, 1)];
    if (!a.shape || !b.shape) return [{ dtype: a.dtype, shape: undefined }];
    if (a.shape.length !== 2 || b.shape.length !== 2) throw new GraphError('Gemm needs 2-D inputs');
    const [m, ka] = intAttr(attrs, 'transA', 0) ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
    const [kb, n] = intAttr(attrs, 'transB', 0) ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
    if (typeof ka === 'number' && typeof kb === 'number' && ka !== kb) throw new GraphError(`inner dimensions differ: ${ka} and ${kb}`);
    const c = ins[2];
    if (c?.shape) broadcastShapes([[m, n], c.shape]);
    return [{ dtype: a.dtype, shape: [m, n] }];
  },
  Shape: (ins) => [{ dtype: 'int64', shape: need(ins, 0).shape ? [need(ins, 0).shape!.length] : [null] }],
  Size: () => [{ dtype: 'int64', shape: [] }],
  Reshape: (ins, _attrs, constantOf, shapeOf) => {
    const x = need(ins, 0);
    const target = constInts(need(ins, 1), constantOf);
    // Reshape(dy, Shape(x)), as gradient rules write it: the result has x's shape.
    const like = target ? undefined : shapeOf(need(ins, 1));
    if (like) {
      const count = (d: Shape | undefined) => (d && d.every((e) => typeof e === 'number') ? (d as number[]).reduce((p, e) => p * e, 1) : undefined);
      const [from, to] = [count(x.shape), count(like)];
      if (from !== undefined && to !== undefined && from !== to) throw new GraphError(`cannot reshape ${from} elements to [${like.join(', ')}]`);
      return [{ dtype: x.dtype, shape: like }];
    }
    if (!target) {
      const s = need(ins, 1).shape;
      const rank = s && typeof s[0] === 'number' ? s[0] : undefined;
      return [{ dtype: x.dtype, shape: rank === undefined ? undefined : new Array<Dim>(rank).fill(null) }];
    }
    const out: Dim[] = target.map((d, i) => (d === 0 ? (x.shape?.[i] ?? null) : d === -1 ? null : d));
    const known = x.shape?.every((d) => typeof d === 'number');
    if (known) {
      const total = sizeOf(x.shape as number[]);
      const fixed = out.reduce<number>((p, d) => (typeof d === 'number' ? p * d : p), 1);
      const inferIdx = out.indexOf(null);
      if (inferIdx >= 0) out[inferIdx] = total / fixed;
      else if (fixed !== total) throw new GraphError(`cannot reshape ${total} elements to [${target.join(', ')}]`);
    }
    return [{ dtype: x.dtype, shape: out }];
  },
  Transpose: (ins, attrs) => {
    const x = need(ins, 0);
    if (!x.shape) return [{ dtype: x.dtype, shape: undefined }];
    const perm = intsAttr(attrs, 'perm') ?? x.shape.map((_, i) => x.shape!.length - 1 - i);
    if (perm.length !== x.shape.length) throw new GraphError(`perm [${perm.join(', ')}] does not match rank ${x.shape.length}`);
    return [{ dtype: x.dtype, shape: perm.map((p) => x.shape![p]!) }];
  },
  Unsqueeze: (ins, _a, constantOf) => {
    const x = need(ins, 0);
    const axes = constInts(ins[1], constantOf);
    if (!x.shape || !axes) return [{ dtype: x.dtype, shape: undefined }];
    const rank = x.shape.length + axes.length;
    const set = new Set(axes.map((a) => normAxis(a, rank)));
    const out: Dim[] = [];
    let j = 0;
    for (let i = 0; i < rank; i++) out.push(set.has(i) ? 1 : x.shape[j++]!);
    return [{ dtype: x.dtype, shape: out }];
  },
  Squeeze: (ins, _a, constantOf) => {
    const x = need(ins, 0);
    const axes = constInts(ins[1], constantOf);
    if (!x.shape) return [{ dtype: x.dtype, shape: undefined }];
    if (!axes) return [{ dtype: x.dtype, shape: x.shape.every((d) => d !== null) ? x.shape.filter((d) => d !== 1) : undefined }];
    const set = new Set(axes.map((a) => normAxis(a, x.shape!.length)));
    for (const a of set) {
      const d = x.shape[a];
      if (typeof d === 'number' && d !== 1) throw new GraphError(`cannot squeeze axis ${a} of size ${d}`);
    }
    return [{ dtype: x.dtype, shape: x.shape.filter((_, i) => !set.has(i)) }];
  },
  Concat: (ins, attrs) => {
    const vs = ins.map((_, i) => need(ins, i));
    if (vs.some((v) => !v.shape)) return [{ dtype: vs[0]!.dtype, shape: undefined }];
    const rank = vs[0]!.shape!.length;
    const axis = normAxis(intAttr(attrs, 'axis', 0), rank);
    const out: Dim[] = [...vs[0]!.shape!];
    for (const v of vs.slice(1)) {
      if (v.shape!.length !== rank) throw new GraphError(`ranks differ: ${rank} and ${v.shape!.length}`);
      v.shape!.forEach((d, i) => {
        if (i === axis) {
          const o = out[i]!;
          out[i] = typeof o === 'number' && typeof d === 'number' ? o + d : null;
        } else if (typeof out[i] === 'number' && typeof d === 'number' && out[i] !== d) {
          throw new GraphError(`dimension ${i} differs: ${out[i]} and ${d}`);
        }
      });
    }
    return [{ dtype: vs[0]!.dtype, shape: out }];
  },
  Slice: (ins, _a, constantOf) => {
    const x = need(ins, 0);
    if (!x.shape) return [{ dtype: x.dtype, shape: undefined }];
    const starts = constInts(ins[1], constantOf);
    const ends = constInts(ins[2], constantOf);
    const axes = constInts(ins[3], constantOf) ?? starts?.map((_, i) => i);
    const steps = constInts(ins[4], constantOf);
    const out: Dim[] = [...x.shape];
    if (!starts || !ends || !axes) return [{ dtype: x.dtype, shape: x.shape.map(() => null) }];
    axes.forEach((a, k) => {
      const ax = normAxis(a, x.shape!.length);
      const d = x.shape![ax];
      const step = steps?.[k] ?? 1;
      if (typeof d !== 'number' || step !== 1) {
        out[ax] = null;
        return;
      }
      const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + d : v, 0), d);
      out[ax] = Math.max(0, clamp(ends[k]!) - clamp(starts[k]!));
    });
    return [{ dtype: x.dtype, shape: out }];
  },
  Expand: (ins, _a, constantOf, shapeOf) => {
    const x = need(ins, 0);
    const target = constInts(ins[1], constantOf) ?? shapeOf(need(ins, 1));
    if (!target) return [{ dtype: x.dtype, shape: undefined }];
    return [{ dtype: x.dtype, shape: broadcastShapes([x.shape, target]) }];
  },
  Gather: (ins, attrs) => {
    const [data, idx] = [need(ins, 0), need(ins, 1)];
    if (idx.dtype !== 'int64' && idx.dtype !== 'int32') throw new GraphError(`indices must be int64 or int32, not ${idx.dtype}`);
    if (!data.shape || !idx.shape) return [{ dtype: data.dtype, shape: undefined }];
    const axis = normAxis(intAttr(attrs, 'axis', 0), data.shape.length);
    return [{ dtype: data.dtype, shape: [...data.shape.slice(0, axis), ...idx.shape, ...data.shape.slice(axis + 1)] }];
  },
  ReduceSum: (ins, attrs, constantOf) => {
    const x = need(ins, 0);
    const axes = constInts(ins[1], constantOf);
    if (ins[1] && !axes) return [{ dtype: x.dtype, shape: undefined }];
    return [{ dtype: x.dtype, shape: reduceShape(x.shape, axes, intAttr(attrs, 'keepdims', 1) === 1, intAttr(attrs, 'noop_with_empty_axes', 0) === 1) }];
  },
  ReduceMean: (ins, attrs) => [{ dtype: need(ins, 0).dtype, shape: reduceShape(need(ins, 0).shape, intsAttr(attrs, 'axes'), intAttr(attrs, 'keepdims', 1) === 1) }],
  ReduceMax: (ins, attrs) => [{ dtype: need(ins, 0).dtype, shape: reduceShape(need(ins, 0).shape, intsAttr(attrs, 'axes'), intAttr(attrs, 'keepdims', 1) === 1) }],
  ReduceSumSquare: (ins, attrs) => [{ dtype: need(ins, 0).dtype, shape: reduceShape(need(ins, 0).shape, intsAttr(attrs, 'axes'), intAttr(attrs, 'keepdims', 1) === 1) }],
  LayerNormalization: (ins, attrs) => {
    const [x, scale] = [need(ins, 0), need(ins, 1)];
    if (x.shape) {
      const axis = normAxis(intAttr(attrs, 'axis', -1), x.shape.length);
      broadcastShapes([x.shape.slice(axis), scale.shape]);
      const stat = x.shape.map((d, i) => (i < axis ? d : 1));
      return [{ dtype: x.dtype, shape: x.shape }, { dtype: 'float32', shape: stat }, { dtype: 'float32', shape: stat }];
    }
    return [{ dtype: x.dtype, shape: undefined }, { dtype: 'float32', shape: undefined }, { dtype: 'float32', shape: undefined }];
  },
  Dropout: (ins) => [{ dtype: need(ins, 0).dtype, shape: need(ins, 0).shape }, { dtype: 'bool', shape: need(ins, 0).shape }],
  SoftmaxCrossEntropyLoss: (ins) => {
    const [scores, labels] = [need(ins, 0), need(ins, 1)];
    if (labels.dtype !== 'int64' && labels.dtype !== 'int32') throw new GraphError(`labels must be int64 or int32, not ${labels.dtype}`);
    if (scores.shape && labels.shape) {
      if (scores.shape.length !== labels.shape.length + 1) {
        throw new GraphError(`scores of rank ${scores.shape.length} need labels of rank ${scores.shape.length - 1}, got rank ${labels.shape.length}`);
      }
      broadcastShapes([[scores.shape[0]!, ...scores.shape.slice(2)], labels.shape]);
    }
    return [{ dtype: scores.dtype, shape: [] }, { dtype: scores.dtype, shape: scores.shape }];
  },
  OneHot: (ins, attrs, constantOf) => {
    const [idx, depth, values] = [need(ins, 0), need(ins, 1), need(ins, 2)];
    const d = constInts(depth, constantOf)?.[0] ?? null;
    if (!idx.shape) return [{ dtype: values.dtype, shape: undefined }];
    const rank = idx.shape.length + 1;
    const axis = normAxis(intAttr(attrs, 'axis', -1), rank);
    const out: Dim[] = [...idx.shape];
    out.splice(axis, 0, d);
    return [{ dtype: values.dtype, shape: out }];
  },
  ConstantOfShape: (ins, attrs, constantOf, shapeOf) => {
    const v = attrs.value;
    const dtype = v && v.kind === 'tensor' ? v.value.dtype : 'float32';
    const dims = constInts(need(ins, 0), constantOf) ?? shapeOf(need(ins, 0));
    const s = need(ins, 0).shape;
    return [{ dtype, shape: dims ?? (s && typeof s[0] === 'number' ? new Array<Dim>(s[0]).fill(null) : undefined) }];
  },
  ScatterND: same,
  Range: (ins) => [{ dtype: need(ins, 0).dtype, shape: [null] }],
  NonZero: (ins) => [{ dtype: 'int64', shape: [need(ins, 0).shape?.length ?? null, null] }],
  ArgMax: (ins, attrs) => {
    const x = need(ins, 0);
    return [{ dtype: 'int64', shape: reduceShape(x.shape, [intAttr(attrs, 'axis', 0)], intAttr(attrs, 'keepdims', 1) === 1) }];
  },
};

export function inferOutputs(
  op: string,
  ins: readonly (Value | undefined)[],
  attrs: Attrs,
  outputs: number,
  constantOf: (v: Value) => TensorData | undefined,
  shapeOf: ShapeOf = () => undefined,
): Inferred[] {
  const rule = rules[op];
  const first = ins.find((v) => v !== undefined);
  const inferred: Inferred[] = rule ? rule(ins, attrs, constantOf, shapeOf) : [{ dtype: first?.dtype ?? 'float32', shape: undefined }];
  const out = inferred.slice(0, outputs);
  while (out.length < outputs) out.push({ dtype: first?.dtype ?? 'float32', shape: undefined });
  return out;
}
