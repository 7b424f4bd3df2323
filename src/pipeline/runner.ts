/**
 * Runs the inference graph in one or more ONNX Runtime sessions side by side: one on the calling
 * thread, the others in worker threads.
 *
 * onnxruntime-node's `run` computes on the calling thread (the promise only defers the call), so
 * one session can never overlap two batches, and for small models ONNX Runtime's own intra-op
 * threads gain little (bert-tiny runs no faster on two threads than on one). Several sessions,
 * each with its share of the cores, run whole batches side by side instead. The calling
 * thread keeps a session of its own rather than idling while it waits: one thread per core,
 * none preempting another, and a lone batch (one sentence) never pays a trip to a worker. It
 * also tokenizes and post-processes, so it is handed less of the work (INLINE_WEIGHT).
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
  /** How many `run` calls execute at the same time (the session count). */
  readonly lanes: number;
  /** Runs the graph. Feeds sent to a worker have their buffers transferred: do not use them afterwards. */
  run(feeds: Readonly<Record<string, RunnerTensor>>): Promise<Record<string, RunnerTensor>>;
  dispose(): Promise<void>;
}

export interface RunnerOptions {
  /** ONNX Runtime sessions: one on the calling thread, the rest in worker threads. */
  sessions: number;
  /**
   * ONNX Runtime intra-op threads per session. Default: the cores shared out among several
   * sessions; ONNX Runtime's own default for a single one.
   */
  intraOpNumThreads?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
}

/** The default session count: two side by side where there are two cores or more. */
export function defaultSessions(): number {
  return os.availableParallelism() >= 2 ? 2 : 1;
}

/**
 * A batch counts this much more on the calling thread's session when choosing where to run it:
 * that thread also tokenizes and post-processes. (Measured on bert-tiny with two sessions: 1.5
 * gave the best throughput of 1, 1.5 and 2.)
 */
const INLINE_WEIGHT = 1.5;

export async function createRunner(source: string | Uint8Array, options: RunnerOptions): Promise<ModelRunner> {
  const { sessions } = options;
  if (!Number.isInteger(sessions) || sessions < 1) throw new TokentagError(`sessions must be a positive integer, got ${sessions}`);
  const sessionOptions: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: options.graphOptimizationLevel ?? 'all' };
  if (options.intraOpNumThreads !== undefined) sessionOptions.intraOpNumThreads = options.intraOpNumThreads;
  else if (sessions > 1) sessionOptions.intraOpNumThreads = Math.max(1, Math.floor(os.availableParallelism() / sessions));
  const create = (): Promise<ort.InferenceSession> =>
    typeof source === 'string' ? ort.InferenceSession.create(source, sessionOptions) : ort.InferenceSession.create(source, sessionOptions);
  const inline = inProcessRunner(await create());
  if (sessions === 1) return inline;
  try {
    return await SessionPool.start(inline, source, sessions - 1, sessionOptions);
  } catch (e) {
    await inline.dispose();
    throw e;
  }
}

function inProcessRunner(session: ort.InferenceSession): ModelRunner {
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

interface Job {
  resolve(out: Record<string, RunnerTensor>): void;
  reject(e: Error): void;
  cells: number;
}

interface Lane {
  worker: Worker;
  /** Padded cells queued on this worker: new work goes to the least loaded (a stopped worker: Infinity). */
  cells: number;
  jobs: Map<number, Job>;
  exited: boolean;
}

class SessionPool implements ModelRunner {
  private nextId = 0;
  private closed = false;
  private pending = 0;
  /** Padded cells queued on the calling thread's session. */
  private inlineCells = 0;

  private constructor(
    private readonly inline: ModelRunner,
    private readonly pool: Lane[],
  ) {}

  get inputNames(): readonly string[] {
    return this.inline.inputNames;
  }

  get lanes(): number {
    return this.pool.length + 1;
  }

  static async start(inline: ModelRunner, source: string | Uint8Array, n: number, sessionOptions: ort.InferenceSession.SessionOptions): Promise<SessionPool> {
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
    const pool = new SessionPool(inline, ok.map((s) => ({ worker: s.worker, cells: 0, jobs: new Map(), exited: false })));
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
      lane.exited = true;
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
    const first = Object.values(feeds)[0];
    const cells = first ? first.data.length : 0;
    if (this.inlineCells * INLINE_WEIGHT <= lane.cells) {
      this.inlineCells += cells;
      return this.inline.run(feeds).finally(() => {
        this.inlineCells -= cells;
      });
    }
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
    await this.inline.dispose();
    this.refWorkers(true); // keep the process alive until they have exited
    await Promise.all(
      this.pool.map(
        (lane) =>
          new Promise<void>((resolve) => {
            if (lane.exited) return resolve();
            lane.worker.once('exit', () => resolve());
            lane.worker.postMessage('close');
          }),
      ),
    );
  }
}
