/**
 * Layer helpers over the graph builder: the vocabulary the model files are written in.
 * Weights are passed in as values (graph inputs when training, initializers when exporting),
 * stored as PyTorch stores them (`torch.nn.Linear.weight` is `[out, in]`), so checkpoint
 * tensors go in and out unchanged.
 */
import { GraphBuilder, GraphError, type Shape, type Value } from './graph.ts';

/** The graph input of the k-th dropout site's mask in a training graph. */
export const dropoutMaskName = (k: number): string => `dropout_mask/${k}`;

/** A dropout site whose keep-mask the caller feeds (see {@link dropout}). */
export interface DropoutMask {
  /** The graph input holding the mask: 0 where dropped, 1/(1 − ratio) where kept. */
  readonly name: string;
  /** The shape of the masked activation, in the graph's symbolic dims (`'batch'`, `'sequence'`). */
  readonly shape: Shape;
  readonly dtype: 'float32' | 'float64';
  readonly ratio: number;
}

/** What a layer needs to know about the run: training mode, and how to seed dropout. */
export interface LayerContext {
  readonly b: GraphBuilder;
  /** Bool scalar graph input, or undefined for an inference-only graph (dropout is then the identity). */
  readonly training: Value | undefined;
  /** Base seed; each dropout node gets its own seed derived from it. */
  readonly seed: number;
  /** Counts dropout nodes so their seeds differ. */
  dropoutCount: number;
  /** When given, dropout multiplies by a mask fed as a graph input, and each site is listed here. */
  readonly masks?: DropoutMask[];
}

export function layerContext(b: GraphBuilder, training: Value | undefined, seed = 42, masks?: DropoutMask[]): LayerContext {
  return masks ? { b, training, seed, dropoutCount: 0, masks } : { b, training, seed, dropoutCount: 0 };
}

/**
 * y = x·Wᵀ + b over the last axis, like `torch.nn.Linear`. With the weight a graph input
 * (training), x is flattened to 2-D so ONNX Runtime runs one GEMM (and the weight gradient is
 * one GEMM too), then reshaped back; with a stored weight, see below.
 */
export function linear(b: GraphBuilder, x: Value, weight: Value, bias: Value | undefined): Value {
  const shape = x.shape;
  const out = weight.shape?.[0];
  if (typeof out !== 'number') throw new Error(`linear: weight '${weight.name}' needs a static [out, in] shape`);
  if (shape && shape.length === 2) return b.gemm(x, weight, bias, { transB: true });
  if (shape && b.constantData(weight)) {
    // A stored weight (inference and export graphs): MatMul takes x of any rank, so no flattening
    // and no runtime shape arithmetic around it (four nodes fewer per layer, which is most of a
    // small model's run time). The Transpose of a constant is folded away when ONNX Runtime loads
    // the graph, and the initializer keeps its checkpoint name and layout.
    const y = b.matmul(x, b.transpose(weight, [1, 0]));
    return bias ? b.add(y, bias) : y;
  }
  const inDim = weight.shape![1] as number;
  const flat = b.reshape(x, [-1, inDim]);
  const y = b.gemm(flat, weight, bias, { transB: true });
  if (!shape) throw new Error(`linear: the rank of '${x.name}' must be known`);
  // Keep the leading axes of x (by copying them from its runtime shape) and set the last to `out`.
  const lead = b.slice(b.shape(x), [0], [shape.length - 1], [0]);
  return b.refineShape(b.reshape(y, b.concat([lead, b.int64s([out])], 0)), [...shape.slice(0, -1), out]);
}

/** LayerNorm over the last axis, as `torch.nn.LayerNorm(hidden, eps)`. */
export function layerNorm(b: GraphBuilder, x: Value, weight: Value, bias: Value, eps: number): Value {
  return b.layerNormalization(x, weight, bias, eps, -1);
}

/** The exact (erf) GELU BERT uses: x · ½ · (1 + erf(x / √2)), as one node (see composite.ts). */
export function gelu(b: GraphBuilder, x: Value): Value {
  return b.gelu(x);
}

/** Rows of `table` ([vocab, hidden]) for integer `ids`. */
export function embedding(b: GraphBuilder, table: Value, ids: Value): Value {
  return b.gather(table, ids, 0);
}

/**
 * Inverted dropout (scales kept values by 1/(1−p)); the identity when not training or p = 0.
 *
 * With `ctx.masks` (the training graphs of optim.ts) the keep-mask is a graph input, x · mask,
 * that the runtime draws for every step from (seed, step, micro-batch, site): the masks are then
 * a function of the step alone, so a resumed run draws exactly the masks the uninterrupted run
 * would have, and no generator state needs saving. Otherwise ONNX's `Dropout`, seeded per node.
 */
export function dropout(ctx: LayerContext, x: Value, p: number): Value {
  if (!ctx.training || p === 0) return x;
  if (ctx.masks) {
    if (!x.shape || x.shape.some((d) => d === null)) throw new GraphError(`dropout: the shape of '${x.name}' must be known (symbolic dims are fine) to feed its mask`);
    if (x.dtype !== 'float32' && x.dtype !== 'float64') throw new GraphError(`dropout: '${x.name}' is ${x.dtype}, expected float32 or float64`);
    const name = dropoutMaskName(ctx.masks.length);
    const mask = ctx.b.input(name, x.dtype, x.shape);
    ctx.masks.push({ name, shape: x.shape, dtype: x.dtype, ratio: p });
    return ctx.b.mul(x, mask);
  }
  const seed = (ctx.seed * 1000003 + ++ctx.dropoutCount * 7919) % 2147483647;
  const [y] = ctx.b.dropout(x, ctx.b.scalar(p, x.dtype === 'float64' ? 'float64' : 'float32'), ctx.training, seed);
  return y;
}

/**
 * The additive attention mask from a `[batch, seq]` 0/1 mask: 0 where attended, a large
 * negative number where masked, shaped `[batch, 1, 1, seq]` to broadcast over heads and queries.
 * (Hugging Face uses the dtype's minimum; any value that makes exp() underflow is equivalent.)
 */
export function extendedAttentionMask(b: GraphBuilder, mask: Value, dtype: 'float32' | 'float64' = 'float32'): Value {
  const m = b.cast(b.unsqueeze(mask, [1, 2]), dtype);
  const one = b.scalar(1, dtype);
  return b.mul(b.sub(one, m), b.scalar(dtype === 'float32' ? -3.4028234663852886e38 : -1.7976931348623157e308, dtype));
}

export interface AttentionWeights {
  query: { weight: Value; bias: Value };
  key: { weight: Value; bias: Value };
  value: { weight: Value; bias: Value };
}

/**
 * Multi-head scaled dot-product self-attention with an additive mask, returning the context
 * `[batch, seq, hidden]` before the output projection (each architecture names that one itself).
 */
export function attention(
  ctx: LayerContext,
  x: Value,
  w: AttentionWeights,
  additiveMask: Value,
  opts: { heads: number; hidden: number; dropout: number },
): Value {
  const b = ctx.b;
  const headDim = opts.hidden / opts.heads;
  if (!Number.isInteger(headDim)) throw new Error(`attention: hidden size ${opts.hidden} is not a multiple of ${opts.heads} heads`);
  // [batch, seq, hidden] -> [batch, heads, seq, headDim] (keys straight to [batch, heads, headDim, seq]:
  // one transpose, so one copy, fewer to keep for the backward pass)
  const split = (v: Value, perm: number[]) => b.transpose(b.reshape(v, [0, 0, opts.heads, headDim]), perm);
  const q = split(linear(b, x, w.query.weight, w.query.bias), [0, 2, 1, 3]);
  const kT = split(linear(b, x, w.key.weight, w.key.bias), [0, 2, 3, 1]);
  const v = split(linear(b, x, w.value.weight, w.value.bias), [0, 2, 1, 3]);
  const scores = b.add(b.mul(b.matmul(q, kT), b.scalar(1 / Math.sqrt(headDim), x.dtype)), additiveMask);
  const probs = dropout(ctx, b.softmax(scores, -1), opts.dropout);
  const context = b.matmul(probs, v);
  return b.reshape(b.transpose(context, [0, 2, 1, 3]), [0, 0, opts.hidden]);
}
