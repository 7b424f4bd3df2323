import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RequestError } from '../../src/errors.ts';
import type { ModelWindow, PreparedCall } from '../../src/pipeline/index.ts';
import { Batcher, type BatchStats, type WindowRunner } from '../../src/server/batcher.ts';

/** A request whose windows carry its tag as token ids; its result is what the "model" gave each window. */
function call(tag: number, windows = 1): PreparedCall<number> & { accepted: number[] } {
  const ws: ModelWindow[] = Array.from({ length: windows }, (_, k) => ({ inputIds: [tag, k], typeIds: [0, 0] }));
  const got: number[] = [];
  return {
    windows: ws,
    accepted: got,
    accept: (k, probs) => void (got[k] = probs[0]![0]!),
    results: () => {
      if (got.filter((x) => x !== undefined).length < ws.length) throw new Error('missing windows');
      return got;
    },
  };
}

/** A model that answers each window with its first token id, and runs only when told to. */
class FakeRunner implements WindowRunner {
  runs: number[][] = [];
  private release: (() => void)[] = [];
  fail = (_: readonly ModelWindow[]) => false;
  async runWindows(windows: readonly ModelWindow[], onDone: (k: number, probs: Float32Array[]) => void): Promise<void> {
    this.runs.push(windows.map((w) => w.inputIds[0]!));
    await new Promise<void>((r) => this.release.push(r));
    if (this.fail(windows)) throw new Error('model failed');
    windows.forEach((w, k) => onDone(k, [new Float32Array([w.inputIds[0]! * 10 + w.inputIds[1]!])]));
  }
  /** Lets every run started so far finish. */
  async finishAll(): Promise<void> {
    const r = this.release;
    this.release = [];
    r.forEach((f) => f());
    await new Promise((r) => setImmediate(r));
  }
  get pending(): number {
    return this.release.length;
  }
}

const tick = () => new Promise((r) => setImmediate(r));

describe('dynamic batching', () => {
  it('requests queued while the model is busy are gathered into one run, up to maxBatch windows, each answered with its own windows', async () => {
    const runner = new FakeRunner();
    const stats: BatchStats[] = [];
    const b = new Batcher(runner, { maxBatch: 4, maxWaitMs: 0, maxQueue: 100, concurrency: 1, onBatch: (s) => stats.push(s) });
    const first = b.submit(async () => call(1));
    await tick();
    assert.deepEqual(runner.runs, [[1]]); // an idle model takes the first request at once
    const rest = [b.submit(async () => call(2)), b.submit(async () => call(3, 2)), b.submit(async () => call(4)), b.submit(async () => call(5))];
    await tick();
    assert.equal(b.depth, 4);
    await runner.finishAll();
    // 2, 3 (two windows) and 4 fill the 4 windows; 5 waits for the next run.
    assert.deepEqual(runner.runs, [[1], [2, 3, 3, 4]]);
    assert.equal(b.depth, 1);
    await runner.finishAll();
    await runner.finishAll();
    assert.deepEqual(runner.runs, [[1], [2, 3, 3, 4], [5]]);
    assert.deepEqual(await first, [10]);
    assert.deepEqual(await Promise.all(rest), [[20], [30, 31], [40], [50]]);
    assert.deepEqual(stats.map((s) => [s.requests, s.windows, s.tokens]), [[1, 1, 2], [3, 4, 8], [1, 1, 2]]);
  });

  it('a request larger than maxBatch runs alone with all its windows; concurrency runs side by side', async () => {
    const runner = new FakeRunner();
    const b = new Batcher(runner, { maxBatch: 2, maxWaitMs: 0, maxQueue: 100, concurrency: 2 });
    const big = b.submit(async () => call(7, 5));
    const small = b.submit(async () => call(8));
    await tick();
    await tick();
    assert.deepEqual(runner.runs, [[7, 7, 7, 7, 7], [8]]);
    await runner.finishAll();
    assert.deepEqual(await big, [70, 71, 72, 73, 74]);
    assert.deepEqual(await small, [80]);
  });

  it('maxWaitMs holds a request for others, unless maxBatch windows are waiting; flush() stops waiting', async () => {
    const runner = new FakeRunner();
    const b = new Batcher(runner, { maxBatch: 3, maxWaitMs: 60_000, maxQueue: 100, concurrency: 1 });
    const a = b.submit(async () => call(1));
    await tick();
    assert.deepEqual(runner.runs, []);
    const c = b.submit(async () => call(2, 2));
    await tick();
    assert.deepEqual(runner.runs, [[1, 2, 2]]);
    await runner.finishAll();
    assert.deepEqual(await Promise.all([a, c]), [[10], [20, 21]]);
    const d = b.submit(async () => call(3));
    await tick();
    assert.deepEqual(runner.runs.length, 1);
    b.flush();
    assert.deepEqual(runner.runs, [[1, 2, 2], [3]]);
    await runner.finishAll();
    assert.deepEqual(await d, [30]);
  });

  it('a full queue refuses at once with 503 and Retry-After; the queue frees as runs are taken', async () => {
    const runner = new FakeRunner();
    const b = new Batcher(runner, { maxBatch: 1, maxWaitMs: 0, maxQueue: 2, concurrency: 1 });
    const running = b.submit(async () => call(1));
    await tick();
    const queued = [b.submit(async () => call(2)), b.submit(async () => call(3))];
    await assert.rejects(b.submit(async () => call(4)), (e: unknown) => e instanceof RequestError && e.status === 503 && e.headers['Retry-After'] === '1' && /max-queue 2/.test(e.message));
    await runner.finishAll();
    const later = b.submit(async () => call(5)); // request 2 left the queue
    for (let i = 0; i < 4; i++) await runner.finishAll();
    assert.deepEqual(await Promise.all([running, ...queued, later]), [[10], [20], [30], [50]]);
  });

  it('an aborted request leaves the queue and is never run', async () => {
    const runner = new FakeRunner();
    const b = new Batcher(runner, { maxBatch: 8, maxWaitMs: 0, maxQueue: 10, concurrency: 1 });
    const first = b.submit(async () => call(1));
    await tick();
    const ac = new AbortController();
    const gone = b.submit(async () => call(2), ac.signal);
    const kept = b.submit(async () => call(3));
    await tick();
    ac.abort(new Error('client left'));
    await assert.rejects(gone, /client left/);
    assert.equal(b.depth, 1);
    await runner.finishAll();
    await runner.finishAll();
    assert.deepEqual(runner.runs, [[1], [3]]);
    assert.deepEqual(await first, [10]);
    assert.deepEqual(await kept, [30]);
  });

  it('a failing run fails only the request that makes it fail: the others are run again alone and answered', async () => {
    const runner = new FakeRunner();
    runner.fail = (ws) => ws.some((w) => w.inputIds[0] === 6);
    const b = new Batcher(runner, { maxBatch: 8, maxWaitMs: 60_000, maxQueue: 10, concurrency: 1 });
    const rs = [b.submit(async () => call(5)), b.submit(async () => call(6)), b.submit(async () => call(7, 2))];
    rs.forEach((r) => r.catch(() => {}));
    await tick();
    b.flush();
    while (runner.pending > 0) await runner.finishAll();
    assert.deepEqual(runner.runs, [[5, 6, 7, 7], [5], [6], [7, 7]]);
    assert.deepEqual(await rs[0], [50]);
    await assert.rejects(rs[1]!, /model failed/);
    assert.deepEqual(await rs[2], [70, 71]);
    // and the batcher keeps going
    const after = b.submit(async () => call(8));
    b.flush();
    await tick();
    await runner.finishAll();
    assert.deepEqual(await after, [80]);
  });

  it('a request with nothing to run (only empty texts) is answered without the model; a failed preparation frees its place', async () => {
    const runner = new FakeRunner();
    const b = new Batcher(runner, { maxBatch: 8, maxWaitMs: 0, maxQueue: 1, concurrency: 1 });
    assert.deepEqual(await b.submit(async () => ({ windows: [], accept() {}, results: () => [[]] })), [[]]);
    await assert.rejects(b.submit(async () => { throw new Error('tokenizer failed'); }), /tokenizer failed/);
    assert.equal(b.depth, 0);
    assert.deepEqual(runner.runs, []);
  });
});
