/**
 * The training runtime: runs the training graph of `optim.ts` through ONNX Runtime (ort.ts:
 * onnxruntime-node, or onnxruntime-web in a browser) and the optimizer of `adamw.ts` over the
 * same buffers.
 *
 * Buffers: every trainable tensor's weights, gradient and AdamW moments live in WebAssembly
 * memory (`AdamWState`), each wrapped once in an `ort.Tensor`. A step feeds the weights (ONNX
 * Runtime reads them in place) and passes the gradient views as pre-allocated outputs (ONNX
 * Runtime writes them in place); then WebAssembly sums the gradients' squares and, if the loss
 * and the gradient norm are finite, one fused pass clips and applies AdamW. A diverged step never reaches the optimizer, so the
 * last good weights and moments survive it untouched.
 */
import * as ort from './ort.ts';
import { TokentagError } from '../errors.ts';
import { type AdamWOptions, type ResolvedAdamW, AdamWState, adamwScalars, clipCoefficient, resolveAdamW, totalNorm } from './adamw.ts';
import { type DType, type TensorData, sizeOf, tensor } from './dtype.ts';
import type { Graph, Shape, Value } from './graph.ts';
import { serializeModel } from './onnx.ts';
import { DropoutMaskSource } from './dropout-masks.ts';
import { type EvalGraph, type ModelFn, type TrainingGraphs, buildEvalGraph, buildTrainingGraphs, trainNames as N } from './optim.ts';

// ---- errors --------------------------------------------------------------------------------

/** The loss or the gradient norm of a step is NaN or infinite; the weights were left as they were. */
export class TrainingDivergedError extends TokentagError {
  override name = 'TrainingDivergedError';
  constructor(
    readonly quantity: 'loss' | 'grad_norm',
    readonly value: number,
    /** The 1-based optimizer step that failed (it was not applied). */
    readonly step: number,
  ) {
    super(`${quantity} is ${Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity'} at step ${step}; the weights of step ${step - 1} were kept`);
  }
}

/** A batch that does not match the inputs the model declared (missing, unknown, wrong type or dims). */
export class BatchInputError extends TokentagError {
  override name = 'BatchInputError';
}

/** ONNX Runtime failed creating or running a session; the message names the graph (and the step). */
export class EngineRuntimeError extends TokentagError {
  override name = 'EngineRuntimeError';
}

// ---- options & results ---------------------------------------------------------------------

export type ExecutionProvider = 'cpu' | 'cuda' | 'webgpu';

/** One (micro-)batch: a tensor per input the model declared, by name. */
export type TensorBatch = Readonly<Record<string, TensorData>>;

export interface TrainingSessionOptions {
  /** The initial weights, in a fixed order (copied: the session owns its buffers). */
  params: ReadonlyMap<string, TensorData<'float32'>>;
  model: ModelFn;
  adamw?: AdamWOptions;
  /** Global gradient-norm clipping; default 1.0 (Hugging Face's `max_grad_norm`); 0 turns clipping off. */
  maxGradNorm?: number;
  /** Micro-batches per optimizer step; default 1. */
  accumulationSteps?: number;
  /** Seeds dropout; default 42. The same seed gives the same losses. */
  seed?: number;
  /** Intra-op threads; default one per core the process may use (`ort.defaultIntraOpThreads`; docs/benchmarks.md, "Threads"). */
  threads?: number;
  /** Whether ONNX Runtime's intra-op threads spin while they wait for work (its `allow_spinning`); default: ONNX Runtime's (true). */
  spinning?: boolean;
  /** Default `'cpu'`. `'cuda'` and `'webgpu'` need an onnxruntime-node build that has them. */
  executionProvider?: ExecutionProvider;
  /**
   * The most bytes of optimizer state (weights, gradients and both moments) one WebAssembly
   * memory holds; default 4 GiB, the limit of a 32-bit memory. Larger models are split over
   * several memories.
   */
  optimizerShardBytes?: number;
}

export interface StepOptions {
  /** The learning rate of this step (the schedule lives with the caller). */
  lr: number;
}

export interface StepResult {
  /** The mean of the micro-batch losses (each unscaled). */
  loss: number;
  /** The global gradient norm before clipping. */
  gradNorm: number;
  /** The optimizer step just applied (1-based). */
  step: number;
}

export interface TrainingState {
  /** Optimizer steps applied so far (the `t` of the next step's bias correction is step + 1). */
  step: number;
  params: Map<string, TensorData<'float32'>>;
  expAvg: Map<string, TensorData<'float32'>>;
  expAvgSq: Map<string, TensorData<'float32'>>;
}

export interface EvalResult {
  /** The loss, when it was among the requested outputs. */
  loss?: number;
  outputs: Record<string, TensorData>;
}

/** Below this many bytes of gradients fetched per step, V8's own collections keep up and none is forced. */
const COLLECT_ABOVE_BYTES = 64 * 2 ** 20;

// ---- buffers -------------------------------------------------------------------------------

/** A float32 scalar tensor reused for every run (loss scale, loss …). */
function scalarSlot(): { data: Float32Array; tensor: ort.Tensor } {
  const data = new Float32Array(1);
  return { data, tensor: new ort.Tensor('float32', data, []) };
}

function formatDims(shape: Shape | readonly number[]): string {
  return `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}

const typedArrayDType = (d: TensorData['data']): string => d.constructor.name;
const expectedArray: Record<DType, string> = {
  float32: 'Float32Array',
  float64: 'Float64Array',
  int64: 'BigInt64Array',
  int32: 'Int32Array',
  bool: 'Uint8Array',
  uint8: 'Uint8Array',
  int8: 'Int8Array',
  float16: 'Uint16Array',
};

/**
 * Checks a batch against the declared inputs before ORT sees it: every input present, no
 * unknown ones, element types, ranks, fixed dims, and symbolic dims (`'batch'`) consistent
 * across inputs. Inputs in `ignorable` may be present and are not fed (an evaluation graph
 * pruned of the loss does not need the labels). Returns the ORT tensors (wrapping the batch's
 * arrays, no copy).
 */
export function checkBatch(declared: readonly Value[], batch: TensorBatch, what: string, ignorable: readonly Value[] = []): Record<string, ort.Tensor> {
  const out: Record<string, ort.Tensor> = {};
  const symbols = new Map<string, { size: number; input: string }>();
  const names = [...declared, ...ignorable].map((v) => v.name);
  for (const key of Object.keys(batch)) {
    if (!names.includes(key)) throw new BatchInputError(`${what}: unknown input '${key}'; the model declares ${names.map((n) => `'${n}'`).join(', ')}`);
  }
  for (const v of declared) {
    const t = batch[v.name];
    const expected = `${v.dtype} ${formatDims(v.shape ?? [])}`;
    if (!t) throw new BatchInputError(`${what}: input '${v.name}' is missing; the model declares it as ${expected}`);
    if (t.dtype !== v.dtype) throw new BatchInputError(`${what}: input '${v.name}' is ${t.dtype}, the model declares ${expected}`);
    if (typedArrayDType(t.data) !== expectedArray[v.dtype]) {
      throw new BatchInputError(`${what}: input '${v.name}' (${v.dtype}) holds a ${typedArrayDType(t.data)}, expected a ${expectedArray[v.dtype]}`);
    }
    if (t.data.length !== sizeOf(t.dims)) {
      throw new BatchInputError(`${what}: input '${v.name}' has dims ${formatDims(t.dims)} (${sizeOf(t.dims)} elements) but ${t.data.length} values`);
    }
    if (v.shape) {
      const mismatch = (detail: string) =>
        new BatchInputError(`${what}: input '${v.name}' has dims ${formatDims(t.dims)} but the model declares ${formatDims(v.shape!)} (${detail})`);
      if (t.dims.length !== v.shape.length) throw mismatch(`rank ${t.dims.length} instead of ${v.shape.length}`);
      v.shape.forEach((d, i) => {
        const given = t.dims[i]!;
        if (typeof d === 'number' && d !== given) throw mismatch(`dim ${i} must be ${d}`);
        if (typeof d === 'string') {
          const seen = symbols.get(d);
          if (!seen) symbols.set(d, { size: given, input: v.name });
          else if (seen.size !== given) throw mismatch(`dim ${i} is '${d}', which is ${seen.size} in input '${seen.input}'`);
        }
      });
    }
    out[v.name] = new ort.Tensor(t.dtype, t.data, t.dims);
  }
  return out;
}

interface SessionSettings {
  readonly threads?: number;
  readonly spinning?: boolean;
  readonly ep: ExecutionProvider;
}

async function createSession(graph: Graph, opts: SessionSettings): Promise<ort.InferenceSession> {
  const { model } = serializeModel(graph);
  // ORT's own log lines would repeat errors that are rethrown with the graph and step named.
  const so: ort.InferenceSession.SessionOptions = { executionProviders: [opts.ep], graphOptimizationLevel: 'all', logSeverityLevel: 4 };
  if (opts.threads !== undefined) so.intraOpNumThreads = opts.threads;
  if (opts.spinning !== undefined) so.extra = { session: { intra_op: { allow_spinning: opts.spinning ? '1' : '0' } } };
  // Per-node timings as Chrome trace JSON, for finding where a step's time goes.
  const profile = ort.profilePrefix();
  if (profile) Object.assign(so, { enableProfiling: true, profileFilePrefix: `${profile}-${graph.name}` });
  // ORT's arena grows in powers of two and keeps what it took; plain malloc (tuned by
  // bin/tokentag.js to keep freed memory) wastes less and was as fast in bench/engine.
  so.enableCpuMemArena = false;
  try {
    return await ort.InferenceSession.create(model, so);
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0];
    throw new EngineRuntimeError(`ONNX Runtime could not create a session for graph '${graph.name}' on execution provider '${opts.ep}': ${msg}`, { cause: e });
  }
}

function checkProvider(ep: ExecutionProvider): void {
  if (ep === 'cpu') return;
  const available = ort.availableProviders();
  if (!available.includes(ep)) {
    throw new EngineRuntimeError(`execution provider '${ep}' is not available in this ${ort.RUNTIME} build (available: ${available.join(', ')})`);
  }
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}


// ---- the session ---------------------------------------------------------------------------

/** A trainable tensor: its views in WebAssembly memory, wrapped once for ONNX Runtime. */
interface TrainableBuffers {
  readonly param: ort.Tensor;
  readonly grad: ort.Tensor;
}

/**
 * Trains a model written as a {@link ModelFn} with AdamW: forward and backward passes in ONNX
 * Runtime, clipping and AdamW in WebAssembly, over buffers they share.
 *
 *     const s = await TrainingSession.create({ params, model, adamw: { weightDecay: 0.01 } });
 *     const { loss, gradNorm } = await s.step(batch, { lr: 5e-5 });
 *
 * Steps must not overlap (await each one); the session is not reentrant.
 */
export class TrainingSession {
  /** Names of all parameters, in order. */
  readonly paramNames: readonly string[];
  /** Parameters the loss depends on (updated each step). */
  readonly trainable: readonly string[];
  /** Parameters the loss does not depend on: never changed, their moments neither. */
  readonly frozen: readonly string[];
  /** The batch inputs the model declared. */
  readonly batchInputs: readonly Value[];
  readonly accumulationSteps: number;
  /**
   * Milliseconds spent in each phase of `step()` since the session was made (bench/profile.ts
   * reads them): drawing dropout masks, running the graph (ONNX Runtime plus the binding's
   * copies of the outputs), and the optimizer.
   */
  readonly timings = { steps: 0, masks: 0, graph: 0, optimizer: 0 };
  /** The intra-op threads the sessions use (undefined: ONNX Runtime's choice). */
  readonly threads: number | undefined;

  private readonly dims = new Map<string, readonly number[]>();
  private readonly buffers = new Map<string, TrainableBuffers>();
  /** Frozen parameters and their (unchanging, zero) moments: one buffer each. */
  private readonly fixed = new Map<string, { param: ort.Tensor; expAvg: Float32Array; expAvgSq: Float32Array }>();
  private steps = 0;
  /** Bytes of gradients fetched per step: what the binding copies each time. */
  private readonly gradBytes: number;
  private busy = false;
  private readonly verified = new Set<string>();
  private readonly copyOutputs = new Set<string>();
  private readonly lossScale = scalarSlot();
  private readonly lossOut = scalarSlot();
  private readonly training = new ort.Tensor('bool', Uint8Array.of(1), []);
  private readonly evalSessions = new Map<string, Promise<{ graph: EvalGraph; session: ort.InferenceSession }>>();
  /** Draws the dropout masks each (micro-)batch feeds; undefined when the model has no dropout. */
  private readonly masks: DropoutMaskSource | undefined;
  private readonly adam: ResolvedAdamW;
  private readonly accumulates: boolean;

  private constructor(
    private readonly opts: TrainingSessionOptions,
    graphs: TrainingGraphs,
    private readonly session: ort.InferenceSession,
    private readonly state_: AdamWState,
    masks: DropoutMaskSource | undefined,
  ) {
    this.paramNames = [...opts.params.keys()];
    this.trainable = graphs.trainable;
    this.frozen = graphs.frozen;
    this.batchInputs = graphs.batchInputs;
    this.accumulationSteps = opts.accumulationSteps ?? 1;
    this.accumulates = graphs.accumulates;
    this.adam = resolveAdamW(opts.adamw);
    this.threads = opts.threads; // create() filled in the default
    for (const [name, t] of opts.params) this.dims.set(name, [...t.dims]);
    for (const name of graphs.trainable) {
      const dims = this.dims.get(name)!;
      this.buffers.set(name, {
        param: new ort.Tensor('float32', state_.param(name), dims),
        grad: new ort.Tensor('float32', state_.grad(name), dims),
      });
    }
    for (const name of graphs.frozen) {
      const dims = this.dims.get(name)!;
      const n = sizeOf(dims);
      this.fixed.set(name, { param: new ort.Tensor('float32', new Float32Array(n), dims), expAvg: new Float32Array(n), expAvgSq: new Float32Array(n) });
    }
    for (const [name, t] of opts.params) this.paramArray(name).set(t.data);
    this.gradBytes = graphs.trainable.reduce((n, p) => n + 4 * sizeOf(this.dims.get(p)!), 0);
    this.masks = masks;
  }

  static async create(opts: TrainingSessionOptions): Promise<TrainingSession> {
    const ep = opts.executionProvider ?? 'cpu';
    checkProvider(ep);
    for (const [name, t] of opts.params) {
      if (t.dtype !== 'float32' || !(t.data instanceof Float32Array)) throw new BatchInputError(`parameter '${name}' must be float32`);
      if (t.data.length !== sizeOf(t.dims)) throw new BatchInputError(`parameter '${name}' has dims ${formatDims(t.dims)} but ${t.data.length} values`);
    }
    if (opts.threads !== undefined && !(Number.isInteger(opts.threads) && opts.threads >= 1)) {
      throw new EngineRuntimeError(`threads must be a positive integer, got ${opts.threads}`);
    }
    const adam = resolveAdamW(opts.adamw);
    clipCoefficient(0, opts.maxGradNorm ?? 1); // validates maxGradNorm before the (slow) graph build
    const graphs = buildTrainingGraphs({
      params: [...opts.params].map(([name, t]) => ({ name, dims: t.dims })),
      model: opts.model,
      accumulation: opts.accumulationSteps ?? 1,
      seed: opts.seed ?? 42,
    });
    const state = await AdamWState.create(
      graphs.trainable.map((name) => ({ name, size: sizeOf(opts.params.get(name)!.dims), decays: adam.weightDecay !== 0 && adam.decay(name) })),
      { maxShardBytes: opts.optimizerShardBytes },
    );
    const masks = graphs.dropoutMasks.length > 0 ? await DropoutMaskSource.create(graphs.dropoutMasks, opts.seed ?? 42) : undefined;
    const threads = opts.threads ?? ort.defaultIntraOpThreads();
    const session = await createSession(graphs.graph, { threads, spinning: opts.spinning, ep });
    return new TrainingSession({ ...opts, threads }, graphs, session, state, masks);
  }

  /** Optimizer steps applied so far. */
  get stepCount(): number {
    return this.steps;
  }

  /** How many WebAssembly memories hold the optimizer state. */
  get optimizerShards(): number {
    return this.state_.shardCount;
  }

  private paramArray(name: string): Float32Array {
    const b = this.buffers.get(name);
    if (b) return b.param.data as Float32Array;
    const f = this.fixed.get(name);
    if (!f) throw new BatchInputError(`no parameter '${name}'`);
    return f.param.data as Float32Array;
  }

  private paramTensor(name: string): ort.Tensor {
    return this.buffers.get(name)?.param ?? this.fixed.get(name)!.param;
  }

  /**
   * The current weights as read-only views of the session's buffers (no copy): valid until the
   * next `step()` or `loadState()`, which may overwrite them. Use {@link state} for a copy.
   */
  weights(): Map<string, TensorData<'float32'>> {
    return new Map(this.paramNames.map((n) => [n, tensor('float32', this.dims.get(n)!, this.paramArray(n))]));
  }

  /**
   * One optimizer step over one batch, or over `accumulationSteps` micro-batches (a shorter
   * list is accepted for the last window of an epoch: each micro-batch's loss is divided by the
   * number given). Throws {@link TrainingDivergedError} without changing the weights or the
   * moments when the loss or the gradient norm is not finite.
   */
  async step(batches: TensorBatch | readonly TensorBatch[], opts: StepOptions): Promise<StepResult> {
    const micro: readonly TensorBatch[] = Array.isArray(batches) ? batches : [batches as TensorBatch];
    const stepNo = this.steps + 1;
    if (micro.length === 0) throw new BatchInputError(`step ${stepNo}: no batch given`);
    if (micro.length > this.accumulationSteps) {
      throw new BatchInputError(`step ${stepNo}: ${micro.length} micro-batches given but the session accumulates ${this.accumulationSteps}`);
    }
    if (!Number.isFinite(opts.lr) || opts.lr < 0) throw new BatchInputError(`step ${stepNo}: the learning rate must be finite and ≥ 0, got ${opts.lr}`);
    const feedsPerBatch = micro.map((mb, i) => checkBatch(this.batchInputs, mb, micro.length > 1 ? `step ${stepNo}, micro-batch ${i + 1}` : `step ${stepNo}`));
    if (this.busy) throw new EngineRuntimeError('step() called while another step or evaluation is running; await each call');
    this.busy = true;
    try {
      if (this.accumulates) this.state_.zeroGrads();
      this.lossScale.data[0] = 1 / micro.length;
      let total = 0;
      const t = this.timings;
      for (const [i, mbFeeds] of feedsPerBatch.entries()) {
        let t0 = performance.now();
        const masks = this.maskFeeds(micro[i]!, stepNo, i);
        t.masks += performance.now() - t0;
        const feeds: Record<string, ort.Tensor> = { ...this.paramFeeds(), ...mbFeeds, ...masks, [N.training]: this.training };
        const fetches: Record<string, ort.Tensor> = { [N.loss]: this.lossOut.tensor };
        for (const [name, b] of this.buffers) {
          if (this.accumulates) {
            feeds[N.gradSum(name)] = b.grad;
            fetches[N.newGradSum(name)] = b.grad;
          } else fetches[N.grad(name)] = b.grad;
        }
        if (this.accumulates) feeds[N.lossScale] = this.lossScale.tensor;
        t0 = performance.now();
        await this.run(feeds, fetches, stepNo, micro.length > 1 ? i : undefined);
        t.graph += performance.now() - t0;
        const l = this.lossOut.data[0]!;
        if (!Number.isFinite(l)) throw new TrainingDivergedError('loss', l, stepNo);
        total += l;
      }
      const t0 = performance.now();
      const gradNorm = totalNorm(this.state_.gradSumOfSquares());
      if (!Number.isFinite(gradNorm)) throw new TrainingDivergedError('grad_norm', gradNorm, stepNo);
      this.state_.update(adamwScalars(this.adam, opts.lr, stepNo, clipCoefficient(gradNorm, this.opts.maxGradNorm ?? 1)));
      t.optimizer += performance.now() - t0;
      t.steps++;
      this.steps = stepNo;
      return { loss: total / micro.length, gradNorm, step: stepNo };
    } finally {
      this.busy = false;
      // Free the binding's unread output copies now, before the next step allocates (release.ts).
      if (this.gradBytes >= COLLECT_ABOVE_BYTES) ort.releaseOutputCopies();
    }
  }

  /** This (micro-)batch's dropout masks, sized by its symbolic dims and drawn for (step, micro-batch). */
  private maskFeeds(batch: TensorBatch, step: number, micro: number): Record<string, ort.Tensor> {
    if (!this.masks) return {};
    const symbols = new Map<string, number>();
    for (const v of this.batchInputs) v.shape?.forEach((d, i) => typeof d === 'string' && symbols.set(d, batch[v.name]!.dims[i]!));
    return this.masks.feeds(symbols, step, micro);
  }

  private paramFeeds(): Record<string, ort.Tensor> {
    const f: Record<string, ort.Tensor> = {};
    for (const name of this.paramNames) f[name] = this.paramTensor(name);
    return f;
  }

  private async run(feeds: Record<string, ort.Tensor>, fetches: Record<string, ort.Tensor>, step: number, micro?: number): Promise<void> {
    const graph = this.accumulates ? 'train_gradient' : 'train';
    let results: ort.InferenceSession.ReturnType;
    try {
      // A binding that does not write pre-allocated outputs is asked for them by name, then copied (ort.ts).
      results = ort.WRITES_PREALLOCATED_OUTPUTS ? await this.session.run(feeds, fetches) : await this.session.run(feeds, Object.keys(fetches));
    } catch (e) {
      const where = micro === undefined ? `step ${step}` : `step ${step}, micro-batch ${micro + 1}`;
      throw new EngineRuntimeError(`ONNX Runtime failed running graph '${graph}' at ${where}: ${(e as Error).message}`, { cause: e });
    }
    // ORT wrote the outputs into the pre-allocated tensors (views of WebAssembly memory).
    // (onnxruntime-node 1.30 also returns a JS copy of each fetched output, which is dropped
    // here.) A binding that ignored the pre-allocated tensors would break the buffer design, so
    // the first run checks, and falls back to copying.
    if (!ort.WRITES_PREALLOCATED_OUTPUTS) this.copyOutputs.add(graph);
    else if (!this.verified.has(graph)) {
      for (const [name, t] of Object.entries(fetches)) {
        const src = results[name]?.data as Float32Array | undefined;
        const dst = t.data as Float32Array;
        if (src && src !== dst && !sameBits(src, dst)) this.copyOutputs.add(graph);
      }
      this.verified.add(graph);
    }
    if (this.copyOutputs.has(graph)) {
      for (const [name, t] of Object.entries(fetches)) (t.data as Float32Array).set(results[name]!.data as Float32Array);
    }
  }

  /**
   * Runs the model in evaluation mode (dropout off) on the current weights and returns the
   * loss and/or the named outputs. The evaluation graph takes the weights as graph inputs, fed
   * from the session's buffers without a copy, and is built and loaded once per output set;
   * rebuilding a graph with the weights as initializers would serialise and reload every
   * weight at each evaluation (seconds for BERT-base) to save ORT a weight pre-packing that
   * costs less than that. A prediction run can ask for outputs that do not need the labels
   * (e.g. `{ outputs: ['logits'] }`) and then need not feed them.
   */
  async evaluate(batch: TensorBatch, opts: { outputs?: readonly string[] } = {}): Promise<EvalResult> {
    const key = opts.outputs ? JSON.stringify(opts.outputs) : '*';
    let entry = this.evalSessions.get(key);
    if (!entry) {
      entry = (async () => {
        const graph = buildEvalGraph({
          params: this.paramNames.map((name) => ({ name, dims: this.dims.get(name)! })),
          model: this.opts.model,
          seed: this.opts.seed ?? 42,
          outputs: opts.outputs,
        });
        const session = await createSession(graph.graph, { threads: this.threads, spinning: this.opts.spinning, ep: this.opts.executionProvider ?? 'cpu' });
        return { graph, session };
      })();
      this.evalSessions.set(key, entry);
      entry.catch(() => this.evalSessions.delete(key));
    }
    const { graph, session } = await entry;
    const batchFeeds = checkBatch(graph.batchInputs, batch, 'evaluation', graph.declaredInputs);
    if (this.busy) throw new EngineRuntimeError('evaluate() called while a step is running; await each call');
    this.busy = true;
    try {
      const feeds: Record<string, ort.Tensor> = { ...batchFeeds };
      for (const name of graph.params) feeds[name] = this.paramTensor(name);
      let results: ort.InferenceSession.ReturnType;
      try {
        results = await session.run(feeds);
      } catch (e) {
        throw new EngineRuntimeError(`ONNX Runtime failed running graph 'eval' after step ${this.steps}: ${(e as Error).message}`, { cause: e });
      }
      const outputs: Record<string, TensorData> = {};
      for (const v of graph.graph.outputs) {
        const r = results[v.name] as ort.Tensor;
        outputs[v.name] = tensor(r.type as DType, [...r.dims], r.data as TensorData['data']);
      }
      const l = outputs[N.loss];
      return l ? { loss: Number(l.data[0]), outputs } : { outputs };
    } finally {
      this.busy = false;
    }
  }

  private moments(name: string): { m: Float32Array; v: Float32Array } {
    const f = this.fixed.get(name);
    return f ? { m: f.expAvg, v: f.expAvgSq } : { m: this.state_.expAvg(name), v: this.state_.expAvgSq(name) };
  }

  /** A copy of the weights, the moments and the step counter (for checkpoints). */
  state(): TrainingState {
    const copy = (name: string, data: Float32Array) => tensor('float32', this.dims.get(name)!, Float32Array.from(data));
    const s: TrainingState = { step: this.steps, params: new Map(), expAvg: new Map(), expAvgSq: new Map() };
    for (const name of this.paramNames) {
      const { m, v } = this.moments(name);
      s.params.set(name, copy(name, this.paramArray(name)));
      s.expAvg.set(name, copy(name, m));
      s.expAvgSq.set(name, copy(name, v));
    }
    return s;
  }

  /**
   * Restores weights, moments and step counter (copied into the current buffers). Every
   * parameter must be present with its dims; moments that are absent restart from zero.
   */
  loadState(s: TrainingState): void {
    if (this.busy) throw new EngineRuntimeError('loadState() called while a step is running');
    if (!Number.isInteger(s.step) || s.step < 0) throw new BatchInputError(`loadState: step must be a non-negative integer, got ${s.step}`);
    const check = (what: string, name: string, t: TensorData | undefined, required: boolean): Float32Array | undefined => {
      if (!t) {
        if (required) throw new BatchInputError(`loadState: ${what} '${name}' is missing`);
        return undefined;
      }
      const dims = this.dims.get(name)!;
      if (t.dtype !== 'float32' || t.dims.length !== dims.length || t.dims.some((d, i) => d !== dims[i]) || t.data.length !== sizeOf(dims)) {
        throw new BatchInputError(`loadState: ${what} '${name}' is ${t.dtype} ${formatDims(t.dims)}, expected float32 ${formatDims(dims)}`);
      }
      return t.data as Float32Array;
    };
    for (const maps of [s.params, s.expAvg, s.expAvgSq]) {
      for (const name of maps.keys()) if (!this.dims.has(name)) throw new BatchInputError(`loadState: unknown parameter '${name}'`);
    }
    // Validate everything before writing anything.
    const loaded = this.paramNames.map((name) => ({
      name,
      p: check('parameter', name, s.params.get(name), true)!,
      m: check('exp_avg of', name, s.expAvg.get(name), false),
      v: check('exp_avg_sq of', name, s.expAvgSq.get(name), false),
    }));
    for (const { name, p, m, v } of loaded) {
      this.paramArray(name).set(p);
      const dst = this.moments(name);
      if (m) dst.m.set(m);
      else dst.m.fill(0);
      if (v) dst.v.set(v);
      else dst.v.fill(0);
    }
    this.steps = s.step;
  }

  /** Releases the ONNX Runtime sessions. */
  async dispose(): Promise<void> {
    const all: ort.InferenceSession[] = [this.session];
    for (const e of this.evalSessions.values()) {
      const s = (await e.catch(() => undefined))?.session;
      if (s) all.push(s);
    }
    await Promise.all(all.map((s) => s.release()));
    this.evalSessions.clear();
  }
}
