/**
 * Durable, all-or-nothing file writes. A checkpoint or model that is half written is worse than
 * none, so every writer goes through here: the bytes go to a temporary file in the same
 * directory, which is fsynced and renamed over the target (rename is atomic within a file
 * system), and then the directory is fsynced so that the rename itself survives a crash.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export type Chunk = Uint8Array | string;

/** Writes every byte of `chunk` (large buffers in pieces: `writeSync` may write less than asked). */
function writeAll(fd: number, chunk: Chunk): void {
  const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
  let done = 0;
  while (done < bytes.length) done += fs.writeSync(fd, bytes, done, Math.min(bytes.length - done, 1 << 30));
}

/** Fsyncs a directory so that renames into it are durable; best effort (not every platform can). */
export function fsyncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    /* best effort */
  }
}

/** Creates `file` (it must not exist), writes the chunks and fsyncs it. For files built inside a temporary directory. */
export function writeFileSynced(file: string, chunks: Iterable<Chunk> | Chunk): void {
  const fd = fs.openSync(file, 'wx', 0o644);
  try {
    for (const c of typeof chunks === 'string' || chunks instanceof Uint8Array ? [chunks] : chunks) writeAll(fd, c);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Replaces `file` with the chunks, atomically: on any error (including one thrown while the
 * chunks are produced) the temporary file is removed, an existing `file` is left untouched,
 * and the error is rethrown.
 */
export function writeFileAtomic(file: string, chunks: Iterable<Chunk> | Chunk): void {
  writeFilesAtomic([{ file, chunks }]);
}

/**
 * A file written piece by piece and put in place whole: the pieces go to a temporary file beside
 * `file`; `commit()` fsyncs it and renames it over `file`, `abort()` removes it (and `file` is
 * left as it was). For output that is produced as it streams (e.g. `predict --html`).
 */
export class AtomicFileWriter {
  private readonly tmp: string;
  private fd: number | undefined;

  constructor(readonly file: string) {
    const dir = path.dirname(path.resolve(file));
    this.tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    this.fd = fs.openSync(this.tmp, 'wx', 0o644);
  }

  write(chunk: Chunk): void {
    if (this.fd === undefined) throw new Error(`${this.file}: already committed or aborted`);
    writeAll(this.fd, chunk);
  }

  /** Fsyncs and closes the temporary file; `rename()` then puts it in place. */
  finish(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }

  rename(): void {
    fs.renameSync(this.tmp, this.file);
  }

  commit(): void {
    try {
      this.finish();
      this.rename();
    } catch (e) {
      this.abort();
      throw e;
    }
    fsyncDir(path.dirname(path.resolve(this.file)));
  }

  abort(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
    fs.rmSync(this.tmp, { force: true });
  }
}

/**
 * Replaces several files together: every one is written to a temporary file first, and only
 * then are they renamed, in the order given (put a file that refers to another last, e.g. an
 * ONNX model after its external data). On an error before the renames nothing is replaced.
 */
export function writeFilesAtomic(files: readonly { file: string; chunks: Iterable<Chunk> | Chunk }[]): void {
  const writers: AtomicFileWriter[] = [];
  try {
    for (const f of files) {
      const w = new AtomicFileWriter(f.file);
      writers.push(w);
      for (const c of typeof f.chunks === 'string' || f.chunks instanceof Uint8Array ? [f.chunks] : f.chunks) w.write(c);
      w.finish();
    }
    for (const w of writers) w.rename();
  } catch (e) {
    for (const w of writers) w.abort();
    throw e;
  }
  for (const dir of new Set(files.map((f) => path.dirname(path.resolve(f.file))))) fsyncDir(dir);
}
