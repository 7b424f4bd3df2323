/**
 * The dropout keep-masks a training step feeds (see `dropout` in layers.ts).
 *
 * Each mask is drawn from its own stream, seeded by (seed, optimizer step, micro-batch, site)
 * through splitmix32, and generated with mulberry32: a mask depends on nothing but those four
 * numbers and the batch's shape. A run resumed from a checkpoint at step k therefore draws, for
 * step k + 1 on, exactly the masks the uninterrupted run drew, with no generator state to save.
 * A value is kept with probability 1 − ratio (`u ≥ ratio`, u uniform in [0, 1) on 32 bits) and
 * scaled by 1/(1 − ratio), as `torch.nn.Dropout` does.
 */
import * as ort from 'onnxruntime-node';
import { mix32 } from '../data/rng.ts';
import { TokentagError } from '../errors.ts';
import type { DropoutMask } from './layers.ts';

/** The stream seed of one mask. */
export function maskSeed(seed: number, step: number, micro: number, site: number): number {
  return mix32(mix32(mix32(mix32(seed) ^ step) ^ micro) ^ site);
}

/** Fills `out` with a keep-mask: 0 with probability `ratio`, else 1/(1 − ratio). */
export function fillMask(out: Float32Array | Float64Array, ratio: number, streamSeed: number): void {
  const threshold = Math.floor(ratio * 2 ** 32);
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

/** Draws a step's masks into buffers it keeps (grown as batches grow) and wraps them for ONNX Runtime. */
export class DropoutMaskSource {
  private readonly buffers: (Float32Array | Float64Array)[];

  constructor(
    readonly masks: readonly DropoutMask[],
    private readonly seed: number,
  ) {
    this.buffers = masks.map((m) => (m.dtype === 'float64' ? new Float64Array(0) : new Float32Array(0)));
  }

  /**
   * The mask inputs for one (micro-)batch. `symbols` sizes the symbolic dims (`'batch'`,
   * `'sequence'`) from the batch's own tensors.
   */
  feeds(symbols: ReadonlyMap<string, number>, step: number, micro: number): Record<string, ort.Tensor> {
    const out: Record<string, ort.Tensor> = {};
    this.masks.forEach((m, site) => {
      const dims = m.shape.map((d) => {
        if (typeof d === 'number') return d;
        const n = d === null ? undefined : symbols.get(d);
        if (n === undefined) throw new TokentagError(`dropout mask '${m.name}': no batch input gives the size of its dim '${String(d)}'`);
        return n;
      });
      const n = dims.reduce((a, b) => a * b, 1);
      let buf = this.buffers[site]!;
      if (buf.length < n) {
        buf = m.dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
        this.buffers[site] = buf;
      }
      const view = buf.subarray(0, n);
      fillMask(view, m.ratio, maskSeed(this.seed, step, micro, site));
      out[m.name] = new ort.Tensor(m.dtype, view, dims);
    });
    return out;
  }
}
