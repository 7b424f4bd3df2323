/**
 * Runs the inference graph: on the calling thread, or in a pool of worker threads with one ONNX
 * Runtime session each.
 *
 * onnxruntime-node's `run` computes on the calling thread (the promise only defers the call), so
 * one session can never overlap two batches, and for small models ONNX Runtime's own intra-op
 * threads gain little (bert-tiny runs no faster on two threads than on one). A pool of
 * sessions, each with its share of the cores, runs whole batches side by side instead, while
 * the main thread tokenizes and post-processes.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { TokentagError } from '../errors.ts';

/** A tensor as it crosses to a worker: plain data, dims and type. */
export interface RunnerTensor {
  readonly type: 'int64' | 'float32';
  readonly data: BigInt64Array | Float32Array;
  readonly dims: readonly number[];
}

export interface ModelRunner {
  readonly inputNames: readonly string[];
  /** How many `run` calls execute at the same time (1 on the calling thread). */
  readonly lanes: number;
  /** Runs the graph (the feeds are copied to a worker, never detached). */
  run(feeds: Readonly<Record<string, RunnerTensor>>): Promise<Record<string, RunnerTensor>>;
  dispose(): Promise<void>;
}

export interface RunnerOptions {
  /** Worker threads, each with its own session; 0 runs on the calling thread. */
  workers: number;
  /** ONNX Runtime intra-op threads per session (default: the cores shared out among the workers; ONNX Runtime's default on the calling thread). */
  intraOpNumThreads?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
}

/** The default worker count: two sessions side by side where there are two cores or more. */
export function defaultWorkers(): number {
  return os.availableParallelism() >= 2 ? 2 : 0;
}

export async function createRunner(source: string | Uint8Array, options: RunnerOptions): Promise<ModelRunner> {
  const { workers } = options;
  if (!Number.isInteger(workers) || workers < 0) throw new TokentagError(`workers must be a non-negative integer, got ${workers}`);
  const sessionOptions: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: options.graphOptimizationLevel ?? 'all' };
  if (workers === 0) {
    if (options.intraOpNumThreads !== undefined) sessionOptions.intraOpNumThreads = options.intraOpNumThreads;
    return inProcessRunner(typeof source === 'string' ? await ort.InferenceSession.create(source, sessionOptions) : await ort.InferenceSession.create(source, sessionOptions));
  }
  sessionOptions.intraOpNumThreads = options.intraOpNumThreads ?? Math.max(1, Math.floor(os.availableParallelism() / workers));
  return WorkerPool.start(source, workers, sessionOptions);
}

function inProcessRunner(session: ort.InferenceSession): ModelRunner {
  return {
    inputNames: session.inputNames,
    lanes: 1,
    async run(feeds) {
      const ortFeeds: Record<string, ort.Tensor> = {};
      for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor(t.type, t.data, t.dims);
      const result = await session.run(ortFeeds);
      const out: Record<string, RunnerTensor> = {};
      for (const [name, t] of Object.entries(result)) out[name] = { type: t.type as RunnerTensor['type'], data: t.data as Float32Array, dims: t.dims };
      return out;
    },
    dispose: () => session.release(),
  };
}

interface Job {
  resolve(out: Record<string, RunnerTensor>): void;
  reject(e: Error): void;
  cells: number;
}

interface Lane {
  worker: Worker;
  /** Padded cells queued on this worker: new work goes to the least loaded. */
  cells: number;
  jobs: Map<number, Job>;
}

class WorkerPool implements ModelRunner {
  private nextId = 0;
  private closed = false;
  private pending = 0;

  private constructor(
    private readonly pool: Lane[],
    readonly inputNames: readonly string[],
  ) {}

  get lanes(): number {
    return this.pool.length;
  }

  static async start(source: string | Uint8Array, n: number, sessionOptions: ort.InferenceSession.SessionOptions): Promise<WorkerPool> {
    const url = new URL('./session-worker.js', import.meta.url);
    const started = await Promise.allSettled(
      Array.from({ length: n }, () =>
        new Promise<{ worker: Worker; inputNames: string[] }>((resolve, reject) => {
          // Every worker gets its own copy of an in-memory model (a worker cannot share it).
          const worker = new Worker(url, { workerData: { source, sessionOptions } });
          worker.once('error', reject);
          worker.once('message', (m: { type: string; inputNames?: string[]; message?: string }) => {
            worker.off('error', reject);
            if (m.type === 'ready') resolve({ worker, inputNames: m.inputNames! });
            else {
              void worker.terminate();
              reject(new TokentagError(`ONNX Runtime could not load the model: ${m.message}`));
            }
          });
        }),
      ),
    );
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) {
      await Promise.all(started.map((s) => (s.status === 'fulfilled' ? s.value.worker.terminate() : undefined)));
      throw failed.reason instanceof Error ? failed.reason : new TokentagError(String(failed.reason));
    }
    const ok = started.map((s) => (s as PromiseFulfilledResult<{ worker: Worker; inputNames: string[] }>).value);
    const pool = new WorkerPool(ok.map((s) => ({ worker: s.worker, cells: 0, jobs: new Map() })), ok[0]!.inputNames);
    for (const lane of pool.pool) pool.listen(lane);
    pool.refWorkers(false);
    return pool;
  }

  private listen(lane: Lane): void {
    lane.worker.on('message', (m: { id: number; outputs?: Record<string, RunnerTensor>; error?: string }) => {
      const job = lane.jobs.get(m.id);
      if (!job) return;
      lane.jobs.delete(m.id);
      lane.cells -= job.cells;
      this.settled();
      if (m.error !== undefined) job.reject(new TokentagError(`ONNX Runtime: ${m.error}`));
      else job.resolve(m.outputs!);
    });
    // A worker that dies takes its jobs with it: fail them rather than hang.
    const fail = (e: Error): void => {
      for (const job of lane.jobs.values()) {
        job.reject(new TokentagError(`the inference worker stopped: ${e.message}`));
        this.settled();
      }
      lane.jobs.clear();
      lane.cells = Infinity;
    };
    lane.worker.on('error', fail);
    lane.worker.on('exit', (code) => {
      if (!this.closed) fail(new Error(`exit code ${code}`));
    });
  }

  /** Idle workers must not keep the process alive (a script that forgets `dispose()` still ends). */
  private refWorkers(on: boolean): void {
    for (const lane of this.pool) (on ? lane.worker.ref() : lane.worker.unref());
  }

  private settled(): void {
    if (--this.pending === 0) this.refWorkers(false);
  }

  run(feeds: Readonly<Record<string, RunnerTensor>>): Promise<Record<string, RunnerTensor>> {
    if (this.closed) return Promise.reject(new TokentagError('the pipeline has been disposed'));
    let lane = this.pool[0]!;
    for (const l of this.pool) if (l.cells < lane.cells) lane = l;
    if (lane.cells === Infinity) return Promise.reject(new TokentagError('every inference worker has stopped'));
    const first = Object.values(feeds)[0];
    const cells = first ? first.data.length : 0;
    const id = this.nextId++;
    // Transferred, not copied: a copy costs several times more, and the pipeline's feeds are fresh.
    const transfer = new Set<ArrayBuffer>();
    for (const t of Object.values(feeds)) transfer.add(t.data.buffer as ArrayBuffer);
    return new Promise((resolve, reject) => {
      lane.jobs.set(id, { resolve, reject, cells });
      lane.cells += cells;
      if (this.pending++ === 0) this.refWorkers(true);
      lane.worker.postMessage({ id, feeds }, [...transfer]);
    });
  }

  async dispose(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.refWorkers(true); // keep the process alive until they have exited
    await Promise.all(
      this.pool.map(
        (lane) =>
          new Promise<void>((resolve) => {
            lane.worker.once('exit', () => resolve());
            lane.worker.postMessage('close');
          }),
      ),
    );
  }
}
