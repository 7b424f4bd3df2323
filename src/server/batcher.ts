/**
 * Dynamic batching: the windows of concurrent requests gathered into one model run.
 *
 * Each request is tokenized into windows on arrival (`prepareTexts` / `prepareWords`) and
 * queued. When a slot is free (at most `concurrency` gathers run at once, one per ONNX Runtime
 * session) the queue's head is taken, with the requests behind it while the windows add up to at
 * most `maxBatch`, once either that many windows are waiting or the oldest request has waited
 * `maxWaitMs`. The gathered windows go through the pipeline's own `runWindows` (the same batch
 * planner and runner as a direct call), and each request is post-processed and answered as soon
 * as its own windows are back. A request is never split between gathers, so a long text keeps
 * all its windows together (one larger than `maxBatch` is gathered alone).
 *
 * If a gathered run fails, every request of it that is not yet answered is run again alone, so a
 * request that makes the model fail fails by itself and the others are answered.
 */
import { RequestError } from '../errors.ts';
import type { ModelWindow, PreparedCall } from '../pipeline/index.ts';

/** What the batcher needs of the pipeline. */
export interface WindowRunner {
  runWindows(windows: readonly ModelWindow[], onDone: (k: number, probs: Float32Array[]) => void): Promise<void>;
}

export interface BatchStats {
  /** Requests and windows gathered into the run, and their tokens (special tokens included, padding not). */
  readonly requests: number;
  readonly windows: number;
  readonly tokens: number;
  readonly seconds: number;
}

export interface BatcherOptions {
  /** At most this many windows per gathered run (a single larger request runs alone). */
  readonly maxBatch: number;
  /** How long the oldest queued request waits for others while fewer than `maxBatch` windows wait. */
  readonly maxWaitMs: number;
  /** At most this many requests waiting (being tokenized or queued); more are refused with 503. */
  readonly maxQueue: number;
  /** Gathered runs in flight at once (the pipeline's session count). */
  readonly concurrency: number;
  /** Called after every gathered run (metrics). */
  readonly onBatch?: (stats: BatchStats) => void;
}

interface Job {
  readonly call: PreparedCall<unknown>;
  readonly enqueuedAt: number;
  /** Windows not yet accepted (`got` marks the accepted ones). */
  remaining: number;
  readonly got: Uint8Array;
  settled: boolean;
  resolve(r: unknown[]): void;
  reject(e: unknown): void;
}

export class Batcher {
  private readonly queue: Job[] = [];
  private queuedWindows = 0;
  /** Requests admitted and not yet gathered (being tokenized or queued). */
  private waiting = 0;
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Shutting down: run what is queued without waiting for more. */
  private flushing = false;

  constructor(
    private readonly runner: WindowRunner,
    private readonly options: BatcherOptions,
  ) {
    for (const k of ['maxBatch', 'maxQueue', 'concurrency'] as const) {
      if (!Number.isInteger(options[k]) || options[k] < 1) throw new RangeError(`${k} must be a positive integer, got ${options[k]}`);
    }
    if (!(options.maxWaitMs >= 0)) throw new RangeError(`maxWaitMs must be ≥ 0, got ${options.maxWaitMs}`);
  }

  /** Requests admitted and not yet handed to the model. */
  get depth(): number {
    return this.waiting;
  }

  /**
   * Prepares a request and queues its windows; resolves to its predictions. Refuses at once
   * (503 with `Retry-After`) when `maxQueue` requests are already waiting. An abort while the
   * request is still queued takes it out of the queue.
   */
  async submit<R>(prepare: () => Promise<PreparedCall<R>>, signal?: AbortSignal): Promise<R[]> {
    if (this.waiting >= this.options.maxQueue) {
      throw new RequestError(503, `the server is busy: ${this.waiting} requests are waiting (--max-queue ${this.options.maxQueue}); retry later`, { 'Retry-After': '1' });
    }
    this.waiting++;
    let call: PreparedCall<R>;
    try {
      call = await prepare();
      signal?.throwIfAborted();
    } catch (e) {
      this.waiting--;
      throw e;
    }
    if (call.windows.length === 0) {
      this.waiting--;
      return call.results(); // only empty texts: nothing to run
    }
    return new Promise<R[]>((resolve, reject) => {
      const job: Job = {
        call,
        enqueuedAt: performance.now(),
        remaining: call.windows.length,
        got: new Uint8Array(call.windows.length),
        settled: false,
        resolve: resolve as (r: unknown[]) => void,
        reject,
      };
      this.queue.push(job);
      this.queuedWindows += call.windows.length;
      signal?.addEventListener('abort', () => this.cancel(job, signal.reason), { once: true });
      this.pump();
    });
  }

  /** From now on, runs whatever is queued without waiting for more (used when shutting down). */
  flush(): void {
    this.flushing = true;
    this.pump();
  }

  private cancel(job: Job, reason: unknown): void {
    const i = this.queue.indexOf(job);
    if (i < 0) return; // already running: its answer is simply not wanted
    this.queue.splice(i, 1);
    this.queuedWindows -= job.call.windows.length;
    this.waiting--;
    job.settled = true;
    job.reject(reason);
  }

  private pump(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.inFlight < this.options.concurrency && this.queue.length > 0) {
      const wait = this.options.maxWaitMs - (performance.now() - this.queue[0]!.enqueuedAt);
      if (this.queuedWindows < this.options.maxBatch && wait > 0 && !this.flushing) {
        this.timer = setTimeout(() => this.pump(), Math.ceil(wait));
        return;
      }
      void this.dispatch(this.take());
    }
  }

  /** The queue's head and the requests behind it while their windows fit in `maxBatch`. */
  private take(): Job[] {
    const jobs = [this.queue.shift()!];
    let n = jobs[0]!.call.windows.length;
    while (this.queue.length > 0 && n + this.queue[0]!.call.windows.length <= this.options.maxBatch) {
      const j = this.queue.shift()!;
      n += j.call.windows.length;
      jobs.push(j);
    }
    this.queuedWindows -= n;
    this.waiting -= jobs.length;
    return jobs;
  }

  private async dispatch(jobs: Job[]): Promise<void> {
    this.inFlight++;
    const t0 = performance.now();
    const windows: ModelWindow[] = [];
    const owner: [Job, number][] = [];
    for (const j of jobs) {
      j.call.windows.forEach((w, k) => {
        windows.push(w);
        owner.push([j, k]);
      });
    }
    try {
      try {
        await this.runner.runWindows(windows, (i, probs) => deliver(owner[i]![0], owner[i]![1], probs));
      } catch (e) {
        const open = jobs.filter((j) => !j.settled);
        if (jobs.length === 1) open.forEach((j) => settleError(j, e));
        // Who made the run fail? Each unanswered request again, alone.
        else await Promise.all(open.map((j) => this.runner.runWindows(j.call.windows, (k, probs) => deliver(j, k, probs)).catch((e2) => settleError(j, e2))));
      }
    } finally {
      this.inFlight--;
      this.options.onBatch?.({
        requests: jobs.length,
        windows: windows.length,
        tokens: windows.reduce((a, w) => a + w.inputIds.length, 0),
        seconds: (performance.now() - t0) / 1000,
      });
      this.pump();
    }
  }
}

function deliver(job: Job, k: number, probs: Float32Array[]): void {
  if (job.got[k]) return;
  job.got[k] = 1;
  job.call.accept(k, probs);
  if (--job.remaining > 0 || job.settled) return;
  job.settled = true;
  try {
    job.resolve(job.call.results());
  } catch (e) {
    job.reject(e);
  }
}

function settleError(job: Job, e: unknown): void {
  if (job.settled) return;
  job.settled = true;
  job.reject(e);
}
