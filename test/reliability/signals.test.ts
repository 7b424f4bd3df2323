// Item 3 of issue 16: signals to the process a user launches (`bin/tokentag.js`, which runs
// `train` in a child process) behave as documented: SIGINT, SIGTERM and SIGHUP finish the step,
// save a checkpoint and exit 130 / 143 / 129; SIGKILL to the launcher leaves no orphan (the child
// saves and exits); SIGKILL to the trainer makes the launcher say so and exit 137.
//
// The launcher under test is the real bin/tokentag.js, copied into a scratch package whose
// dist/cli/main.js re-exports the TypeScript sources (run through tsx), so no build is needed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeSyntheticConll } from '../../src/data/synthetic.ts';
import { exitCodeFor, watchStopRequests } from '../../src/cli/interrupt.ts';
import { isCompleteCheckpoint, latestCheckpoint } from '../../src/train/checkpoint.ts';

const ROOT = path.join(import.meta.dirname, '..', '..');
const linux = process.platform === 'linux';
let root = '';
let launcher = '';
let data = '';

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tokentag-signals-'));
  fs.mkdirSync(path.join(root, 'pkg', 'bin'), { recursive: true });
  fs.mkdirSync(path.join(root, 'pkg', 'dist', 'cli'), { recursive: true });
  fs.writeFileSync(path.join(root, 'pkg', 'package.json'), '{ "type": "module" }\n');
  launcher = path.join(root, 'pkg', 'bin', 'tokentag.js');
  fs.copyFileSync(path.join(ROOT, 'bin', 'tokentag.js'), launcher);
  fs.writeFileSync(path.join(root, 'pkg', 'dist', 'cli', 'main.js'), `export { main } from ${JSON.stringify(path.join(ROOT, 'src', 'cli', 'main.ts'))};\n`);
  data = path.join(root, 'data');
  await writeSyntheticConll(data, { train: 300, validation: 0, test: 0 });
});
const launched: number[] = [];
after(() => {
  // A launcher that ignored its signal (the bug this guards against) must not outlive the test.
  for (const pid of launched) {
    for (const c of childrenOf(pid)) if (alive(c)) process.kill(c, 'SIGKILL');
    if (alive(pid)) process.kill(-pid, 'SIGKILL');
  }
  fs.rmSync(root, { recursive: true, force: true });
});

interface Launched {
  readonly p: ChildProcess;
  readonly out: string;
  /** Resolves when the output matches. */
  waitFor(re: RegExp): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** Starts `tokentag train` through the launcher, in its own process group (as a shell job is). */
function launch(outputDir: string, extra: string[] = []): Launched {
  const args = ['train', '--model', 'bert-tiny', '--vocab-size', '120', '--batch-size', '4', '--epochs', '20', '--logging-steps', '5', '--dataset', data, '--output-dir', outputDir, ...extra];
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MALLOC_') && k !== 'TOKENTAG_NO_MALLOC_TUNING'));
  const p = spawn(process.execPath, ['--import', 'tsx', launcher, ...args], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  launched.push(p.pid!);
  let stdout = '';
  let stderr = '';
  const waiters: [RegExp, () => void][] = [];
  const check = () => {
    for (const w of [...waiters]) if (w[0].test(stdout + stderr)) (waiters.splice(waiters.indexOf(w), 1), w[1]());
  };
  p.stdout!.on('data', (d) => ((stdout += d), check()));
  p.stderr!.on('data', (d) => ((stderr += d), check()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    p.on('exit', (code, signal) => setImmediate(() => resolve({ code, signal, stdout, stderr }))),
  );
  return {
    p,
    get out() {
      return stdout + stderr;
    },
    waitFor: (re) =>
      new Promise<void>((resolve, reject) => {
        waiters.push([re, resolve]);
        check();
        exited.then((e) => reject(new Error(`exited (${e.code ?? e.signal}) before ${re}:\n${e.stdout}\n${e.stderr}`)));
      }),
    exited,
  };
}

/** The pids whose parent is `pid` (Linux /proc). */
function childrenOf(pid: number): number[] {
  return fs
    .readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .filter((n) => {
      try {
        return Number(fs.readFileSync(`/proc/${n}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function waitUntil(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return cond();
}

const TRAINING = /\{'loss': /;

async function stopsWithCheckpoint(name: string, send: (l: Launched) => void, code: number, message: RegExp) {
  const out = path.join(root, name);
  const l = launch(out);
  await l.waitFor(TRAINING);
  send(l);
  const e = await l.exited;
  assert.equal(e.code, code, e.stderr);
  assert.match(e.stderr, message);
  assert.doesNotMatch(e.stderr, /Quitting without a checkpoint|\n\s+at /);
  const saved = /checkpoint saved in (\S+)\./.exec(e.stderr)?.[1];
  assert.ok(saved && isCompleteCheckpoint(saved), `a complete checkpoint: ${saved}`);
  assert.equal(latestCheckpoint(out), saved);
  assert.match(e.stderr, /Resume with: tokentag train .*--resume-from-checkpoint/);
}

describe('signals to the launched tokentag train', { skip: linux ? false : 'the launcher re-executes train only on Linux', concurrency: 3, timeout: 120_000 }, () => {
  it('SIGINT to the launcher: step finished, checkpoint saved, exit 130', () =>
    stopsWithCheckpoint('int', (l) => process.kill(l.p.pid!, 'SIGINT'), 130, /Interrupted: finishing the current step/));

  it('Ctrl-C in a terminal (SIGINT to the process group, so the trainer gets it twice): one stop, exit 130', () =>
    stopsWithCheckpoint('group-int', (l) => process.kill(-l.p.pid!, 'SIGINT'), 130, /Interrupted: finishing the current step/));

  it('SIGTERM to the launcher: saved, exit 143', () =>
    stopsWithCheckpoint('term', (l) => process.kill(l.p.pid!, 'SIGTERM'), 143, /Terminated \(SIGTERM\): finishing the current step/));

  it('SIGHUP to the launcher: saved, exit 129', () =>
    stopsWithCheckpoint('hup', (l) => process.kill(l.p.pid!, 'SIGHUP'), 129, /Hung up \(SIGHUP\): finishing the current step/));

  it('SIGTERM to the trainer itself: saved, exit 143', () =>
    stopsWithCheckpoint('term-child', (l) => process.kill(childrenOf(l.p.pid!)[0]!, 'SIGTERM'), 143, /Terminated \(SIGTERM\)/));

  it('SIGKILL to the launcher: no orphan — the trainer saves a checkpoint and exits', async () => {
    const out = path.join(root, 'kill-parent');
    const l = launch(out);
    await l.waitFor(TRAINING);
    const [child] = childrenOf(l.p.pid!);
    assert.ok(child, 'the launcher runs train in a child process');
    process.kill(l.p.pid!, 'SIGKILL');
    await l.exited;
    assert.ok(await waitUntil(() => !alive(child!), 60_000), 'the trainer exits when its launcher dies');
    const saved = latestCheckpoint(out);
    assert.ok(saved && isCompleteCheckpoint(saved), 'and leaves a complete checkpoint');
  });

  it('SIGKILL to the trainer: the launcher says so and exits 137', async () => {
    const l = launch(path.join(root, 'kill-child'));
    await l.waitFor(TRAINING);
    process.kill(childrenOf(l.p.pid!)[0]!, 'SIGKILL');
    const e = await l.exited;
    assert.equal(e.code, 137);
    assert.match(e.stderr, /tokentag: the training process was killed by SIGKILL/);
  });

  it('SIGTERM before training begins: exit 143 at once, nothing written', async () => {
    const out = path.join(root, 'early');
    const l = launch(out);
    await l.waitFor(/dataset: /);
    process.kill(l.p.pid!, 'SIGTERM');
    const e = await l.exited;
    assert.equal(e.code, 143, e.stderr);
    assert.ok(!fs.existsSync(out) || fs.readdirSync(out).length === 0, 'nothing written');
  });
});

describe('stop requests counted once per event', () => {
  it('a signal that arrives directly and relayed by the launcher is one event; a second Ctrl-C quits', () => {
    const stops: string[] = [];
    const exits: number[] = [];
    const w = watchStopRequests({ onStop: (c) => stops.push(c), onQuit: () => stops.push('quit'), exit: (c) => exits.push(c) });
    try {
      process.emit('SIGINT', 'SIGINT');
      process.emit('tokentag:signal' as 'SIGINT', 'SIGINT' as 'SIGINT');
      assert.deepEqual(stops, ['SIGINT']);
      assert.equal(w.signal.aborted, true);
      assert.deepEqual(exits, []);
      process.emit('tokentag:signal' as 'SIGINT', 'SIGINT' as 'SIGINT');
      process.emit('SIGTERM', 'SIGTERM');
      assert.deepEqual(stops, ['SIGINT', 'quit']);
      assert.deepEqual(exits, [130]);
    } finally {
      w.dispose();
    }
    assert.equal(exitCodeFor('SIGTERM'), 143);
    assert.equal(exitCodeFor('launcher-exit'), 129);
  });
});
