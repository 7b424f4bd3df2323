/**
 * A blob is named by its etag, and the etag is a hash of its bytes: the sha256 for LFS files,
 * the git blob sha1 (`sha1("blob <size>\0" + bytes)`) for the others. So every blob can be
 * checked without asking the Hub.
 *
 * Hashing a large model takes about a second per 500 MB, too slow for every run. A blob that
 * hashed right is remembered in `$HF_HUB_CACHE/.locks/<repo folder>/<etag>.tokentag-verified`
 * with its size and modification time; it is hashed again only when those change (a truncated or
 * rewritten blob). `.locks` is the one folder Python's cache tools skip (`hf cache scan` would
 * report any other unknown folder as a damaged repository).
 */
import { createHash, type Hash } from 'node:crypto';
import * as fs from 'node:fs';
import { dirname, join } from 'node:path';

export type EtagHash = { readonly kind: 'sha256' | 'git-sha1'; readonly hex: string } | undefined;

/** What an etag says about the bytes: their sha256, their git blob sha1, or nothing checkable. */
export function etagHash(etag: string): EtagHash {
  if (/^[0-9a-f]{64}$/.test(etag)) return { kind: 'sha256', hex: etag };
  if (/^[0-9a-f]{40}$/.test(etag)) return { kind: 'git-sha1', hex: etag };
  return undefined;
}

/** A hash ready to take the bytes of a file of `size` bytes (git blobs hash a header first). */
export function startHash(kind: 'sha256' | 'git-sha1', size: number): Hash {
  if (kind === 'sha256') return createHash('sha256');
  return createHash('sha1').update(`blob ${size}\0`);
}

/** Feeds a file's bytes (all, or the first `length`) into `hash`. */
export async function hashFile(hash: Hash, path: string, length?: number): Promise<void> {
  const stream = fs.createReadStream(path, length === undefined ? {} : { start: 0, end: length - 1 });
  for await (const chunk of stream) hash.update(chunk as Buffer);
}

function markerPath(cacheDir: string, folderName: string, etag: string): string {
  return join(cacheDir, '.locks', folderName, `${etag}.tokentag-verified`);
}

const stamp = (s: fs.Stats) => `${s.size} ${Math.round(s.mtimeMs)}`;

/** Remembers that the blob at `path` hashed right (see the module comment). */
export function markVerified(cacheDir: string, folderName: string, etag: string, path: string): void {
  try {
    const marker = markerPath(cacheDir, folderName, etag);
    fs.mkdirSync(dirname(marker), { recursive: true });
    fs.writeFileSync(marker, stamp(fs.statSync(path)));
  } catch {
    // a read-only cache: it will be hashed again next time
  }
}

/**
 * Whether the blob's bytes match its etag (and `size` when known). Hashes only when the blob is
 * not remembered as verified with its current size and time.
 */
export async function blobIsIntact(cacheDir: string, folderName: string, etag: string, path: string, size?: number): Promise<boolean> {
  let st: fs.Stats;
  try {
    st = fs.statSync(path);
  } catch {
    return false;
  }
  if (size !== undefined && st.size !== size) return false;
  const expected = etagHash(etag);
  if (!expected) return true;
  try {
    if (fs.readFileSync(markerPath(cacheDir, folderName, etag), 'utf8') === stamp(st)) return true;
  } catch {
    // not remembered
  }
  const hash = startHash(expected.kind, st.size);
  await hashFile(hash, path);
  if (hash.digest('hex') !== expected.hex) return false;
  markVerified(cacheDir, folderName, etag, path);
  return true;
}
