/**
 * One ONNX Runtime session as a `ModelRunner`: the runner contract of the pipeline, and its
 * simplest form. runner.ts adds sessions in worker threads beside it (Node); a browser tab runs
 * this one alone (ORT's own WebAssembly threads share out each run).
 */
import * as ort from '../engine/ort.ts';
import { TokentagError } from '../errors.ts';

/** A tensor as it crosses to a worker: plain data, dims and type. */
export interface RunnerTensor {
  readonly type: 'int64' | 'float32';
  readonly data: BigInt64Array | Float32Array;
  readonly dims: readonly number[];
}

export interface ModelRunner {
  readonly inputNames: readonly string[];
  /** How many `run` calls execute at the same time (the session count). */
  readonly lanes: number;
  /** Runs the graph. Feeds sent to a worker have their buffers transferred: do not use them afterwards. */
  run(feeds: Readonly<Record<string, RunnerTensor>>): Promise<Record<string, RunnerTensor>>;
  dispose(): Promise<void>;
}

/** Runs the graph in one ONNX Runtime session on the calling thread. */
export function sessionRunner(session: ort.InferenceSession): ModelRunner {
  return {
    inputNames: session.inputNames,
    lanes: 1,
    async run(feeds) {
      const ortFeeds: Record<string, ort.Tensor> = {};
      for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor(t.type, t.data, t.dims);
      let result: ort.InferenceSession.OnnxValueMapType;
      try {
        result = await session.run(ortFeeds);
      } catch (e) {
        throw new TokentagError(`ONNX Runtime: ${(e as Error).message}`);
      }
      const out: Record<string, RunnerTensor> = {};
      for (const [name, t] of Object.entries(result)) out[name] = { type: t.type as RunnerTensor['type'], data: t.data as Float32Array, dims: t.dims };
      return out;
    },
    dispose: () => session.release(),
  };
}
