/**
 * Loads the WebAssembly kernels of kernels.wat (bytes embedded in kernels-binary.ts, so nothing is
 * read from disk and the same code runs in Node and in browsers) and instantiates them over a
 * caller's `WebAssembly.Memory`.
 */
import { KERNELS_WASM_BASE64 } from './kernels-binary.ts';

/** The exports of kernels.wat. Addresses are byte offsets into the instance's memory. */
export interface Kernels {
  adamw(
    p: number,
    g: number,
    m: number,
    v: number,
    n: number,
    coef: number,
    decay: number,
    w1: number,
    beta2: number,
    w2: number,
    bc2sqrt: number,
    eps: number,
    negStep: number,
  ): void;
  sum_squares(x: number, n: number): number;
  dropout_mask(out: number, n: number, seed: number, threshold: number, scale: number): void;
}

/** Bytes per WebAssembly page, and the most pages one 32-bit memory can have (4 GiB). */
export const WASM_PAGE_BYTES = 65536;
export const MAX_MEMORY_BYTES = 2 ** 32;

let compiled: Promise<WebAssembly.Module> | undefined;

/** The kernel bytes, decoded (atob exists in Node ≥ 16 and in every browser). */
export function kernelBytes(): Uint8Array<ArrayBuffer> {
  const text = atob(KERNELS_WASM_BASE64);
  const bytes = new Uint8Array(new ArrayBuffer(text.length));
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** Compiled once per process. */
function kernelModule(): Promise<WebAssembly.Module> {
  compiled ??= WebAssembly.compile(kernelBytes());
  return compiled;
}

/** The kernels, working on `memory`. */
export async function instantiateKernels(memory: WebAssembly.Memory): Promise<Kernels> {
  const instance = await WebAssembly.instantiate(await kernelModule(), { env: { memory } });
  return instance.exports as unknown as Kernels;
}

/** A memory of exactly `bytes` (rounded up to whole pages) that never grows, so views of it stay valid. */
export function fixedMemory(bytes: number): WebAssembly.Memory {
  const pages = Math.max(1, Math.ceil(bytes / WASM_PAGE_BYTES));
  return new WebAssembly.Memory({ initial: pages, maximum: pages });
}
