import { TokentagError } from '../errors.ts';
import { type DType, type TensorData, onnxDataType, tensor } from './dtype.ts';
import { inferOutputs } from './shapes.ts';

/** A dimension: a size, a symbolic name shared by inputs (`'batch'`), or unknown (`null`). */
export type Dim = number | string | null;
export type Shape = readonly Dim[];

/** A named value in a graph: a graph input, an initializer or a node output. */
export interface Value {
  readonly name: string;
  readonly dtype: DType;
  /** `undefined` when not even the rank is known. */
  readonly shape: Shape | undefined;
}

/** ONNX attributes carry their type, so `1` (int) and `1.0` (float) stay distinct. */
export type Attr =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'ints'; readonly value: readonly number[] }
  | { readonly kind: 'floats'; readonly value: readonly number[] }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'tensor'; readonly value: TensorData };
export type Attrs = Readonly<Record<string, Attr>>;

export const int = (value: number): Attr => ({ kind: 'int', value });
export const float = (value: number): Attr => ({ kind: 'float', value });
export const ints = (value: readonly number[]): Attr => ({ kind: 'ints', value });
export const floats = (value: readonly number[]): Attr => ({ kind: 'floats', value });
export const str = (value: string): Attr => ({ kind: 'string', value });

export interface Node {
  readonly op: string;
  readonly name: string;
  /** `''` stands for an omitted optional input, as in ONNX. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: Attrs;
}

/** A finished graph: plain data, ready to serialise (`toOnnx`) or differentiate. */
export interface Graph {
  readonly name: string;
  readonly opset: number;
  readonly inputs: readonly Value[];
  readonly outputs: readonly Value[];
  readonly initializers: ReadonlyMap<string, TensorData>;
  readonly nodes: readonly Node[];
  readonly values: ReadonlyMap<string, Value>;
}

/** A graph that cannot be built as written; the message names the op and the values involved. */
export class GraphError extends TokentagError {
  override name = 'GraphError';
}

export const OPSET = 17;

/**
 * Builds an ONNX graph node by node. Every op method checks that its inputs exist and that
 * their shapes agree (as far as they are known), so a mistake fails here, naming the op,
 * rather than deep inside ONNX Runtime.
 */
export class GraphBuilder {
  readonly values = new Map<string, Value>();
  readonly nodes: Node[] = [];
  readonly inputs: Value[] = [];
  readonly outputs: Value[] = [];
  readonly initializers = new Map<string, TensorData>();
  private readonly used = new Set<string>();
  private readonly constants = new Map<string, Value>();
  /** For each `Shape` output, the shape of its input, so that Reshape/Expand to it keep static shapes. */
  private readonly shapeValues = new Map<string, Shape>();
  private readonly prefix: string[] = [];

  constructor(readonly name = 'graph') {}

  // ---- naming ----------------------------------------------------------------------------

  /** Runs `fn` with `scope/` prefixed to the names of the nodes and values it creates. */
  scope<T>(scope: string, fn: () => T): T {
    this.prefix.push(scope);
    try {
      return fn();
    } finally {
      this.prefix.pop();
    }
  }

  /** A name not used yet, under the current scope. */
  fresh(base: string): string {
    const stem = [...this.prefix, base].join('/');
    if (!this.used.has(stem)) {
      this.used.add(stem);
      return stem;
    }
    for (let i = 1; ; i++) {
      const candidate = `${stem}_${i}`;
      if (!this.used.has(candidate)) {
        this.used.add(candidate);
        return candidate;
      }
    }
  }

  private claim(name: string, what: string): void {
    if (this.values.has(name) || this.used.has(name)) throw new GraphError(`${what} '${name}' is already defined`);
    this.used.add(name);
  }

  // ---- sources ---------------------------------------------------------------------------

  input(name: string, dtype: DType, shape: Shape): Value {
    this.claim(name, 'input');
    const v: Value = { name, dtype, shape: [...shape] };
    this.values.set(name, v);
    this.inputs.push(v);
    return v;
  }

  /** A weight or constant stored in the graph. */
  initializer(name: string, t: TensorData): Value {
    this.claim(name, 'initializer');
    return this.addInitializer(name, t);
  }

  private addInitializer(name: string, t: TensorData): Value {
    const v: Value = { name, dtype: t.dtype, shape: [...t.dims] };
    this.values.set(name, v);
    this.initializers.set(name, t);
    return v;
  }

  /** A constant tensor; scalars and small vectors of the same value are shared. */
  constant(t: TensorData): Value {
    const key = t.data.length <= 16 ? `${t.dtype}[${t.dims.join(',')}]:${Array.from(t.data as ArrayLike<number | bigint>).join(',')}` : undefined;
    const hit = key && this.constants.get(key);
    if (hit) return hit;
    const saved = this.prefix.splice(0);
    try {
      const v = this.addInitializer(this.fresh('const'), t);
      if (key) this.constants.set(key, v);
      return v;
    } finally {
      this.prefix.push(...saved);
    }
  }

  scalar(value: number, dtype: DType = 'float32'): Value {
    return this.constant(scalarTensor(value, dtype));
  }

  /** A 1-D int64 constant (shapes, axes, starts/ends). */
  int64s(values: readonly number[]): Value {
    return this.constant(tensor('int64', [values.length], BigInt64Array.from(values.map(BigInt))));
  }

  /** The data of a constant value, if it is one (used to infer shapes from shape inputs). */
  constantData(v: Value): TensorData | undefined {
    return this.initializers.get(v.name);
  }

  // ---- nodes -----------------------------------------------------------------------------

  /**
   * Appends one node. `inputs` may contain `undefined` for omitted optional inputs.
   * Returns its outputs (as many as `outputs` asks for).
   */
  op(op: string, inputs: readonly (Value | undefined)[], attrs: Attrs = {}, outputs = 1): Value[] {
    const nodeName = this.fresh(op);
    for (const [i, v] of inputs.entries()) {
      if (v && this.values.get(v.name) !== v) {
        throw new GraphError(`${op} '${nodeName}': input ${i} '${v.name}' is not a value of graph '${this.name}'`);
      }
    }
    let inferred;
    try {
      inferred = inferOutputs(op, inputs, attrs, outputs, (v) => this.constantData(v), (v) => this.shapeValues.get(v.name));
    } catch (e) {
      if (e instanceof GraphError) {
        const names = inputs.map((v) => (v ? `'${v.name}' ${describe(v)}` : '(none)')).join(', ');
        throw new GraphError(`${op} '${nodeName}': ${e.message} (inputs: ${names})`);
      }
      throw e;
    }
    const outs: Value[] = inferred.map((o, i) => {
      const name = this.fresh(outputs === 1 ? `${op}_out` : `${op}_out${i}`);
      const v: Value = { name, dtype: o.dtype, shape: o.shape };
      this.values.set(name, v);
      return v;
    });
    this.nodes.push({ op, name: nodeName, inputs: inputs.map((v) => v?.name ?? ''), outputs: outs.map((v) => v.name), attrs });
    if (op === 'Shape' && !attrs.start && !attrs.end && inputs[0]?.shape) this.shapeValues.set(outs[0]!.name, inputs[0].shape);
    return outs;
  }

  /**
   * Gives an existing node more of its optional outputs (e.g. LayerNormalization's Mean and
   * InvStdDev, which the backward pass reuses), up to `outputs` in all; returns all its outputs.
   * The node is replaced in place, so its position in the graph does not change.
   */
  extendOutputs(node: Node, outputs: number): Value[] {
    const at = this.nodes.indexOf(node);
    if (at < 0) throw new GraphError(`extendOutputs: '${node.name}' is not a node of graph '${this.name}'`);
    const current = node.outputs.map((o) => this.values.get(o)!);
    if (outputs <= current.length) return current;
    const inputs = node.inputs.map((i) => (i ? this.values.get(i) : undefined));
    const inferred = inferOutputs(node.op, inputs, node.attrs, outputs, (v) => this.constantData(v), (v) => this.shapeValues.get(v.name));
    const added = inferred.slice(current.length).map((o, i) => {
      const v: Value = { name: this.fresh(`${node.name}/${node.op}_out${current.length + i}`), dtype: o.dtype, shape: o.shape };
      this.values.set(v.name, v);
      return v;
    });
    this.nodes[at] = { ...node, outputs: [...node.outputs, ...added.map((v) => v.name)] };
    return [...current, ...added];
  }

  op1(op: string, inputs: readonly (Value | undefined)[], attrs: Attrs = {}): Value {
    return this.op(op, inputs, attrs, 1)[0]!;
  }

  /**
   * Records what a caller knows of the shape of `v` (the output of the node just added) when
   * shape inference could not see it, e.g. a Reshape to a shape computed in the graph. Known
   * dims must agree with what was inferred; the returned value replaces `v`.
   */
  refineShape(v: Value, shape: Shape): Value {
    const last = this.nodes[this.nodes.length - 1];
    if (!last || !last.outputs.includes(v.name) || this.values.get(v.name) !== v) {
      throw new GraphError(`refineShape: '${v.name}' is not an output of the last node added`);
    }
    if (v.shape) {
      if (v.shape.length !== shape.length) throw new GraphError(`refineShape: '${v.name}' has rank ${v.shape.length}, not ${shape.length}`);
      v.shape.forEach((d, i) => {
        const e = shape[i];
        if (typeof d === 'number' && typeof e === 'number' && d !== e) throw new GraphError(`refineShape: dim ${i} of '${v.name}' is ${d}, not ${e}`);
      });
    }
    const refined: Value = { name: v.name, dtype: v.dtype, shape: [...shape] };
    this.values.set(v.name, refined);
    return refined;
  }

  /** Marks `v` as a graph output called `name` (an Identity renames it when needed). */
  output(v: Value, name = v.name): Value {
    let out = v;
    if (name !== v.name || this.inputs.includes(v) || this.initializers.has(v.name) || this.outputs.includes(v)) {
      this.claim(name, 'output');
      const [shaped] = inferOutputs('Identity', [v], {}, 1, () => undefined);
      out = { name, dtype: shaped!.dtype, shape: shaped!.shape };
      this.values.set(name, out);
      this.nodes.push({ op: 'Identity', name: this.fresh('Identity'), inputs: [v.name], outputs: [name], attrs: {} });
    }
    this.outputs.push(out);
    return out;
  }

  build(): Graph {
    return {
      name: this.name,
      opset: OPSET,
      inputs: [...this.inputs],
      outputs: [...this.outputs],
      initializers: new Map(this.initializers),
      nodes: [...this.nodes],
      values: new Map(this.values),
    };
  }

  // ---- elementwise -----------------------------------------------------------------------

  add(a: Value, b: Value): Value { return this.op1('Add', [a, b]); }
  sub(a: Value, b: Value): Value { return this.op1('Sub', [a, b]); }
  mul(a: Value, b: Value): Value { return this.op1('Mul', [a, b]); }
  div(a: Value, b: Value): Value { return this.op1('Div', [a, b]); }
  pow(a: Value, b: Value): Value { return this.op1('Pow', [a, b]); }
  max(a: Value, b: Value): Value { return this.op1('Max', [a, b]); }
  min(a: Value, b: Value): Value { return this.op1('Min', [a, b]); }
  neg(x: Value): Value { return this.op1('Neg', [x]); }
  erf(x: Value): Value { return this.op1('Erf', [x]); }
  /** The exact (erf) GELU as one node (see composite.ts: lowered to standard ops when serialised). */
  gelu(x: Value): Value { return this.op1('Gelu', [x]); }
  tanh(x: Value): Value { return this.op1('Tanh', [x]); }
  sqrt(x: Value): Value { return this.op1('Sqrt', [x]); }
  exp(x: Value): Value { return this.op1('Exp', [x]); }
  log(x: Value): Value { return this.op1('Log', [x]); }
  relu(x: Value): Value { return this.op1('Relu', [x]); }
  sigmoid(x: Value): Value { return this.op1('Sigmoid', [x]); }
  identity(x: Value): Value { return this.op1('Identity', [x]); }
  equal(a: Value, b: Value): Value { return this.op1('Equal', [a, b]); }
  less(a: Value, b: Value): Value { return this.op1('Less', [a, b]); }
  not(x: Value): Value { return this.op1('Not', [x]); }
  where(cond: Value, a: Value, b: Value): Value { return this.op1('Where', [cond, a, b]); }
  cast(x: Value, to: DType): Value { return this.op1('Cast', [x], { to: int(onnxDataType[to]) }); }
  sum(xs: readonly Value[]): Value { return xs.length === 1 ? xs[0]! : this.op1('Sum', xs); }

  // ---- linear algebra --------------------------------------------------------------------

  matmul(a: Value, b: Value): Value { return this.op1('MatMul', [a, b]); }
  gemm(a: Value, b: Value, c?: Value, opts: { transA?: boolean; transB?: boolean; alpha?: number; beta?: number } = {}): Value {
    const attrs: Record<string, Attr> = {};
    if (opts.transA) attrs.transA = int(1);
    if (opts.transB) attrs.transB = int(1);
    if (opts.alpha !== undefined) attrs.alpha = float(opts.alpha);
    if (opts.beta !== undefined) attrs.beta = float(opts.beta);
    return this.op1('Gemm', c ? [a, b, c] : [a, b], attrs);
  }

  // ---- shape -----------------------------------------------------------------------------

  shape(x: Value): Value { return this.op1('Shape', [x]); }
  reshape(x: Value, shape: readonly number[] | Value): Value {
    return this.op1('Reshape', [x, Array.isArray(shape) ? this.int64s(shape) : (shape as Value)]);
  }
  transpose(x: Value, perm: readonly number[]): Value { return this.op1('Transpose', [x], { perm: ints(perm) }); }
  unsqueeze(x: Value, axes: readonly number[]): Value { return this.op1('Unsqueeze', [x, this.int64s(axes)]); }
  squeeze(x: Value, axes: readonly number[]): Value { return this.op1('Squeeze', [x, this.int64s(axes)]); }
  concat(xs: readonly Value[], axis: number): Value { return this.op1('Concat', xs, { axis: int(axis) }); }
  slice(x: Value, starts: readonly number[], ends: readonly number[], axes: readonly number[], steps?: readonly number[]): Value {
    const ins = [x, this.int64s(starts), this.int64s(ends), this.int64s(axes)];
    if (steps) ins.push(this.int64s(steps));
    return this.op1('Slice', ins);
  }
  expand(x: Value, shape: Value): Value { return this.op1('Expand', [x, shape]); }
  gather(data: Value, indices: Value, axis = 0): Value { return this.op1('Gather', [data, indices], { axis: int(axis) }); }

  // ---- reductions & normalisation --------------------------------------------------------

  reduceSum(x: Value, axes: readonly number[], keepdims = true): Value {
    return this.op1('ReduceSum', [x, this.int64s(axes)], { keepdims: int(keepdims ? 1 : 0) });
  }
  reduceMean(x: Value, axes: readonly number[], keepdims = true): Value {
    return this.op1('ReduceMean', [x], { axes: ints(axes), keepdims: int(keepdims ? 1 : 0) });
  }
  /** Sum of squares of all elements, as a scalar. */
  reduceSumSquareAll(x: Value): Value { return this.op1('ReduceSumSquare', [x], { keepdims: int(0) }); }
  softmax(x: Value, axis = -1): Value { return this.op1('Softmax', [x], { axis: int(axis) }); }
  logSoftmax(x: Value, axis = -1): Value { return this.op1('LogSoftmax', [x], { axis: int(axis) }); }
  layerNormalization(x: Value, scale: Value, bias: Value, epsilon: number, axis = -1): Value {
    return this.op1('LayerNormalization', [x, scale, bias], { axis: int(axis), epsilon: float(epsilon) });
  }

  // ---- training ops ----------------------------------------------------------------------

  /** Training-mode dropout; returns the output and the boolean keep-mask the gradient needs. */
  dropout(x: Value, ratio: Value, training: Value, seed?: number): [Value, Value] {
    const attrs: Record<string, Attr> = seed === undefined ? {} : { seed: int(seed) };
    const [y, mask] = this.op('Dropout', [x, ratio, training], attrs, 2);
    return [y!, mask!];
  }

  /** Mean cross-entropy over the labels that are not `ignoreIndex`; also returns the log-probabilities. */
  softmaxCrossEntropyLoss(scores: Value, labels: Value, ignoreIndex = -100): [Value, Value] {
    const [loss, logProb] = this.op(
      'SoftmaxCrossEntropyLoss',
      [scores, labels],
      { reduction: str('mean'), ignore_index: int(ignoreIndex) },
      2,
    );
    return [loss!, logProb!];
  }
}

function describe(v: Value): string {
  return `${v.dtype}[${v.shape ? v.shape.map((d) => (d === null ? '?' : String(d))).join(', ') : '…'}]`;
}

export function scalarTensor(value: number, dtype: DType): TensorData {
  switch (dtype) {
    case 'float32':
      return tensor('float32', [], Float32Array.of(value));
    case 'float64':
      return tensor('float64', [], Float64Array.of(value));
    case 'int64':
      return tensor('int64', [], BigInt64Array.of(BigInt(value)));
    case 'int32':
      return tensor('int32', [], Int32Array.of(value));
    case 'bool':
      return tensor('bool', [], Uint8Array.of(value ? 1 : 0));
    default:
      throw new GraphError(`no scalar constants of type ${dtype}`);
  }
}
