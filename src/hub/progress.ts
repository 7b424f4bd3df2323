/**
 * Download progress for the CLI, in the trainer's style (train/progress.ts): on a terminal one
 * bar per repository rewritten in place (bytes, %, elapsed < ETA, MiB/s); elsewhere one line per
 * downloaded file, so logs stay short. Nothing is printed for what comes from the cache.
 */
import { ProgressBar, formatBytes, type ProgressStream } from '../train/progress.ts';
import type { DownloadProgress } from './settings.ts';

export function downloadReporter(stream: ProgressStream): (p: DownloadProgress) => void {
  let bar: ProgressBar | undefined;
  let group = '';
  const done = new Set<string>();
  return (p) => {
    const key = `${p.repo}\0${p.allTotal}`;
    if (stream.isTTY) {
      if (key !== group) {
        bar?.finish();
        group = key;
        bar = new ProgressBar(stream, { unit: 'bytes', label: `downloading ${p.repo}` });
        bar.start(p.allTotal);
      }
      bar!.update(p.allBytes);
      if (p.allBytes >= p.allTotal) {
        bar!.finish();
        bar = undefined;
        group = '';
      }
      return;
    }
    const file = `${p.repo}/${p.file}`;
    if (p.bytes >= p.total && !done.has(file)) {
      done.add(file);
      stream.write(`downloaded ${file} (${formatBytes(p.total)})\n`);
    }
  };
}
