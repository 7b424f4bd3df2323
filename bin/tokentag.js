#!/usr/bin/env node
// The `tokentag` command: runs the compiled CLI in dist/ (`npm run build`; `prepare` builds it on
// `npm ci` in a checkout, and the published package ships it).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

const dist = new URL('../dist/cli/main.js', import.meta.url);
const src = new URL('../src/', import.meta.url);
if (!existsSync(dist)) {
  process.stderr.write(`tokentag: ${fileURLToPath(dist)} is missing; build the package first with \`npm run build\`\n`);
  process.exit(1);
}
warnIfStale();

// onnxruntime-node copies every output of a run into a fresh ArrayBuffer, and glibc serves and
// returns large blocks with mmap/munmap, so a training step would pay page faults on about three
// times the model's size. Keeping freed memory in the heap makes those copies cheap
// (docs/engine.md, "Memory"). The variables only take effect at process start, hence the re-exec,
// which only `train` pays for: every other command starts at once.
const tuned = process.platform !== 'linux' || process.env.MALLOC_MMAP_MAX_ !== undefined || process.env.TOKENTAG_NO_MALLOC_TUNING;
if (!tuned && process.argv[2] === 'train') {
  launch();
} else {
  if (process.env.TOKENTAG_LAUNCHER && process.channel) listenToLauncher();
  const { main } = await import(dist.href);
  process.exitCode = await main(process.argv.slice(2));
}

/**
 * In the child: signals the launcher passes on become 'tokentag:signal' events, and the
 * launcher's end a 'tokentag:launcher-exit' event, which the CLI's interrupt handling
 * (src/cli/interrupt.ts) takes while it trains. Before it listens (while starting up, loading
 * data), they end the process at once, as the signal itself would. The channel does not keep
 * the process alive.
 */
function listenToLauncher() {
  process.on('message', (m) => {
    if (m && m.tokentag === 'signal' && !process.emit('tokentag:signal', m.signal)) process.exit(128 + (constants.signals[m.signal] ?? 0));
  });
  process.on('disconnect', () => {
    if (!process.emit('tokentag:launcher-exit')) process.exit(128 + constants.signals.SIGHUP);
  });
  process.channel.unref();
}

/**
 * Runs `train` in a child process with the malloc variables set, as if it were this process
 * (docs/reliability.md, "Signals"):
 * - SIGINT, SIGTERM and SIGHUP sent to this process are passed on over an IPC channel (not as
 *   signals: a Ctrl-C in a terminal reaches the child directly too, and the child counts one
 *   event however many ways it arrives);
 * - this process exits with the child's code, or 128 + n when a signal n killed it, with a line
 *   saying which;
 * - if this process dies (SIGKILL), the channel closes and the child stops as on SIGTERM
 *   (finishes its step, saves a checkpoint, exits): it never runs on as an orphan.
 */
function launch() {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, MALLOC_MMAP_MAX_: '0', MALLOC_TRIM_THRESHOLD_: String(2 ** 36), TOKENTAG_LAUNCHER: '1' },
  });
  const relay = (signal) => {
    if (child.connected) child.send({ tokentag: 'signal', signal }, () => {});
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, relay);
  child.on('error', (e) => {
    process.stderr.write(`tokentag: cannot start the training process: ${e.message}\n`);
    process.exitCode = 1;
  });
  child.on('exit', (code, signal) => {
    if (signal) {
      // A stop request the child had no time to handle (while it started up) ends it quietly; anything else is news.
      if (!['SIGINT', 'SIGTERM', 'SIGHUP'].includes(signal)) process.stderr.write(`tokentag: the training process was killed by ${signal}\n`);
      process.exitCode = 128 + (constants.signals[signal] ?? 0);
    } else {
      process.exitCode = code ?? 1;
    }
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.off(sig, relay);
  });
}

/** In a checkout (src/ beside dist/), says so when a source file is newer than the build. */
function warnIfStale() {
  if (!existsSync(src)) return;
  const built = statSync(dist).mtimeMs;
  for (const e of readdirSync(src, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const file = `${e.parentPath ?? e.path}/${e.name}`;
    if (statSync(file).mtimeMs > built) {
      process.stderr.write(`tokentag: warning: ${file} is newer than the build in dist/; run \`npm run build\` to use your changes\n`);
      return;
    }
  }
}
