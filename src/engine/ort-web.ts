/**
 * The browser's ONNX Runtime: onnxruntime-web on WebAssembly (SIMD; threads when the page is
 * cross-origin isolated). The browser build (web/build.ts) puts this module in place of ort.ts;
 * it exports the same names. Where the `.wasm` files are served from and how many threads run is
 * set by the page on `env.wasm` before the first session.
 */
export { InferenceSession, Tensor, env } from 'onnxruntime-web/wasm';

export const RUNTIME = 'onnxruntime-web';

/**
 * onnxruntime-web (1.31, WebAssembly; pinned exactly in package.json: check on each upgrade)
 * copies inputs into its own heap and outputs out of it; a
 * pre-allocated CPU output tensor comes back unwritten. So the runtime fetches outputs by name
 * and copies them into its buffers (bench/web-train.ts measures what that costs).
 */
export const WRITES_PREALLOCATED_OUTPUTS: boolean = false;

/** The page sets the thread count on `env.wasm.numThreads`; a session has no intra-op setting of its own. */
export function defaultIntraOpThreads(): number | undefined {
  return undefined;
}

/** WebAssembly is always there ('cpu' is onnxruntime-web's name for it too). */
export function availableProviders(): string[] {
  return ['cpu', 'wasm'];
}

/** No file system to write a profile to. */
export function profilePrefix(): string | undefined {
  return undefined;
}

/** onnxruntime-web copies outputs into fresh JS arrays that V8 collects as it goes; nothing to force. */
export function releaseOutputCopies(): void {}
