/**
 * Python's Hub cache, read and written exactly as `huggingface_hub` does (checked against
 * huggingface_hub 1.33 with `scripts/hub-python-layout.ts`):
 *
 *   $HF_HUB_CACHE/
 *     CACHEDIR.TAG                                   the cache-directory tag (written once)
 *     .locks/models--org--name/<etag>.lock           Python's flock files (tokentag's lock folders and
 *                                                    `.tokentag-verified` stamps sit beside them)
 *     models--org--name/                             datasets--org--name/ for datasets; a legacy id: models--bert-base-cased
 *       blobs/<etag>                                 the bytes; etag = sha256 for LFS files, the git blob sha1 otherwise
 *       refs/main                                    the commit hash of a branch or tag, 40 characters, no newline
 *       refs/refs/convert/parquet                    (a ref with slashes nests)
 *       snapshots/<commit>/<path>                    relative symlinks into blobs: ../../blobs/<etag>, one more ../ per folder
 *       .no_exist/<commit>/<path>                    empty files: Python's record that a file is not in that commit
 *
 * The folder name comes from the official client (`getRepoFolderName`). Its `createSymlink` is not
 * exported, so `linkSnapshotFile` does what it and Python's `_create_symlink` do: a relative link,
 * or a copy where links are not allowed (Windows without developer mode).
 */
import * as fs from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { getRepoFolderName } from '@huggingface/hub';
import { writeFileAtomic } from '../io/atomic.ts';
import { COMMIT_HASH, type RepoRef } from './repo-id.ts';

/** Python's CACHEDIR.TAG, byte for byte. */
export const CACHEDIR_TAG =
  'Signature: 8a477f597d28d172789f06886806bc55\n' +
  '# This file is a cache directory tag created by huggingface_hub.\n' +
  '# For information about cache directory tags, see:\n' +
  '#\thttps://bford.info/cachedir/\n';

export function repoFolderName(ref: Pick<RepoRef, 'type' | 'id'>): string {
  return getRepoFolderName({ type: ref.type, name: ref.id });
}

export function repoFolder(cacheDir: string, ref: Pick<RepoRef, 'type' | 'id'>): string {
  return join(cacheDir, repoFolderName(ref));
}

/** The commit a revision points to in the cache: itself for a commit hash, else `refs/<revision>`. */
export function readRef(folder: string, revision: string): string | undefined {
  if (COMMIT_HASH.test(revision)) return revision;
  try {
    const commit = fs.readFileSync(join(folder, 'refs', revision), 'utf8').trim();
    return COMMIT_HASH.test(commit) ? commit : undefined;
  } catch {
    return undefined;
  }
}

/** Records `refs/<revision>` = commit (atomically, only when it changed; nothing for a commit hash). */
export function writeRef(folder: string, revision: string, commit: string): void {
  if (revision === commit) return;
  const path = join(folder, 'refs', revision);
  if (readRef(folder, revision) === commit) return;
  fs.mkdirSync(dirname(path), { recursive: true });
  writeFileAtomic(path, commit);
}

export function snapshotDir(folder: string, commit: string): string {
  return join(folder, 'snapshots', commit);
}

export function blobPath(folder: string, etag: string): string {
  return join(folder, 'blobs', etag);
}

export function writeCachedirTag(cacheDir: string): void {
  const tag = join(cacheDir, 'CACHEDIR.TAG');
  if (fs.existsSync(tag)) return;
  try {
    fs.mkdirSync(cacheDir, { recursive: true });
    fs.writeFileSync(tag, CACHEDIR_TAG);
  } catch {
    // best effort, as Python
  }
}

/** Points `snapshots/<commit>/<file>` at `blobs/<etag>` (a relative symlink, or a copy where links are not allowed). */
export function linkSnapshotFile(folder: string, commit: string, file: string, etag: string): string {
  const pointer = join(snapshotDir(folder, commit), ...file.split('/'));
  const blob = blobPath(folder, etag);
  fs.mkdirSync(dirname(pointer), { recursive: true });
  try {
    if (fs.realpathSync(pointer) === fs.realpathSync(blob)) return pointer;
  } catch {
    // no pointer yet
  }
  fs.rmSync(pointer, { force: true });
  try {
    fs.symlinkSync(relative(dirname(pointer), blob), pointer);
  } catch (e) {
    // Another process linked it meanwhile: fine if it points at the same blob.
    if ((e as NodeJS.ErrnoException).code === 'EEXIST' && fs.realpathSync(pointer) === fs.realpathSync(blob)) return pointer;
    fs.copyFileSync(blob, pointer);
  }
  return pointer;
}

/** Files of a snapshot that resolve to a readable file, as `/`-separated paths relative to it. */
export function listSnapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (isFile(p)) out.push(relative(dir, p).split(sep).join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

/** A regular file, following symlinks (a dangling snapshot link is not one). */
export function isFile(path: string): boolean {
  try {
    return fs.statSync(path).isFile();
  } catch {
    return false;
  }
}
