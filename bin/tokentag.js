#!/usr/bin/env node
// The `tokentag` command: runs the compiled CLI in dist/ (`npm run build`; `prepare` builds it on
// `npm ci` in a checkout, and the published package ships it).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
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
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, MALLOC_MMAP_MAX_: '0', MALLOC_TRIM_THRESHOLD_: String(2 ** 36) },
  });
  // The terminal sends Ctrl-C to the whole process group: the child gets it and decides what it
  // means; the parent only waits. Signals sent to the parent alone are passed on.
  process.on('SIGINT', () => {});
  for (const sig of ['SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
} else {
  const { main } = await import(dist.href);
  process.exitCode = await main(process.argv.slice(2));
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
