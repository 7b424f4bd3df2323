/**
 * Checks, before any work, that outputs can be written where they are asked to go: a run that
 * fails at its first save, an epoch later, or a prediction that fails after the model ran, has
 * wasted the user's time. Nothing is created: the check makes (and removes) a probe directory
 * in the directory itself or, when it does not exist yet, in its nearest existing ancestor.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TokentagError } from '../errors.ts';

/** What a file-system error code means, for a message. */
export function describeFsError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err?.code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EDQUOT':
      return 'disk quota exceeded';
    case 'ENOTDIR':
      return 'a part of the path is a file, not a directory';
    case 'EISDIR':
      return 'is a directory';
    case 'EEXIST':
      return 'already exists';
    case 'ENAMETOOLONG':
      return 'the name is too long';
    case 'ELOOP':
      return 'too many symbolic links (a link loop?)';
    case 'EMFILE':
    case 'ENFILE':
      return 'too many open files';
    case 'EIO':
      return 'input/output error';
    default:
      return err?.code ? `${err.code}: ${err.message}` : String((e as Error)?.message ?? e);
  }
}

/**
 * The file system's answer inside an error, also when a writer wrapped it in its own message
 * (`…/model.safetensors: cannot write: ENOSPC: …`): what the disk said is what to tell the user.
 */
export function fsErrorCodeOf(e: unknown): string | undefined {
  for (let err = e, depth = 0; err && depth < 5; err = (err as Error).cause, depth++) {
    const text = `${(err as NodeJS.ErrnoException).code ?? ''} ${(err as Error).message ?? ''}`;
    const code = /\b(ENOSPC|EDQUOT|EROFS|EACCES|EPERM|EIO|EMFILE|ENFILE)\b/.exec(text)?.[1];
    if (code) return code;
  }
  return undefined;
}

/** Why a path that does not exist does not: a broken symbolic link says where it points. */
export function whyMissing(p: string): string {
  try {
    if (fs.lstatSync(p).isSymbolicLink()) return `is a symbolic link to ${fs.readlinkSync(p)}, which does not exist`;
  } catch {
    /* not even a link */
  }
  return 'no such file or directory';
}

/**
 * `mkdir -p`, one component at a time. Node's `mkdirSync(dir, { recursive: true })` never
 * returns under /proc (mkdir there answers ENOENT although the parent exists, and Node retries
 * for ever, deaf to signals): this throws that ENOENT instead.
 */
export function makeDirs(dir: string): void {
  const missing: string[] = [];
  for (let cur = path.resolve(dir); !fs.existsSync(cur); cur = path.dirname(cur)) {
    missing.push(cur);
    if (path.dirname(cur) === cur) break;
  }
  for (const d of missing.reverse()) {
    try {
      fs.mkdirSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  if (!fs.statSync(dir).isDirectory()) throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${dir}'`), { code: 'ENOTDIR', syscall: 'mkdir', path: dir });
}

/** The path itself, or its nearest ancestor that exists. */
function nearestExisting(p: string): string {
  let cur = path.resolve(p);
  while (!fs.existsSync(cur)) {
    const up = path.dirname(cur);
    if (up === cur) break;
    cur = up;
  }
  return cur;
}

/**
 * Throws a TokentagError naming `what` (e.g. `--output-dir runs/x`) unless `dir` is a writable
 * directory or can be created as one.
 */
export function checkWritableDir(dir: string, what: string): void {
  const existing = nearestExisting(dir);
  const stat = fs.statSync(existing, { throwIfNoEntry: false });
  if (!stat) throw new TokentagError(`${what}: cannot be created (no part of the path exists)`);
  if (!stat.isDirectory()) {
    throw new TokentagError(
      existing === path.resolve(dir)
        ? `${what}: is a file, expected a directory (or a path where one can be created)`
        : `${what}: ${existing} is a file, so no directory can be created under it`,
    );
  }
  const probe = path.join(existing, `.tokentag-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    fs.mkdirSync(probe);
    fs.rmdirSync(probe);
  } catch (e) {
    const where = existing === path.resolve(dir) ? '' : ` (in ${existing})`;
    // ENOENT for a name inside an existing directory: a virtual file system such as /proc.
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no files can be created there' : describeFsError(e);
    throw new TokentagError(`${what}: cannot write there${where}: ${why}`);
  }
}

/**
 * Why `file` cannot be read as an input file, or null when it can: missing (a broken link says
 * where it points), a directory, a device or FIFO (reading one would never end), unreadable.
 */
export async function whyUnreadable(file: string): Promise<string | null> {
  const st = fs.statSync(file, { throwIfNoEntry: false });
  if (!st) return whyMissing(file);
  if (st.isDirectory()) return 'is a directory, expected a file';
  if (!st.isFile()) return 'is not a regular file (a device, FIFO or socket)';
  try {
    await fs.promises.access(file, fs.constants.R_OK);
  } catch (e) {
    return `cannot be read: ${describeFsError(e)}`;
  }
  return null;
}

/** Throws a TokentagError naming `what` (e.g. `--input texts.txt`) unless `file` can be read (see whyUnreadable). */
export async function checkReadableFile(file: string, what: string): Promise<void> {
  const why = await whyUnreadable(file);
  if (why) throw new TokentagError(`${what}: ${why}`);
}

/**
 * Throws a TokentagError naming `what` (e.g. `--output pred.jsonl`) unless a file can be
 * written at `file`: not a directory, and its directory writable or creatable.
 */
export function checkWritableFile(file: string, what: string): void {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (stat?.isDirectory()) throw new TokentagError(`${what}: is a directory, expected a file name`);
  const dir = path.dirname(path.resolve(file));
  const dirStat = fs.statSync(dir, { throwIfNoEntry: false });
  if (!dirStat) throw new TokentagError(`${what}: cannot write there: the directory ${dir} does not exist`);
  if (!dirStat.isDirectory()) throw new TokentagError(`${what}: cannot write there: ${dir} is a file, not a directory`);
  checkWritableDir(dir, what);
}
