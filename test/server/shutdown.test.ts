import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli.ts';
import { makeTinyModel } from '../helpers/tiny-model.ts';
import { parsePrometheusText, sampleValue } from '../helpers/prometheus.ts';
import { pipeline, type TokenClassificationPipeline } from '../../src/index.ts';

/** `tokentag` from the sources (bin/tokentag.js runs the build in dist/, which may be older). */
const CLI = ['--import', 'tsx', path.join(import.meta.dirname, '..', 'helpers', 'tokentag-src.ts')];
let root = '';
let dir = '';
let ner: TokenClassificationPipeline;
/** Every server started, so that none outlives a failed test. */
const children = new Set<ChildProcess>();

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tokentag-serve-cli-'));
  dir = await makeTinyModel(path.join(root, 'model'));
  ner = await pipeline('ner', { model: dir, aggregationStrategy: 'simple' });
});
after(async () => {
  for (const c of children) kill(c);
  await ner?.dispose();
  fs.rmSync(root, { recursive: true, force: true });
});

/** Kills a server and anything it started: each runs in its own process group (`detached`). */
function kill(c: ChildProcess): void {
  try {
    process.kill(-c.pid!, 'SIGKILL');
  } catch {
    /* already gone */
  }
  c.stderr?.destroy();
}

/** `tokentag serve` in a child process, its JSON log lines collected as they come. */
function start(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [...CLI, 'serve', '--model', dir, '--port', '0', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.add(child);
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  let buffered = '';
  const waiters: (() => void)[] = [];
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk;
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      try {
        logs.push(JSON.parse(line));
      } catch {
        /* kept in stderr */
      }
      waiters.splice(0).forEach((w) => w());
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      resolve({ code, signal });
      waiters.splice(0).forEach((w) => w());
    }),
  );
  const log = async (msg: string): Promise<Record<string, unknown>> => {
    for (;;) {
      const found = logs.find((l) => l.msg === msg);
      if (found) return found;
      if (child.exitCode !== null) throw new Error(`the server exited before logging ${msg}:\n${stderr}`);
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  return { child, logs, log, exited, stderr: () => stderr };
}

async function post(url: string, inputs: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', Connection: 'close' }, body: JSON.stringify({ inputs }) });
  return { status: res.status, body: await res.json() };
}

async function queueDepth(url: string): Promise<number> {
  return sampleValue(parsePrometheusText(await (await fetch(`${url}/metrics`)).text()), 'tokentag_queue_depth');
}

const TEXTS = ['Ada lived in Paris', 'Alan went to Zürich 😀', 'Turing met Ada in London', Array.from({ length: 30 }, () => 'Ada went to Berlin').join(' '), 'Paris', 'London and Berlin'];

async function shutdownWithRequestsInFlight(signal: NodeJS.Signals, env: Record<string, string>): Promise<void> {
  // Requests wait in the queue (max-wait 10 min) until the signal: they are in flight when it comes.
  const s = start(['--max-wait-ms', '600000', '--max-batch', '256', '--timeout-ms', '900000'], env);
  try {
    const url = (await s.log('listening')).url as string;
    // Before the model is loaded: /health and predictions say so (503), then it is ready.
    // (Loading takes a second or more, so these come first; a machine that loads faster skips the check.)
    const early = await fetch(`${url}/health`);
    const earlyPost = await post(url, 'Paris');
    if (early.status !== 200) assert.deepEqual([early.status, await early.json()], [503, { status: 'loading', model: 'model' }]);
    if (earlyPost.status !== 200) assert.deepEqual(earlyPost, { status: 503, body: { error: 'Model model is currently loading' } });
    await s.log('ready');
    assert.equal((await fetch(`${url}/health`)).status, 200);

    const inFlight = TEXTS.map((t) => post(url, t));
    while ((await queueDepth(url)) < TEXTS.length) await new Promise((r) => setTimeout(r, 20));
    s.child.kill(signal);
    await s.log('shutting down');
    // New work is refused: the listening socket is closed.
    await assert.rejects(fetch(`${url}/health`, { headers: { Connection: 'close' } }));
    const answers = await Promise.all(inFlight);
    for (const [i, a] of answers.entries()) {
      assert.equal(a.status, 200, `request ${i}: ${JSON.stringify(a.body)}`);
      assert.deepEqual(a.body, await ner(TEXTS[i]!), `request ${i} answered in full`);
    }
    const { code, signal: killedBy } = await s.exited;
    assert.equal(killedBy, null, s.stderr());
    assert.equal(code, 0, s.stderr());
    assert.ok(s.logs.some((l) => l.msg === 'stopped'));
    assert.equal(s.logs.filter((l) => l.msg === 'request' && l.path === '/' && l.status === 200).length, TEXTS.length);
  } finally {
    kill(s.child);
  }
}

describe('tokentag serve as a process', () => {
  // (The timeouts only stop a broken shutdown from hanging the suite; a good one takes seconds.)
  it('SIGTERM: refuses new work, answers every request in flight in full, exits 0', { timeout: 120_000 }, () => shutdownWithRequestsInFlight('SIGTERM', {}));

  it('SIGINT (Ctrl-C): the same', { timeout: 120_000 }, () => shutdownWithRequestsInFlight('SIGINT', {}));

  it('a bad model directory or command line is a clear error, not a running server', async () => {
    const missing = await runCli('serve', '--model', path.join(root, 'nope'), '--port', '0');
    assert.equal(missing.code, 1);
    assert.match(missing.err, /no such model directory/);
    assert.doesNotMatch(missing.err, /\n\s+at /); // no stack trace
    assert.equal((await runCli('serve')).code, 2);
    const cors = await runCli('serve', '--model', dir, '--cors', 'example.com');
    assert.equal(cors.code, 2);
    assert.match(cors.err, /--cors expects an origin such as https:\/\/example.com/);
    assert.match((await runCli('serve', '--model', dir, '--aggregation', 'sum')).err, /--aggregation: aggregation strategy must be one of/);
    assert.match((await runCli('serve', '--model', dir, '--port', '70000')).err, /--port must be from 0 to 65535/);
    const help = await runCli('serve', '--help');
    assert.match(help.out, /POST \/, POST \/models\/NAME/);
  });
});
