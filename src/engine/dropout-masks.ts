/**
 * The dropout keep-masks a training step feeds (see `dropout` in layers.ts).
 *
 * Each mask is drawn from its own stream, seeded by (seed, optimizer step, micro-batch, site)
 * through splitmix32, and generated with mulberry32: a mask depends on nothing but those four
 * numbers and the batch's shape. A run resumed from a checkpoint at step k therefore draws, for
 * step k + 1 on, exactly the masks the uninterrupted run drew, with no generator state to save.
 * A value is kept with probability 1 − ratio (`u ≥ ratio`, u uniform in [0, 1) on 32 bits) and
 * scaled by 1/(1 − ratio), as `torch.nn.Dropout` does.
 *
 * mulberry32's state after i steps is seed + i·0x6d2b79f5, so each value is a function of its
 * index: the WebAssembly kernel (wasm/kernels.wat, `dropout_mask`) draws four at a time into
 * WebAssembly memory that ONNX Runtime reads the masks from, bit for bit the values `fillMask`
 * draws one after the other (a test compares them).
 */
import * as ort from './ort.ts';
import { mix32 } from '../data/rng.ts';
import { TokentagError } from '../errors.ts';
import type { DropoutMask } from './layers.ts';
import { type Kernels, WASM_PAGE_BYTES, instantiateKernels } from './wasm/kernels.ts';

/** The stream seed of one mask. */
export function maskSeed(seed: number, step: number, micro: number, site: number): number {
  return mix32(mix32(mix32(mix32(seed) ^ step) ^ micro) ^ site);
}

/** Fills `out` with a keep-mask: 0 with probability `ratio`, else 1/(1 − ratio). */
export function fillMask(out: Float32Array | Float64Array, ratio: number, streamSeed: number): void {
  const threshold = keepThreshold(ratio);
  const scale = out instanceof Float32Array ? Math.fround(1 / (1 - ratio)) : 1 / (1 - ratio);
  let state = streamSeed | 0;
  for (let i = 0; i < out.length; i++) {
    // mulberry32, inline: this loop draws every mask of every step (Rng's method call and state array cost more)
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out[i] = (t ^ (t >>> 14)) >>> 0 >= threshold ? scale : 0;
  }
}

/** The keep threshold of fillMask on 32 bits (2³² when everything is dropped). */
function keepThreshold(ratio: number): number {
  return Math.floor(ratio * 2 ** 32);
}

/** A growable WebAssembly memory with the kernels instantiated over it (the float32 masks live here). */
interface MaskArena {
  readonly memory: WebAssembly.Memory;
  readonly kernels: Kernels;
}

/**
 * Draws a step's masks and wraps them for ONNX Runtime. Made with {@link DropoutMaskSource.create},
 * float32 masks are drawn by the WebAssembly kernel into one memory; float64 masks (and every
 * mask of a source made with `new`) are drawn by `fillMask` into buffers kept between steps.
 */
export class DropoutMaskSource {
  private readonly buffers: (Float32Array | Float64Array)[];

  constructor(
    readonly masks: readonly DropoutMask[],
    private readonly seed: number,
    private readonly arena?: MaskArena,
  ) {
    this.buffers = masks.map((m) => (m.dtype === 'float64' ? new Float64Array(0) : new Float32Array(0)));
  }

  /** A source whose float32 masks are drawn in WebAssembly. */
  static async create(masks: readonly DropoutMask[], seed: number): Promise<DropoutMaskSource> {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536 });
    return new DropoutMaskSource(masks, seed, { memory, kernels: await instantiateKernels(memory) });
  }

  /**
   * The mask inputs for one (micro-)batch. `symbols` sizes the symbolic dims (`'batch'`,
   * `'sequence'`) from the batch's own tensors.
   */
  feeds(symbols: ReadonlyMap<string, number>, step: number, micro: number): Record<string, ort.Tensor> {
    const dims = this.masks.map((m) =>
      m.shape.map((d) => {
        if (typeof d === 'number') return d;
        const n = d === null ? undefined : symbols.get(d);
        if (n === undefined) throw new TokentagError(`dropout mask '${m.name}': no batch input gives the size of its dim '${String(d)}'`);
        return n;
      }),
    );
    const sizes = dims.map((d) => d.reduce((a, b) => a * b, 1));
    // The float32 masks' place in the arena: each rounded up to 4 values (the kernel writes whole lanes).
    let arenaFloats = 0;
    const offsets = this.masks.map((m, site) => {
      if (!this.arena || m.dtype !== 'float32') return -1;
      const at = arenaFloats;
      arenaFloats += Math.ceil(sizes[site]! / 4) * 4;
      return at;
    });
    if (this.arena) {
      const missing = arenaFloats * 4 - this.arena.memory.buffer.byteLength;
      if (missing > 0) this.arena.memory.grow(Math.ceil(missing / WASM_PAGE_BYTES));
    }
    const out: Record<string, ort.Tensor> = {};
    this.masks.forEach((m, site) => {
      const n = sizes[site]!;
      const streamSeed = maskSeed(this.seed, step, micro, site);
      let view: Float32Array | Float64Array;
      if (offsets[site]! >= 0) {
        const arena = this.arena!;
        view = new Float32Array(arena.memory.buffer, offsets[site]! * 4, n);
        const threshold = keepThreshold(m.ratio);
        if (threshold >= 2 ** 32) view.fill(0);
        else arena.kernels.dropout_mask(offsets[site]! * 4, n, streamSeed, threshold, Math.fround(1 / (1 - m.ratio)));
      } else {
        let buf = this.buffers[site]!;
        if (buf.length < n) {
          buf = m.dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
          this.buffers[site] = buf;
        }
        view = buf.subarray(0, n);
        fillMask(view, m.ratio, streamSeed);
      }
      out[m.name] = new ort.Tensor(m.dtype, view, dims[site]!);
    });
    return out;
  }
}
