/**
 * A plain-TypeScript AdamW, for the WebAssembly kernel's tests: the same formulas as
 * src/engine/wasm/kernels.wat, one element at a time, every operation rounded to float32 with
 * Math.fround. Written from PyTorch's `torch.optim.AdamW` (2.x, single-tensor path), not from the
 * kernel, so the two agreeing bit for bit checks the kernel's arithmetic and its layout.
 */
import type { AdamWScalars } from '../../src/engine/adamw.ts';

const f = Math.fround;

/** Updates p, m, v in place from g (g itself unchanged), as one AdamW step after clipping. */
export function referenceAdamW(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, k: AdamWScalars, decays: boolean): void {
  for (let i = 0; i < p.length; i++) {
    const gi = f(g[i]! * k.coef); // clip_grad_norm_: g.mul_(coef)
    let pi = decays ? f(p[i]! * k.decay) : p[i]!; // param.mul_(1 - lr * wd)
    const mi = f(m[i]! + f(k.w1 * f(gi - m[i]!))); // exp_avg.lerp_(g, 1 - beta1)
    const vi = f(f(v[i]! * k.beta2) + f(f(k.w2 * gi) * gi)); // exp_avg_sq.mul_(beta2).addcmul_(g, g, value=1 - beta2)
    const denom = f(f(f(Math.sqrt(vi)) / k.bc2sqrt) + k.eps); // exp_avg_sq.sqrt() / bc2_sqrt + eps
    pi = f(pi + f(f(k.negStep * mi) / denom)); // param.addcdiv_(exp_avg, denom, value=-step_size)
    p[i] = pi;
    m[i] = mi;
    v[i] = vi;
  }
}
