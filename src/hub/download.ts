/**
 * Downloading one blob into Python's cache. The official client's `downloadFileToCacheDir` cannot
 * be used for this: it names the snapshot after the file's last commit instead of the revision's
 * commit, writes no `refs/`, restarts an interrupted download from zero, checks neither size nor
 * hash, takes no lock, and prints to stdout. So this is written here:
 *
 * - one process at a time per blob: a lock directory
 *   `.locks/<repo folder>/<etag>.tokentag.lock` (proper-lockfile: kept fresh while held, taken
 *   over when its holder died); the others wait and then find the blob there;
 * - bytes go to `blobs/<etag>.incomplete`; an interrupted download leaves it, and the next attempt
 *   continues with `Range: bytes=<have>-` (a server answering 200 instead of 206 restarts it);
 * - the finished file must have the expected size and hash to its etag (see verify.ts) before it
 *   is renamed to `blobs/<etag>`: a blob in the cache is always whole and right, whatever happened
 *   to the lock.
 */
import * as fs from 'node:fs';
import { dirname, join } from 'node:path';
import lockfile from 'proper-lockfile';
import { HubError } from '../errors.ts';
import { apiError } from './http.ts';
import { etagHash, hashFile, markVerified, startHash } from './verify.ts';

export interface RemoteFile {
  /** The path in the repository. */
  readonly path: string;
  readonly size: number;
  /** sha256 (LFS) or git blob sha1: the blob's name. */
  readonly etag: string;
}

export interface BlobTarget {
  readonly cacheDir: string;
  /** `models--org--name`. */
  readonly folderName: string;
  /** Where the bytes are: `{endpoint}/{repo}/resolve/{commit}/{path}`. */
  readonly url: string;
  readonly fetch: typeof fetch;
  /** Called with the bytes of this file on disk so far as they land (a resumed download starts above 0). */
  readonly onBytes?: (bytes: number) => void;
  /** Automatic resumptions after a dropped connection within this call (default 2). */
  readonly retries?: number;
  /** Called once if another process holds the blob's lock. */
  readonly onWait?: () => void;
}

const LOCK_STALE_MS = 20_000;

function blobFile(t: BlobTarget, etag: string): string {
  return join(t.cacheDir, t.folderName, 'blobs', etag);
}

/** Waits for the blob's lock; returns its release. */
async function acquire(t: BlobTarget, blob: string, etag: string): Promise<() => Promise<void>> {
  const lockDir = join(t.cacheDir, '.locks', t.folderName);
  fs.mkdirSync(lockDir, { recursive: true });
  const opts = { realpath: false, lockfilePath: join(lockDir, `${etag}.tokentag.lock`), stale: LOCK_STALE_MS, update: LOCK_STALE_MS / 4, onCompromised: () => {} };
  let waited = false;
  for (;;) {
    try {
      return await lockfile.lock(blob, opts);
    } catch (e) {
      if ((e as { code?: string }).code !== 'ELOCKED') throw e;
      if (!waited) t.onWait?.();
      waited = true;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** Ensures `blobs/<etag>` holds the file, downloading (or resuming) it if needed. Returns its path. */
export async function ensureBlob(t: BlobTarget, file: RemoteFile): Promise<string> {
  const blob = blobFile(t, file.etag);
  fs.mkdirSync(dirname(blob), { recursive: true });
  const release = await acquire(t, blob, file.etag);
  try {
    if (fs.existsSync(blob) && fs.statSync(blob).size === file.size) return blob;
    const attempts = 1 + (t.retries ?? 2);
    for (let attempt = 1; ; attempt++) {
      try {
        await downloadTo(t, file, `${blob}.incomplete`);
        break;
      } catch (e) {
        if (!(e instanceof HubError) || e.kind !== 'network' || attempt >= attempts) throw e;
      }
    }
    fs.renameSync(`${blob}.incomplete`, blob);
    markVerified(t.cacheDir, t.folderName, file.etag, blob);
    return blob;
  } finally {
    await release().catch(() => {});
  }
}

/** One attempt: resume `incomplete` from its length, then check size and hash. */
async function downloadTo(t: BlobTarget, file: RemoteFile, incomplete: string): Promise<void> {
  let have = fs.existsSync(incomplete) ? fs.statSync(incomplete).size : 0;
  if (have > file.size) {
    fs.rmSync(incomplete);
    have = 0;
  }
  const expected = etagHash(file.etag);
  let hash = expected && startHash(expected.kind, file.size);
  if (hash && have > 0) await hashFile(hash, incomplete, have);
  t.onBytes?.(have);

  if (have < file.size) {
    const res = await t.fetch(t.url, { headers: have > 0 ? { range: `bytes=${have}-` } : {} });
    if (res.status === 416 || (res.ok && res.status !== 206 && have > 0)) {
      // The server would not continue where we stopped: start over.
      await res.body?.cancel();
      t.onBytes?.(0);
      fs.rmSync(incomplete, { force: true });
      if (res.status === 416) return downloadTo(t, file, incomplete);
      have = 0;
      hash = expected && startHash(expected.kind, file.size);
      return writeBody(t, file, incomplete, await t.fetch(t.url), hash);
    }
    if (!res.ok) throw await apiError(res);
    if (res.status === 206) {
      const start = Number(/bytes (\d+)-/.exec(res.headers.get('content-range') ?? '')?.[1]);
      if (start !== have) {
        await res.body?.cancel();
        throw new HubError('server', `${file.path}: asked for bytes from ${have}, the server sent from ${res.headers.get('content-range')}`);
      }
    }
    await writeBody(t, file, incomplete, res, hash);
  } else {
    checkWhole(file, incomplete, hash);
  }
}

async function writeBody(t: BlobTarget, file: RemoteFile, incomplete: string, res: Response, hash: ReturnType<typeof startHash> | undefined): Promise<void> {
  if (!res.ok) throw await apiError(res);
  const fd = fs.openSync(incomplete, 'a');
  let written = fs.fstatSync(fd).size;
  try {
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        if (written + chunk.length > file.size) throw new HubError('corrupt', `${file.path}: the server sent more than the ${file.size} bytes the Hub announced`);
        fs.writeSync(fd, chunk);
        hash?.update(chunk);
        written += chunk.length;
        t.onBytes?.(written);
      }
    } catch (e) {
      if (e instanceof HubError) throw e;
      throw new HubError('network', `the download of ${file.path} was interrupted at ${written} of ${file.size} bytes (${(e as Error).message}); run the command again to resume it`);
    }
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  if (written < file.size) {
    throw new HubError('network', `the download of ${file.path} stopped at ${written} of ${file.size} bytes; run the command again to resume it`);
  }
  checkWhole(file, incomplete, hash);
}

/** The size and hash must match; a file that does not is deleted (it cannot be resumed into a right one). */
function checkWhole(file: RemoteFile, incomplete: string, hash: ReturnType<typeof startHash> | undefined): void {
  const size = fs.statSync(incomplete).size;
  const got = hash?.digest('hex');
  const want = etagHash(file.etag)?.hex;
  if (size !== file.size || (want !== undefined && got !== want)) {
    fs.rmSync(incomplete, { force: true });
    throw new HubError(
      'corrupt',
      `${file.path}: the downloaded bytes do not match the Hub's ${size !== file.size ? `size (${size} instead of ${file.size})` : `hash (${got} instead of ${want})`}; the partial file was deleted, run the command again`,
    );
  }
}
