/**
 * The optimiser, built into the training graph: global gradient-norm clipping
 * (`torch.nn.utils.clip_grad_norm_`) and AdamW with PyTorch's semantics (`torch.optim.AdamW`,
 * amsgrad off), so one ONNX Runtime call does forward, backward and update.
 *
 * With gradient accumulation the work is split in two graphs: a gradient graph run once per
 * micro-batch (it adds the micro-batch's gradient into running sums) and an apply graph run
 * once per optimizer step (clip + AdamW from the sums).
 */
import { grad } from './autodiff/grad.ts';
import type { TensorData } from './dtype.ts';
import { type Graph, GraphBuilder, GraphError, type Value } from './graph.ts';
import { type DropoutMask, type LayerContext, dropoutMaskName, layerContext } from './layers.ts';

// ---- configuration -------------------------------------------------------------------------

export interface AdamWOptions {
  /** (β1, β2); default (0.9, 0.999). */
  betas?: readonly [number, number];
  /** Added to the denominator; default 1e-8. */
  eps?: number;
  /** Decoupled weight decay; default 0 (the Hugging Face `TrainingArguments` default). */
  weightDecay?: number;
  /** Which parameters get weight decay; default {@link decaysByDefault} (the Hugging Face Trainer's grouping). */
  decay?: (name: string) => boolean;
}

export interface ResolvedAdamW {
  readonly betas: readonly [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  readonly decay: (name: string) => boolean;
}

const NO_DECAY = /(?:bias|layer_?norm\.weight)$/i;

/**
 * The Hugging Face Trainer's parameter groups: no weight decay for biases and LayerNorm
 * weights (a name ending in `bias`, `LayerNorm.weight`, `layer_norm.weight` or
 * `layernorm.weight`, in any case); decay for everything else.
 */
export function decaysByDefault(name: string): boolean {
  return !NO_DECAY.test(name);
}

export function resolveAdamW(o: AdamWOptions = {}): ResolvedAdamW {
  const betas = o.betas ?? [0.9, 0.999];
  const eps = o.eps ?? 1e-8;
  const weightDecay = o.weightDecay ?? 0;
  for (const [what, v] of [['beta1', betas[0]], ['beta2', betas[1]]] as const) {
    if (!(v >= 0 && v < 1)) throw new GraphError(`AdamW: ${what} must be in [0, 1), got ${v}`);
  }
  if (!(eps >= 0)) throw new GraphError(`AdamW: eps must be ≥ 0, got ${eps}`);
  if (!(weightDecay >= 0)) throw new GraphError(`AdamW: weight decay must be ≥ 0, got ${weightDecay}`);
  return { betas: [betas[0], betas[1]], eps, weightDecay, decay: o.decay ?? decaysByDefault };
}

// ---- value names shared by the graphs and the runtime --------------------------------------

/** How the training graphs name their inputs and outputs (moment names follow PyTorch's optimizer state). */
export const trainNames = {
  lr: 'lr',
  step: 'step',
  training: 'training',
  /** Accumulation only: the factor the micro-batch loss is scaled by before differentiation (1 / micro-batches). */
  lossScale: 'loss_scale',
  loss: 'loss',
  gradNorm: 'grad_norm',
  expAvg: (p: string) => `exp_avg/${p}`,
  expAvgSq: (p: string) => `exp_avg_sq/${p}`,
  gradSum: (p: string) => `grad_sum/${p}`,
  newParam: (p: string) => `new/${p}`,
  newExpAvg: (p: string) => `new_exp_avg/${p}`,
  newExpAvgSq: (p: string) => `new_exp_avg_sq/${p}`,
  newGradSum: (p: string) => `new_grad_sum/${p}`,
  /** The mask of the k-th dropout site (see `dropout` in layers.ts). */
  dropoutMask: dropoutMaskName,
} as const;

// ---- clipping ------------------------------------------------------------------------------

export interface GradNorm {
  /** The global L2 norm of all gradients before clipping, a float32 scalar (Hugging Face logs it). */
  readonly norm: Value;
  /** `min(maxNorm / (norm + 1e-6), 1)`, or `undefined` when clipping is off. */
  readonly coef: Value | undefined;
}

/**
 * The global gradient norm and the clipping coefficient of `torch.nn.utils.clip_grad_norm_`:
 * total = √(Σ_p Σ g²), coef = min(maxNorm / (total + 1e-6), 1). Gradients are not multiplied
 * here: {@link adamW} folds the coefficient into its scalar factors (see there). Clipping is off
 * when `maxNorm` is undefined, 0 or infinite (the norm is still computed).
 */
export function gradNorm(b: GraphBuilder, grads: readonly Value[], maxNorm: number | undefined): GradNorm {
  if (grads.length === 0) throw new GraphError('gradNorm: no gradients (the loss depends on no parameter)');
  const squares = grads.map((g) => b.reduceSumSquareAll(g));
  const norm = b.sqrt(b.sum(squares));
  if (maxNorm === undefined || maxNorm === 0 || maxNorm === Infinity) return { norm, coef: undefined };
  if (!(maxNorm > 0)) throw new GraphError(`gradNorm: max norm must be > 0, got ${maxNorm}`);
  const coef = b.min(b.div(b.scalar(maxNorm), b.add(norm, b.scalar(1e-6))), b.scalar(1));
  return { norm, coef };
}

/** `clip_grad_norm_` with the gradients multiplied out, for callers that want clipped gradients themselves. */
export function clipGradNorm(b: GraphBuilder, grads: readonly Value[], maxNorm: number): { norm: Value; grads: Value[] } {
  const { norm, coef } = gradNorm(b, grads, maxNorm);
  return { norm, grads: grads.map((g) => (coef ? b.mul(g, coef) : g)) };
}

// ---- AdamW ---------------------------------------------------------------------------------

/** One parameter's slot in an AdamW update. */
export interface AdamWSlot {
  readonly name: string;
  readonly param: Value;
  /** The unclipped gradient. */
  readonly grad: Value;
  readonly expAvg: Value;
  readonly expAvgSq: Value;
}

export interface AdamWResult {
  readonly name: string;
  readonly param: Value;
  readonly expAvg: Value;
  readonly expAvgSq: Value;
}

/** Elementwise ops {@link adamW} emits per parameter: with weight decay, and without. */
export const ADAMW_ELEMENTWISE_OPS = { decayed: 14, undecayed: 13 } as const;

/** A bool scalar: whether `x` is finite (x − x is 0 for finite x, NaN for ±inf and NaN). */
export function isFinite(b: GraphBuilder, x: Value): Value {
  return b.equal(b.sub(x, x), b.scalar(0, x.dtype));
}

/**
 * AdamW exactly as `torch.optim.AdamW` (amsgrad off) after `clip_grad_norm_`, for step t ≥ 1:
 *
 *     g ← coef·g;  p ← p·(1 − lr·wd);  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
 *     p ← p − lr/(1−β1ᵗ) · m / (√v / √(1−β2ᵗ) + eps)
 *
 * All scalar factors are computed once, in float64, from the float32 scalar inputs `lr` and
 * `step` (t) and the clipping coefficient, then cast to float32:
 *
 *     a = (1−β1)·coef,  c = (1−β2)·coef²,  ε̂ = eps·√(1−β2ᵗ),  ŝ = lr·√(1−β2ᵗ)/(1−β1ᵗ),  d = 1 − lr·wd
 *
 * so that, per parameter (multiplying numerator and denominator of the update by √(1−β2ᵗ)):
 *
 *     g̃  = ok ? g : 0                      1 op  (Where)
 *     m' = m·β1 + g̃·a                      3 ops (Mul, Mul, Add)
 *     v' = v·β2 + (g̃·g̃)·c                  4 ops (Mul, Mul, Mul, Add)
 *     p' = p·d − (m' / (√v' + ε̂))·ŝ       6 ops (Sqrt, Add, Div, Mul, Mul, Sub); 5 without decay
 *
 * 14 elementwise ops per decayed parameter, 13 per undecayed one (and 13 for every parameter
 * when the weight decay is 0), plus one ReduceSumSquare pass in {@link gradNorm}. The clipped
 * gradient is never materialised (clipping costs no per-element op), and the form keeps an
 * lr of 0 (warm-up's first step) exact: ŝ = 0 gives p' = p·d. Memory traffic dominates at
 * BERT size, so the count is what matters; ORT runs each op as one vectorised pass.
 *
 * `ok` (a bool scalar: the loss and the gradient norm are finite) makes a diverged step the
 * identity, bit for bit: the gradient is replaced by zeros and the scalars by β1 = β2 = d = 1,
 * a = c = ŝ = 0, so m' = m, v' = v and p' = p. That is what lets the runtime update its
 * buffers in place (outputs written over the inputs) and still keep the last good state.
 */
export function adamW(
  b: GraphBuilder,
  slots: readonly AdamWSlot[],
  inputs: { lr: Value; step: Value; clipCoef: Value | undefined; ok: Value },
  opts: ResolvedAdamW,
): AdamWResult[] {
  const [beta1, beta2] = opts.betas;
  const f64 = (x: number) => b.scalar(x, 'float64');
  const scalars = b.scope('adamw_scalars', () => {
    const lr = b.cast(inputs.lr, 'float64');
    const t = b.cast(inputs.step, 'float64');
    const bc1 = b.sub(f64(1), b.pow(f64(beta1), t));
    const sqrtBc2 = b.sqrt(b.sub(f64(1), b.pow(f64(beta2), t)));
    const coef = inputs.clipCoef ? b.cast(inputs.clipCoef, 'float64') : undefined;
    const a = coef ? b.mul(f64(1 - beta1), coef) : f64(1 - beta1);
    const c = coef ? b.mul(f64(1 - beta2), b.mul(coef, coef)) : f64(1 - beta2);
    const epsHat = b.mul(f64(opts.eps), sqrtBc2);
    const stepHat = b.div(b.mul(lr, sqrtBc2), bc1);
    const decay = b.sub(f64(1), b.mul(lr, f64(opts.weightDecay)));
    // On a diverged step every factor takes the value that makes the update the identity.
    const gated = (v: Value, identity: number) => b.where(inputs.ok, v.dtype === 'float32' ? v : b.cast(v, 'float32'), b.scalar(identity));
    return {
      a: gated(a, 0),
      c: gated(c, 0),
      epsHat: gated(epsHat, 1),
      stepHat: gated(stepHat, 0),
      decay: gated(decay, 1),
      beta1: gated(b.scalar(beta1), 1),
      beta2: gated(b.scalar(beta2), 1),
    };
  });
  return slots.map((s) =>
    b.scope(`adamw/${s.name}`, () => {
      const g = b.where(inputs.ok, s.grad, b.scalar(0));
      const m = b.add(b.mul(s.expAvg, scalars.beta1), b.mul(g, scalars.a));
      const v = b.add(b.mul(s.expAvgSq, scalars.beta2), b.mul(b.mul(g, g), scalars.c));
      const update = b.mul(b.div(m, b.add(b.sqrt(v), scalars.epsHat)), scalars.stepHat);
      const decayed = opts.weightDecay !== 0 && opts.decay(s.name) ? b.mul(s.param, scalars.decay) : s.param;
      return { name: s.name, param: b.sub(decayed, update), expAvg: m, expAvgSq: v };
    }),
  );
}

// ---- the training graphs -------------------------------------------------------------------

/**
 * A model: declares its batch inputs with `b.input(...)`, reads the weights from `params`
 * (graph inputs, in the order given), and returns a scalar loss and, for evaluation, any
 * outputs worth reading (e.g. `logits`). Dropout goes through `ctx` (its `training` is
 * undefined in evaluation graphs, making dropout the identity).
 */
export type ModelFn = (
  b: GraphBuilder,
  params: ReadonlyMap<string, Value>,
  ctx: LayerContext,
) => { loss: Value; outputs?: Readonly<Record<string, Value>> };

export interface ParamSpec {
  readonly name: string;
  readonly dims: readonly number[];
}

export interface TrainingGraphOptions {
  /** The weights, in a fixed order (it is the order of the graph inputs). */
  params: readonly ParamSpec[];
  model: ModelFn;
  adamw?: AdamWOptions;
  /** Global gradient-norm clipping threshold; undefined or 0: no clipping. */
  maxGradNorm?: number;
  /** Micro-batches per optimizer step; default 1. */
  accumulation?: number;
  /** Base seed of the dropout nodes. */
  seed?: number;
}

export interface TrainingGraphs {
  /** Accumulation 1: forward, backward, clip and AdamW in one graph, outputs `loss`, `grad_norm` and the new state. */
  readonly fused?: Graph;
  /** Accumulation > 1: per micro-batch, outputs `loss` (unscaled) and the new gradient sums. */
  readonly gradient?: Graph;
  /** Accumulation > 1: clip + AdamW from the gradient sums; outputs `grad_norm` and the new state. */
  readonly apply?: Graph;
  /** Parameters the loss depends on: they are updated, their moments too. */
  readonly trainable: readonly string[];
  /**
   * Parameters the loss does not depend on (absent from `grad`'s result): inputs of the forward
   * pass only. They and their moments are passed through unchanged (PyTorch skips a parameter
   * whose `.grad` is None); the graphs do not even copy them.
   */
  readonly frozen: readonly string[];
  /** The batch inputs the model declared (name, dtype, shape), in declaration order. */
  readonly batchInputs: readonly Value[];
  /**
   * The dropout sites, whose masks are graph inputs of the fused or gradient graph: the runtime
   * feeds each one per (micro-)batch (see `dropout` in layers.ts).
   */
  readonly dropoutMasks: readonly DropoutMask[];
}

function paramInputs(b: GraphBuilder, params: readonly ParamSpec[]): Map<string, Value> {
  const m = new Map<string, Value>();
  for (const p of params) {
    if (m.has(p.name)) throw new GraphError(`parameter '${p.name}' is listed twice`);
    m.set(p.name, b.input(p.name, 'float32', p.dims));
  }
  return m;
}

/** Runs the model on a builder whose parameter inputs are declared; returns the loss and the inputs it declared. */
function runModel(b: GraphBuilder, model: ModelFn, params: ReadonlyMap<string, Value>, ctx: LayerContext) {
  const before = b.inputs.length;
  const result = model(b, params, ctx);
  const batchInputs = b.inputs.slice(before);
  const { loss } = result;
  if (!loss || !b.values.has(loss.name)) throw new GraphError(`the model function returned no loss value of graph '${b.name}'`);
  if (loss.dtype !== 'float32') throw new GraphError(`the loss '${loss.name}' must be float32, it is ${loss.dtype}`);
  if (loss.shape && loss.shape.length !== 0) throw new GraphError(`the loss '${loss.name}' must be a scalar, it has shape [${loss.shape.join(', ')}]`);
  return { loss, outputs: result.outputs ?? {}, batchInputs };
}

/**
 * Builds the training graph(s) of a model: one fused graph when `accumulation` is 1, else a
 * gradient graph and an apply graph. Inputs and outputs are named by {@link trainNames}.
 */
export function buildTrainingGraphs(o: TrainingGraphOptions): TrainingGraphs {
  const accumulation = o.accumulation ?? 1;
  if (!Number.isInteger(accumulation) || accumulation < 1) throw new GraphError(`accumulation must be a positive integer, got ${accumulation}`);
  const adam = resolveAdamW(o.adamw);
  const seed = o.seed ?? 42;
  const n = trainNames;

  const b = new GraphBuilder(accumulation === 1 ? 'train' : 'train_gradient');
  const params = paramInputs(b, o.params);
  const training = b.input(n.training, 'bool', []);
  // Declared before the model runs so that a model input of the same name fails at once.
  const lr = accumulation === 1 ? b.input(n.lr, 'float32', []) : undefined;
  const step = accumulation === 1 ? b.input(n.step, 'float32', []) : undefined;
  const lossScale = accumulation === 1 ? undefined : b.input(n.lossScale, 'float32', []);
  const dropoutMasks: DropoutMask[] = [];
  const model = runModel(b, o.model, params, layerContext(b, training, seed, dropoutMasks));
  const { loss } = model;
  const maskNames = new Set(dropoutMasks.map((m) => m.name));
  const batchInputs = model.batchInputs.filter((v) => !maskNames.has(v.name));
  b.output(loss, n.loss);

  const paramValues = [...params.values()];
  const grads = grad(b, loss, paramValues, lossScale ? { seed: lossScale } : {});
  const trainable = o.params.map((p) => p.name).filter((p) => grads.has(p));
  const frozen = o.params.map((p) => p.name).filter((p) => !grads.has(p));
  if (trainable.length === 0) throw new GraphError('the loss depends on no parameter: nothing to train');

  if (accumulation === 1) {
    const { norm, coef } = b.scope('clip', () => gradNorm(b, trainable.map((p) => grads.get(p)!), o.maxGradNorm));
    b.output(norm, n.gradNorm);
    const slots = trainable.map((p) => ({
      name: p,
      param: params.get(p)!,
      grad: grads.get(p)!,
      expAvg: b.input(n.expAvg(p), 'float32', params.get(p)!.shape!),
      expAvgSq: b.input(n.expAvgSq(p), 'float32', params.get(p)!.shape!),
    }));
    const ok = b.op1('And', [isFinite(b, loss), isFinite(b, norm)]);
    emitUpdates(b, adamW(b, slots, { lr: lr!, step: step!, clipCoef: coef, ok }, adam));
    return { fused: b.build(), trainable, frozen, batchInputs, dropoutMasks };
  }

  for (const p of trainable) {
    const shape = params.get(p)!.shape!;
    const sum = b.input(n.gradSum(p), 'float32', shape);
    b.output(b.scope(`accumulate/${p}`, () => b.add(sum, grads.get(p)!)), n.newGradSum(p));
  }

  const a = new GraphBuilder('train_apply');
  const slots = trainable.map((p) => {
    const dims = o.params.find((q) => q.name === p)!.dims;
    return {
      name: p,
      param: a.input(p, 'float32', dims),
      grad: a.input(n.gradSum(p), 'float32', dims),
      expAvg: a.input(n.expAvg(p), 'float32', dims),
      expAvgSq: a.input(n.expAvgSq(p), 'float32', dims),
    };
  });
  const alr = a.input(n.lr, 'float32', []);
  const astep = a.input(n.step, 'float32', []);
  const { norm, coef } = a.scope('clip', () => gradNorm(a, slots.map((s) => s.grad), o.maxGradNorm));
  a.output(norm, n.gradNorm);
  emitUpdates(a, adamW(a, slots, { lr: alr, step: astep, clipCoef: coef, ok: isFinite(a, norm) }, adam));
  return { gradient: b.build(), apply: a.build(), trainable, frozen, batchInputs, dropoutMasks };
}

function emitUpdates(b: GraphBuilder, results: readonly AdamWResult[]): void {
  for (const r of results) {
    b.output(r.param, trainNames.newParam(r.name));
    b.output(r.expAvg, trainNames.newExpAvg(r.name));
    b.output(r.expAvgSq, trainNames.newExpAvgSq(r.name));
  }
}

export interface EvalGraph {
  readonly graph: Graph;
  /** The batch inputs the pruned graph still needs. */
  readonly batchInputs: readonly Value[];
  /** Every batch input the model declared (a batch may carry those the outputs do not need, e.g. labels). */
  readonly declaredInputs: readonly Value[];
  /** The parameters the pruned graph still reads. */
  readonly params: readonly string[];
}

/**
 * The evaluation graph of a model: weights as graph inputs (so the runtime feeds its current
 * buffers without copying), no `training` input (dropout is the identity), outputs `loss`
 * and/or the model's named outputs, pruned to what those outputs need (so a prediction run
 * need not feed labels).
 */
export function buildEvalGraph(o: { params: readonly ParamSpec[]; model: ModelFn; seed?: number; outputs?: readonly string[] }): EvalGraph {
  const b = new GraphBuilder('eval');
  const params = paramInputs(b, o.params);
  const { loss, outputs, batchInputs } = runModel(b, o.model, params, layerContext(b, undefined, o.seed ?? 42));
  const all: Record<string, Value> = { [trainNames.loss]: loss, ...outputs };
  const wanted = o.outputs ?? Object.keys(all);
  for (const name of wanted) {
    const v = all[name];
    if (!v) throw new GraphError(`the model has no output '${name}' (it has: ${Object.keys(all).join(', ')})`);
    b.output(v, name);
  }
  const graph = pruneGraph(b.build());
  const kept = new Set(graph.inputs.map((v) => v.name));
  return {
    graph,
    batchInputs: batchInputs.filter((v) => kept.has(v.name)),
    declaredInputs: batchInputs,
    params: o.params.map((p) => p.name).filter((p) => kept.has(p)),
  };
}

/** Drops the nodes, inputs and initializers the graph's outputs do not depend on (ORT needs every input fed). */
export function pruneGraph(g: Graph): Graph {
  const producer = new Map<string, (typeof g.nodes)[number]>();
  for (const node of g.nodes) for (const out of node.outputs) producer.set(out, node);
  const needed = new Set<string>();
  const keep = new Set<(typeof g.nodes)[number]>();
  const stack = g.outputs.map((v) => v.name);
  while (stack.length) {
    const name = stack.pop()!;
    if (needed.has(name)) continue;
    needed.add(name);
    const node = producer.get(name);
    if (node && !keep.has(node)) {
      keep.add(node);
      for (const i of node.inputs) if (i) stack.push(i);
    }
  }
  const initializers = new Map<string, TensorData>();
  for (const [k, t] of g.initializers) if (needed.has(k)) initializers.set(k, t);
  return {
    ...g,
    inputs: g.inputs.filter((v) => needed.has(v.name)),
    initializers,
    nodes: g.nodes.filter((node) => keep.has(node)),
  };
}
