/**
 * A worker thread that answers requests one message each, for the side-by-side ONNX Runtime
 * sessions of the pipeline (pipeline/runner.ts) and of data-parallel training (runtime.ts).
 *
 * The worker script posts `{ type: 'ready' }` or `{ type: 'failed', message }` once, then
 * answers each `{ id, … }` with `{ id, … }` (an `error` field for a failure), and exits on
 * `'close'`. An idle lane never keeps the process alive (a script that forgets to dispose
 * still ends); one with requests in flight does. A worker that dies fails its requests.
 */
import { Worker } from 'node:worker_threads';
import { TokentagError } from '../errors.ts';

interface Pending {
  resolve(reply: Record<string, unknown>): void;
  reject(e: Error): void;
}

export class WorkerLane {
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  private exited = false;
  private closing = false;
  /** Why the worker stopped, once it has. */
  private stopped: string | undefined;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (m: { id: number; error?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) worker.unref();
      if (m.error !== undefined) p.reject(new TokentagError(`ONNX Runtime: ${m.error}`));
      else p.resolve(m as Record<string, unknown>);
    });
    const fail = (why: string): void => {
      this.stopped ??= why;
      for (const p of this.pending.values()) p.reject(new TokentagError(`the worker thread stopped: ${why}`));
      this.pending.clear();
    };
    worker.on('error', (e) => fail(e.message));
    worker.on('exit', (code) => {
      this.exited = true;
      if (!this.closing) fail(`exit code ${code}`);
    });
    worker.unref();
  }

  /** Starts the worker and waits for its 'ready' (rejects with its 'failed' message). */
  static start(url: URL, workerData: unknown, what: string): Promise<WorkerLane> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(url, { workerData });
      const onError = (e: Error): void => reject(new TokentagError(`${what}: the worker thread failed to start: ${e.message}`));
      worker.once('error', onError);
      worker.once('message', (m: { type: string; message?: string }) => {
        worker.off('error', onError);
        if (m.type === 'ready') resolve(new WorkerLane(worker));
        else {
          void worker.terminate();
          reject(new TokentagError(`${what}: ${m.message}`));
        }
      });
    });
  }

  /** Whether the worker is still there to answer. */
  get alive(): boolean {
    return this.stopped === undefined && !this.closing;
  }

  /** Sends `{ id, ...message }`; resolves with the worker's reply. */
  request(message: Record<string, unknown>, transfer: readonly ArrayBuffer[] = []): Promise<Record<string, unknown>> {
    if (!this.alive) return Promise.reject(new TokentagError(this.closing ? 'the worker thread has been closed' : `the worker thread stopped: ${this.stopped}`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) this.worker.ref();
      this.worker.postMessage({ ...message, id }, [...new Set(transfer)]);
    });
  }

  /** Asks the worker to release its session and exit; resolves when it has. */
  close(): Promise<void> {
    if (this.closing) return Promise.resolve();
    this.closing = true;
    if (this.exited) return Promise.resolve();
    this.worker.ref(); // keep the process alive until it has exited
    return new Promise((resolve) => {
      this.worker.once('exit', () => resolve());
      this.worker.postMessage('close');
    });
  }

  /** Stops the worker at once, as a crash would (tests). */
  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}
