/**
 * The optimizer, outside the ONNX graph: gradient-norm clipping (`torch.nn.utils.clip_grad_norm_`)
 * and AdamW (`torch.optim.AdamW`, amsgrad off) as one fused WebAssembly SIMD pass over flat
 * buffers (wasm/kernels.wat).
 *
 * The weights, their gradients and both moments live in `WebAssembly.Memory` shards. ONNX
 * Runtime reads the weights from them (inputs are views, not copies) and writes the gradients
 * into them (pre-allocated outputs); then `gradSumOfSquares()` gives the norm to clip with and
 * `update()` runs the fused update over each shard. A shard
 * holds four regions of the same layout (weights, gradients, exp_avg, exp_avg_sq); within a
 * region the decayed tensors come first, then the undecayed ones, each padded to 16 floats, so
 * one kernel call covers each group. One 32-bit memory holds at most 4 GiB, i.e. 268 M
 * parameters with their state; larger models (BERT-large: 335 M) take several shards.
 */
import { GraphError } from './graph.ts';
import { type Kernels, MAX_MEMORY_BYTES, fixedMemory, instantiateKernels } from './wasm/kernels.ts';

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

// ---- the scalars of one step, in PyTorch's float32 ---------------------------------------

const f32 = Math.fround;

/**
 * The global gradient norm √(Σ g²) from the sum of squares (summed in float64 by
 * {@link AdamWState.gradSumOfSquares}), rounded to float32 as PyTorch's norm is. PyTorch takes the
 * float32 norm of the per-tensor norms instead; the two differ in the last bits at most.
 */
export function totalNorm(sumOfSquares: number): number {
  return f32(Math.sqrt(sumOfSquares));
}

/**
 * `clip_grad_norm_`'s coefficient in float32 as PyTorch computes it: `max_norm / (total + 1e-6)`
 * is `reciprocal(total + 1e-6) · max_norm` (Tensor.__rtruediv__), clamped to at most 1. Clipping is
 * off (coefficient 1) when `maxNorm` is undefined, 0 or infinite.
 */
export function clipCoefficient(total: number, maxNorm: number | undefined): number {
  if (maxNorm === undefined || maxNorm === 0 || maxNorm === Infinity) return 1;
  if (!(maxNorm > 0)) throw new GraphError(`max grad norm must be > 0, got ${maxNorm}`);
  return Math.min(f32(f32(1 / f32(total + f32(1e-6))) * f32(maxNorm)), 1);
}

/** The per-step scalars the kernel takes, each rounded to float32 as PyTorch casts Python floats. */
export interface AdamWScalars {
  readonly coef: number;
  /** 1 − lr·wd for the decayed group (the undecayed group uses 1). */
  readonly decay: number;
  readonly w1: number;
  readonly beta2: number;
  readonly w2: number;
  readonly bc2sqrt: number;
  readonly eps: number;
  readonly negStep: number;
}

/** The scalars of step `t` (1-based) at learning rate `lr`, after clipping by `coef`. */
export function adamwScalars(o: ResolvedAdamW, lr: number, t: number, coef: number): AdamWScalars {
  const [beta1, beta2] = o.betas;
  return {
    coef: f32(coef),
    decay: f32(1 - lr * o.weightDecay),
    w1: f32(1 - beta1),
    beta2: f32(beta2),
    w2: f32(1 - beta2),
    bc2sqrt: f32(Math.sqrt(1 - beta2 ** t)),
    eps: f32(o.eps),
    negStep: f32(-(lr / (1 - beta1 ** t))),
  };
}

// ---- the state: weights, gradients and moments in WebAssembly memory ---------------------

export interface AdamWTensor {
  readonly name: string;
  readonly size: number;
  /** Whether weight decay applies (it is skipped, as PyTorch skips it, when the weight decay is 0). */
  readonly decays: boolean;
}

/** Floats per tensor slot are a multiple of this (64 bytes: a cache line, and 16-byte SIMD alignment). */
const ALIGN_FLOATS = 16;
const REGIONS = 4;

interface Slot {
  readonly shard: number;
  /** In floats, from the start of each region. */
  readonly offset: number;
  readonly size: number;
}

interface Shard {
  readonly memory: WebAssembly.Memory;
  readonly kernels: Kernels;
  /** Floats per region; region r starts at byte r · regionFloats · 4. */
  readonly regionFloats: number;
  /** Floats [0, decayedFloats) of each region hold the decayed tensors, the rest the undecayed ones. */
  readonly decayedFloats: number;
}

/** Assigns tensors to shards (decayed ones first) so that no shard holds more than `maxShardBytes` of state. */
export function planShards(tensors: readonly AdamWTensor[], maxShardBytes: number): { slots: Map<string, Slot>; shards: { regionFloats: number; decayedFloats: number }[] } {
  const limit = Math.min(maxShardBytes, MAX_MEMORY_BYTES);
  const slots = new Map<string, Slot>();
  const shards: { regionFloats: number; decayedFloats: number }[] = [];
  let cur = { regionFloats: 0, decayedFloats: 0 };
  const ordered = [...tensors.filter((t) => t.decays), ...tensors.filter((t) => !t.decays)];
  for (const t of ordered) {
    const padded = Math.ceil(t.size / ALIGN_FLOATS) * ALIGN_FLOATS;
    if (REGIONS * padded * 4 > limit) {
      throw new GraphError(
        `parameter '${t.name}' (${t.size} values) needs ${REGIONS * padded * 4} bytes of optimizer state, more than one WebAssembly memory shard holds (${limit} bytes)`,
      );
    }
    if (REGIONS * (cur.regionFloats + padded) * 4 > limit) {
      shards.push(cur);
      cur = { regionFloats: 0, decayedFloats: 0 };
    }
    if (slots.has(t.name)) throw new GraphError(`parameter '${t.name}' is listed twice`);
    slots.set(t.name, { shard: shards.length, offset: cur.regionFloats, size: t.size });
    cur.regionFloats += padded;
    if (t.decays) cur.decayedFloats = cur.regionFloats;
  }
  if (cur.regionFloats > 0 || shards.length === 0) shards.push(cur);
  return { slots, shards };
}

/**
 * Every trainable tensor's weights, gradient and AdamW moments, in WebAssembly memory, with the
 * fused update. Views returned by the accessors stay valid for the object's life (the memories
 * never grow).
 */
export class AdamWState {
  private constructor(
    private readonly slots: ReadonlyMap<string, Slot>,
    private readonly shards: readonly Shard[],
  ) {}

  /** Allocates zeroed state for `tensors`; a shard holds at most `maxShardBytes` (default: one full 4 GiB memory). */
  static async create(tensors: readonly AdamWTensor[], opts: { maxShardBytes?: number } = {}): Promise<AdamWState> {
    const plan = planShards(tensors, opts.maxShardBytes ?? MAX_MEMORY_BYTES);
    const shards = await Promise.all(
      plan.shards.map(async (s) => {
        const memory = fixedMemory(REGIONS * s.regionFloats * 4);
        return { ...s, memory, kernels: await instantiateKernels(memory) };
      }),
    );
    return new AdamWState(plan.slots, shards);
  }

  /** How many WebAssembly memories hold the state. */
  get shardCount(): number {
    return this.shards.length;
  }

  /** Bytes of WebAssembly memory allocated. */
  get bytes(): number {
    return this.shards.reduce((n, s) => n + s.memory.buffer.byteLength, 0);
  }

  private view(name: string, region: number): Float32Array {
    const slot = this.slots.get(name);
    if (!slot) throw new GraphError(`the optimizer holds no parameter '${name}'`);
    const s = this.shards[slot.shard]!;
    return new Float32Array(s.memory.buffer, (region * s.regionFloats + slot.offset) * 4, slot.size);
  }

  param(name: string): Float32Array {
    return this.view(name, 0);
  }

  grad(name: string): Float32Array {
    return this.view(name, 1);
  }

  expAvg(name: string): Float32Array {
    return this.view(name, 2);
  }

  expAvgSq(name: string): Float32Array {
    return this.view(name, 3);
  }

  /** Σ g² over every gradient, each square and the sums in float64 (the padding between tensors is zero). */
  gradSumOfSquares(): number {
    let sum = 0;
    for (const s of this.shards) sum += s.kernels.sum_squares(s.regionFloats * 4, s.regionFloats);
    return sum;
  }

  /** Zeroes every gradient (the start of an accumulated step). */
  zeroGrads(): void {
    for (const s of this.shards) new Float32Array(s.memory.buffer, s.regionFloats * 4, s.regionFloats).fill(0);
  }

  /** One AdamW step over every tensor from its gradient buffer, with the scalars of {@link adamwScalars}. */
  update(k: AdamWScalars): void {
    for (const s of this.shards) {
      const region = s.regionFloats * 4;
      const run = (start: number, count: number, decay: number) => {
        if (count === 0) return;
        const at = start * 4;
        s.kernels.adamw(at, region + at, 2 * region + at, 3 * region + at, count, k.coef, decay, k.w1, k.beta2, k.w2, k.bc2sqrt, k.eps, k.negStep);
      };
      run(0, s.decayedFloats, k.decay);
      run(s.decayedFloats, s.regionFloats - s.decayedFloats, 1);
    }
  }
}
