/**
 * From-scratch weights, the way Hugging Face's `_init_weights` makes them for these encoders:
 * Linear weights ~ normal(0, initializer_range) with zero biases, Embedding tables ~ normal(0,
 * initializer_range) with the `padding_idx` row zeroed, LayerNorm weight 1 and bias 0.
 *
 * The normal draws come from a seeded generator (Box–Muller over the xoshiro128** of
 * `src/data/rng.ts`), so the same config and seed give the same weights on every machine.
 * They do not reproduce PyTorch's random stream (no JavaScript code can), only its distribution.
 */
import { type TensorData, sizeOf, tensor } from '../engine/dtype.ts';
import { Rng } from '../data/rng.ts';

/** How one parameter is initialised. */
export type InitRule =
  | { readonly kind: 'normal'; readonly paddingIdx?: number | null }
  | { readonly kind: 'zeros' }
  | { readonly kind: 'ones' };

/** A parameter of an architecture: its checkpoint name, its shape and its initialisation. */
export interface ParamInfo {
  readonly name: string;
  readonly dims: readonly number[];
  readonly init: InitRule;
}

export const NORMAL: InitRule = { kind: 'normal' };
export const ZEROS: InitRule = { kind: 'zeros' };
export const ONES: InitRule = { kind: 'ones' };

/** `torch.nn.Linear(inFeatures, outFeatures)`: weight `[out, in]`, bias `[out]`. */
export function linearParams(prefix: string, inFeatures: number, outFeatures: number): ParamInfo[] {
  return [
    { name: `${prefix}.weight`, dims: [outFeatures, inFeatures], init: NORMAL },
    { name: `${prefix}.bias`, dims: [outFeatures], init: ZEROS },
  ];
}

/** `torch.nn.LayerNorm(size)`: weight and bias `[size]`. */
export function layerNormParams(prefix: string, size: number): ParamInfo[] {
  return [
    { name: `${prefix}.weight`, dims: [size], init: ONES },
    { name: `${prefix}.bias`, dims: [size], init: ZEROS },
  ];
}

/** `torch.nn.Embedding(count, size, padding_idx)`. */
export function embeddingParams(name: string, count: number, size: number, paddingIdx: number | null = null): ParamInfo {
  return { name, dims: [count, size], init: { kind: 'normal', paddingIdx } };
}

/** Seeded standard normal draws (Box–Muller, both outputs used). */
export class NormalGenerator {
  private readonly rng: Rng;
  private spare: number | undefined;

  constructor(seed: number) {
    this.rng = new Rng(seed);
  }

  next(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    // 1 − u is in (0, 1], so the logarithm is finite.
    const r = Math.sqrt(-2 * Math.log(1 - this.rng.nextFloat()));
    const theta = 2 * Math.PI * this.rng.nextFloat();
    this.spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /** Fills `out` with normal(0, std) draws. */
  fill(out: Float32Array, std: number): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = this.next() * std;
    return out;
  }
}

/** One parameter's initial value. */
export function initParam(p: ParamInfo, std: number, normal: NormalGenerator): TensorData<'float32'> {
  const t = tensor('float32', p.dims);
  switch (p.init.kind) {
    case 'ones':
      t.data.fill(1);
      break;
    case 'zeros':
      break;
    case 'normal': {
      normal.fill(t.data, std);
      const pad = p.init.paddingIdx;
      if (pad !== undefined && pad !== null) {
        const row = sizeOf(p.dims.slice(1));
        t.data.fill(0, pad * row, (pad + 1) * row);
      }
      break;
    }
  }
  return t;
}

/** Initial values for `params` (in their order), seeded. */
export function initParams(params: readonly ParamInfo[], std: number, seed: number): Map<string, TensorData<'float32'>> {
  const normal = new NormalGenerator(seed);
  const out = new Map<string, TensorData<'float32'>>();
  for (const p of params) out.set(p.name, initParam(p, std, normal));
  return out;
}
