/**
 * The ONNX Runtime binding the engine runs on — the one module that names it. In Node it is
 * onnxruntime-node; the browser build (web/build.ts) swaps this module for ort-web.ts
 * (onnxruntime-web: WebAssembly with SIMD and threads), which exports the same names, so the
 * training runtime, the dropout masks and the pipeline's runner are one code path on both.
 * (test/engine/ort-seam.test.ts checks the two modules agree.)
 */
import './ort-env.ts'; // before onnxruntime-node: telemetry off (it crashes on long command lines)
import { availableParallelism } from 'node:os';
import { listSupportedBackends } from 'onnxruntime-node';
import { collectGarbage } from './release.ts';

export { InferenceSession, Tensor, env } from 'onnxruntime-node';

/** The binding's package name, for messages. */
export const RUNTIME = 'onnxruntime-node';

/**
 * Whether `run(feeds, fetches)` writes pre-allocated output tensors in place: onnxruntime-node
 * does (into any memory, WebAssembly's included); onnxruntime-web returns the tensors given but
 * leaves them unwritten, so there the runtime fetches by name and copies.
 */
export const WRITES_PREALLOCATED_OUTPUTS: boolean = true;

/**
 * Intra-op threads of a training session unless told: one per core the process may use. On an
 * idle two-core machine two threads beat one at every size measured, bert-tiny included (the
 * main job 64.8 s → 37.5 s; bert-mini batch 8 12.3 → 15.4–17.4 steps/s), and ONNX Runtime's own
 * default (one per physical core, pinned) ran the main job in 44–59 s (docs/benchmarks.md,
 * "Threads"). One thread only wins when other work already keeps the cores busy.
 */
export function defaultIntraOpThreads(): number | undefined {
  return availableParallelism();
}

/** The execution providers this binding can create sessions on. */
export function availableProviders(): string[] {
  return listSupportedBackends().map((b) => b.name);
}

/** Where ONNX Runtime's per-node profile goes (`TOKENTAG_ORT_PROFILE`), if anywhere. */
export function profilePrefix(): string | undefined {
  return process.env.TOKENTAG_ORT_PROFILE;
}

/**
 * onnxruntime-node returns a JS copy of every fetched output, even pre-allocated ones; after a
 * run that fetched many bytes, collect them before the next run allocates (see release.ts).
 */
export function releaseOutputCopies(): void {
  collectGarbage();
}
