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
import * as ort from '../engine/ort.ts';
import { WorkerLane } from '../engine/worker-lane.ts';
import { TokentagError } from '../errors.ts';
import { type ModelRunner, type RunnerTensor, sessionRunner } from './session-runner.ts';

export type { ModelRunner, RunnerTensor } from './session-runner.ts';

export interface RunnerOptions {
  /** ONNX Runtime sessions: one on the calling thread, the rest in worker threads. */
  sessions: number;
  /**
   * ONNX Runtime intra-op threads per session. Default: the cores shared out among several
   * sessions; ONNX Runtime's own default for a single one.
   */
  intraOpNumThreads?: number;
}

/** The default session count: two side by side where there are two cores or more. */
export function defaultSessions(): number {
  return os.availableParallelism() >= 2 ? 2 : 1;
}

/**
 * A batch counts this much more on the calling thread's session when choosing where to run it:
 * that thread also tokenizes and post-processes. (Chosen in a one-off comparison on bert-tiny
 * with two sessions, where 1.5 did better than 1 and 2; not a benchmark.)
 */
const INLINE_WEIGHT = 1.5;

export async function createRunner(source: string | Uint8Array, options: RunnerOptions): Promise<ModelRunner> {
  const { sessions } = options;
  if (!Number.isInteger(sessions) || sessions < 1) throw new TokentagError(`sessions must be a positive integer, got ${sessions}`);
  const sessionOptions: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: 'all' };
  if (options.intraOpNumThreads !== undefined) sessionOptions.intraOpNumThreads = options.intraOpNumThreads;
  else if (sessions > 1) sessionOptions.intraOpNumThreads = Math.max(1, Math.floor(os.availableParallelism() / sessions));
  const inline = sessionRunner(
    typeof source === 'string' ? await ort.InferenceSession.create(source, sessionOptions) : await ort.InferenceSession.create(source, sessionOptions),
  );
  if (sessions === 1) return inline;
  try {
    return await SessionPool.start(inline, source, sessions - 1, sessionOptions);
  } catch (e) {
    await inline.dispose();
    throw e;
  }
}

interface Lane {
  readonly worker: WorkerLane;
  /** Padded cells queued on this worker: new work goes to the least loaded. */
  cells: number;
}

class SessionPool implements ModelRunner {
  private closed = false;
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
    // Every worker gets its own copy of an in-memory model (a worker cannot share it).
    const started = await Promise.allSettled(Array.from({ length: n }, () => WorkerLane.start(url, { source, sessionOptions }, 'ONNX Runtime could not load the model')));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) {
      await Promise.all(started.map((s) => (s.status === 'fulfilled' ? s.value.close() : undefined)));
      throw failed.reason instanceof Error ? failed.reason : new TokentagError(String(failed.reason));
    }
    return new SessionPool(inline, started.map((s) => ({ worker: (s as PromiseFulfilledResult<WorkerLane>).value, cells: 0 })));
  }

  run(feeds: Readonly<Record<string, RunnerTensor>>): Promise<Record<string, RunnerTensor>> {
    if (this.closed) return Promise.reject(new TokentagError('the pipeline has been disposed'));
    // The least-loaded live worker; a stopped one is passed over (the calling thread remains).
    let lane: Lane | undefined;
    for (const l of this.pool) if (l.worker.alive && (!lane || l.cells < lane.cells)) lane = l;
    const first = Object.values(feeds)[0];
    const cells = first ? first.data.length : 0;
    if (!lane || this.inlineCells * INLINE_WEIGHT <= lane.cells) {
      this.inlineCells += cells;
      return this.inline.run(feeds).finally(() => {
        this.inlineCells -= cells;
      });
    }
    const l = lane;
    l.cells += cells;
    // Transferred, not copied: a copy costs several times more, and the pipeline's feeds are fresh.
    const transfer = Object.values(feeds).map((t) => t.data.buffer as ArrayBuffer);
    return l.worker
      .request({ feeds }, transfer)
      .then((reply) => reply.outputs as Record<string, RunnerTensor>)
      .finally(() => {
        l.cells -= cells;
      });
  }

  async dispose(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.inline.dispose();
    await Promise.all(this.pool.map((l) => l.worker.close()));
  }
}
