/**
 * The bad-input and fault matrix's bookkeeping and runners (test/reliability/matrix.test.ts).
 *
 * Every case ends in one of two outcomes a user can rely on — a clear error (non-zero exit, a
 * message naming the file / line / flag and what was expected, no stack trace, nothing
 * half-written) or a correct result — and the tally counts what was observed, so the summary
 * line the matrix prints is measured, not asserted: a stack trace, a silent wrong result or
 * lost data is counted as such, and fails its case.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { main } from '../../src/cli/main.ts';

export const ROOT = path.join(import.meta.dirname, '..', '..');

export const tally = { cases: 0, clearErrors: 0, correctResults: 0, stackTraces: 0, silentWrong: 0, lostData: 0 };

export function summary(): string {
  const t = tally;
  return (
    `reliability matrix: ${t.cases} cases — ${t.clearErrors} clear errors, ${t.correctResults} correct results; ` +
    `${t.stackTraces} stack traces, ${t.silentWrong} silent wrong results, ${t.lostData} lost or half-written outputs`
  );
}

export interface CliRun {
  /** The exit code; null when the command threw (in-process) or died of a signal. */
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
  readonly signal?: NodeJS.Signals | null;
  /** What escaped the CLI's error handling (in-process runs). */
  readonly crash?: unknown;
}

/** `tokentag <argv>` in this process, through the dispatcher (the fastest way to run a case). */
export async function cli(...argv: string[]): Promise<CliRun> {
  let out = '';
  let err = '';
  try {
    const code = await main(argv, { out: (t) => void (out += t), err: (t) => void (err += t) });
    return { code, out, err };
  } catch (crash) {
    return { code: null, out, err: err + String((crash as Error)?.stack ?? crash), crash };
  }
}

const ENTRY = path.join(ROOT, 'test', 'reliability', 'fixtures', 'cli.ts');

/** `tokentag <argv>` in a child process running the sources (for what needs a process of its own). */
export function cliProcess(argv: string[], opts: { input?: string; stdoutTo?: 'pipe' | 'closed'; uid?: number; killAfterMs?: number } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const ids = opts.uid !== undefined ? { uid: opts.uid, gid: opts.uid } : {};
    const p = spawn(process.execPath, ['--import', 'tsx', ENTRY, ...argv], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], ...ids });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => {
      out += d;
      if (opts.stdoutTo === 'closed') p.stdout.destroy(); // the reader goes away, as `| head -c 1` does
    });
    p.stderr.on('data', (d) => (err += d));
    // A hang (a loop deaf to signals) is killed and counted as a crash.
    const timer = setTimeout(() => p.kill('SIGKILL'), opts.killAfterMs ?? 120_000);
    p.on('error', reject);
    p.on('exit', (code, signal) => {
      clearTimeout(timer);
      setImmediate(() => resolve({ code, out, err, signal }));
    });
    p.stdin.on('error', () => {});
    p.stdin.end(opts.input ?? '');
  });
}

const STACK = /\n\s+at .+(:\d+:\d+\)?|\(native\))$/m;

export interface ErrorExpectation {
  /** The exit code (default: any non-zero). */
  readonly code?: number;
  /** What the message must say: the file, line or flag, and what was expected. */
  readonly mentions: readonly (string | RegExp)[];
  /** Paths whose contents must be exactly as before the command (nothing half-written). */
  readonly intact?: Snapshot;
}

/** The case ended in a clear error (counted); throws, counting what went wrong, otherwise. */
export function expectClearError(r: CliRun, e: ErrorExpectation): void {
  tally.cases++;
  if (r.crash !== undefined || STACK.test(r.err) || r.signal) {
    tally.stackTraces++;
    assert.fail(`a stack trace or crash instead of a clear error:\n${r.err}`);
  }
  if (r.code === 0) {
    tally.silentWrong++;
    assert.fail(`exit 0 where an error was expected:\n${r.out}\n${r.err}`);
  }
  if (e.intact) checkIntact(e.intact);
  if (e.code !== undefined) assert.equal(r.code, e.code, r.err);
  else assert.notEqual(r.code, null, r.err);
  for (const m of e.mentions) {
    if (typeof m === 'string') assert.ok(r.err.includes(m), `the message should mention ${JSON.stringify(m)}:\n${r.err}`);
    else assert.match(r.err, m);
  }
  assert.ok(r.err.length < 4000, `the message is ${r.err.length} characters long`);
  tally.clearErrors++;
}

/** The case ended in a correct result (counted); `ok` false counts a silent wrong result. */
export function expectCorrect(ok: boolean, what: string, intact?: Snapshot): void {
  tally.cases++;
  if (intact) checkIntact(intact);
  if (!ok) {
    tally.silentWrong++;
    assert.fail(`a wrong result: ${what}`);
  }
  tally.correctResults++;
}

/** The files under some paths, by relative name, with a hash of their bytes. */
export type Snapshot = { readonly paths: readonly string[]; readonly files: ReadonlyMap<string, string> };

export function snapshot(...paths: string[]): Snapshot {
  const files = new Map<string, string>();
  const visit = (p: string) => {
    const st = fs.lstatSync(p, { throwIfNoEntry: false });
    if (!st) return;
    if (st.isDirectory()) for (const n of fs.readdirSync(p)) visit(path.join(p, n));
    else files.set(p, st.isFile() ? createHash('sha256').update(fs.readFileSync(p)).digest('hex') : `(${st.mode})`);
  };
  for (const p of paths) visit(p);
  return { paths, files };
}

/** Everything under the snapshot's paths is as it was: nothing changed, nothing added, nothing lost. */
export function checkIntact(before: Snapshot): void {
  const now = snapshot(...before.paths);
  const diff = [...new Set([...before.files.keys(), ...now.files.keys()])].filter((f) => before.files.get(f) !== now.files.get(f));
  if (diff.length) {
    tally.lostData++;
    assert.fail(`half-written or lost: ${diff.join(', ')}`);
  }
}

// ---- processes ------------------------------------------------------------------------------

/** The pids whose parent is `pid` (Linux /proc). */
export function childrenOf(pid: number): number[] {
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

export const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

export async function waitUntil(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return cond();
}

export interface Launched {
  readonly p: ChildProcess;
  /** Resolves when the output matches (rejects if the process exits first). */
  waitFor(re: RegExp): Promise<void>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/**
 * A scratch package holding the real `bin/tokentag.js` and a `dist/cli/main.js` that re-exports
 * the sources: the launcher is tested byte for byte, without a build. Returns the launcher's path.
 */
export function scratchPackage(dir: string): string {
  fs.mkdirSync(path.join(dir, 'bin'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'dist', 'cli'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
  fs.copyFileSync(path.join(ROOT, 'bin', 'tokentag.js'), path.join(dir, 'bin', 'tokentag.js'));
  fs.writeFileSync(path.join(dir, 'dist', 'cli', 'main.js'), `export { main } from ${JSON.stringify(path.join(ROOT, 'src', 'cli', 'main.ts'))};\n`);
  return path.join(dir, 'bin', 'tokentag.js');
}

const launchedPids: number[] = [];

/** Starts the launcher with `argv`, in its own process group (as a shell runs a job). */
export function launch(launcher: string, argv: string[]): Launched {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MALLOC_') && k !== 'TOKENTAG_NO_MALLOC_TUNING'));
  const p = spawn(process.execPath, ['--import', 'tsx', launcher, ...argv], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  launchedPids.push(p.pid!);
  let stdout = '';
  let stderr = '';
  const waiters: [RegExp, () => void][] = [];
  const check = () => {
    for (const w of [...waiters]) {
      if (w[0].test(stdout + stderr)) {
        waiters.splice(waiters.indexOf(w), 1);
        w[1]();
      }
    }
  };
  p.stdout!.on('data', (d) => ((stdout += d), check()));
  p.stderr!.on('data', (d) => ((stderr += d), check()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    p.on('exit', (code, signal) => setImmediate(() => resolve({ code, signal, stdout, stderr }))),
  );
  return {
    p,
    waitFor: (re) =>
      new Promise<void>((resolve, reject) => {
        waiters.push([re, resolve]);
        check();
        void exited.then((e) => reject(new Error(`exited (${e.code ?? e.signal}) before ${re}:\n${e.stdout}\n${e.stderr}`)));
      }),
    exited,
  };
}

/** Kills whatever a launched process left running (a launcher that ignored its signal must not outlive the test). */
export function killLaunched(): void {
  for (const pid of launchedPids) {
    for (const c of childrenOf(pid)) if (alive(c)) process.kill(c, 'SIGKILL');
    if (alive(pid)) process.kill(-pid, 'SIGKILL');
  }
}
