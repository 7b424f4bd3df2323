#!/usr/bin/env node
// The CLI runs the TypeScript sources directly through tsx, so a fresh clone needs no build step.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// onnxruntime-node copies every output of a run into a fresh ArrayBuffer, and glibc serves and
// returns large blocks with mmap/munmap, so a training step would pay page faults on about three
// times the model's size. Keeping freed memory in the heap makes those copies cheap
// (docs/engine.md, "Memory"). The variables only take effect at process start, hence the re-exec.
const tuned = process.platform !== 'linux' || process.env.MALLOC_MMAP_MAX_ !== undefined || process.env.TOKENTAG_NO_MALLOC_TUNING;
if (!tuned) {
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
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import('../src/cli/main.ts');
  process.exitCode = await main(process.argv.slice(2));
}
