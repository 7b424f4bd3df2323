/**
 * The training graphs: forward pass, loss and backward pass of a model, with the gradients as
 * outputs. The optimizer (clipping + AdamW) is not in the
 * graph: it runs as one WebAssembly pass over the runtime's buffers (adamw.ts), because ONNX has
 * no fused update and ~10 elementwise graph ops per tensor, plus a copy of every weight and
 * moment out of onnxruntime-node per step, cost more than the whole update does in WebAssembly.
 *
 * With gradient accumulation the graph adds each micro-batch's gradient into running sums (fed
 * and fetched in place) instead of writing it out.
 */
import { grad } from './autodiff/grad.ts';
import type { TensorData } from './dtype.ts';
import { type Graph, GraphBuilder, GraphError, type Value } from './graph.ts';
import { type DropoutMask, type LayerContext, dropoutMaskName, layerContext } from './layers.ts';

// ---- value names shared by the graphs and the runtime --------------------------------------

/** How the training graphs name their inputs and outputs. */
export const trainNames = {
  training: 'training',
  /** Accumulation only: the factor the micro-batch loss is scaled by before differentiation (1 / micro-batches). */
  lossScale: 'loss_scale',
  loss: 'loss',
  grad: (p: string) => `grad/${p}`,
  gradSum: (p: string) => `grad_sum/${p}`,
  newGradSum: (p: string) => `new_grad_sum/${p}`,
  /** The mask of the k-th dropout site (see `dropout` in layers.ts). */
  dropoutMask: dropoutMaskName,
} as const;

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
  /** Micro-batches per optimizer step; default 1. */
  accumulation?: number;
  /** Base seed of the dropout nodes. */
  seed?: number;
}

export interface TrainingGraphs {
  /**
   * Forward + loss + backward. Outputs `loss` (unscaled) and, per trainable parameter, `grad/<p>` (accumulation 1) or `new_grad_sum/<p>` = `grad_sum/<p>` + this
   * micro-batch's gradient of loss · `loss_scale` (accumulation > 1).
   */
  readonly graph: Graph;
  /** Whether the graph accumulates into gradient sums (accumulation > 1). */
  readonly accumulates: boolean;
  /** Parameters the loss depends on: they are updated, their moments too. */
  readonly trainable: readonly string[];
  /**
   * Parameters the loss does not depend on (absent from `grad`'s result): inputs of the forward
   * pass only. They and their moments stay unchanged (PyTorch skips a parameter whose `.grad` is
   * None).
   */
  readonly frozen: readonly string[];
  /** The batch inputs the model declared (name, dtype, shape), in declaration order. */
  readonly batchInputs: readonly Value[];
  /** The dropout sites, whose masks are graph inputs: the runtime feeds each one per (micro-)batch (see `dropout` in layers.ts). */
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
 * Builds the training graph of a model (see {@link TrainingGraphs}). Inputs and outputs are
 * named by {@link trainNames}.
 */
export function buildTrainingGraphs(o: TrainingGraphOptions): TrainingGraphs {
  const accumulation = o.accumulation ?? 1;
  if (!Number.isInteger(accumulation) || accumulation < 1) throw new GraphError(`accumulation must be a positive integer, got ${accumulation}`);
  const accumulates = accumulation > 1;
  const n = trainNames;
  const b = new GraphBuilder(accumulates ? 'train_gradient' : 'train');
  const params = paramInputs(b, o.params);
  // Declared before the model runs so that a model input of the same name fails at once.
  const training = b.input(n.training, 'bool', []);
  const lossScale = accumulates ? b.input(n.lossScale, 'float32', []) : undefined;
  const dropoutMasks: DropoutMask[] = [];
  const model = runModel(b, o.model, params, layerContext(b, training, o.seed ?? 42, dropoutMasks));
  const { loss } = model;
  const maskNames = new Set(dropoutMasks.map((m) => m.name));
  const batchInputs = model.batchInputs.filter((v) => !maskNames.has(v.name));
  b.output(loss, n.loss);

  const grads = grad(b, loss, [...params.values()], lossScale ? { seed: lossScale } : {});
  const trainable = o.params.map((p) => p.name).filter((p) => grads.has(p));
  const frozen = o.params.map((p) => p.name).filter((p) => !grads.has(p));
  if (trainable.length === 0) throw new GraphError('the loss depends on no parameter: nothing to train');

  // The gradients' norm is not computed here: the optimizer sums their squares in WebAssembly,
  // in float64, after the last micro-batch (one pass, and ~140 nodes fewer at bert-mini size).
  for (const p of trainable) {
    const g = grads.get(p)!;
    if (accumulates) {
      const sum = b.input(n.gradSum(p), 'float32', params.get(p)!.shape!);
      b.output(b.scope(`accumulate/${p}`, () => b.add(sum, g)), n.newGradSum(p));
    } else {
      b.output(g, n.grad(p));
    }
  }
  return { graph: b.build(), accumulates, trainable, frozen, batchInputs, dropoutMasks };
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
