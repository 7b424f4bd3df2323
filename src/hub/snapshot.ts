/**
 * Some files of one revision of a repository, in Python's cache: found there without a request
 * when they already are, else fetched.
 *
 * What to fetch is decided by a `Chooser` from the list of files a revision has — the Hub's list
 * online, the snapshot folder's offline — so that the same rule ("tokenizer.json, else vocab.txt;
 * model.safetensors, else …") both picks the downloads and decides whether the cache already has
 * all that is needed. A cached revision is used without asking the Hub whether the branch moved
 * (pass `refresh` to ask).
 *
 * From the official client: the repository info (commit and file list: `modelInfo` /
 * `datasetInfo`) and the files' sizes and etags (`pathsInfo`). The download itself is download.ts.
 */
import * as fs from 'node:fs';
import { basename, join } from 'node:path';
import { datasetInfo, listFiles, modelInfo, pathsInfo } from '@huggingface/hub';
import { HubError } from '../errors.ts';
import { blobPath, linkSnapshotFile, listSnapshot, readRef, repoFolder, repoFolderName, snapshotDir, writeCachedirTag, writeRef } from './cache.ts';
import { ensureBlob, type RemoteFile } from './download.ts';
import { hubFetch, toHubError } from './http.ts';
import { describeRef, type RepoRef } from './repo-id.ts';
import type { HubSettings } from './settings.ts';
import { blobIsIntact } from './verify.ts';

/** A file the chooser needs that the listing lacks: the revision does not have what is needed. */
export class MissingFiles extends Error {
  constructor(readonly what: string) {
    super(what);
  }
}

export interface Choice {
  /** Paths in the repository to have in the snapshot. */
  readonly files: readonly string[];
}

/**
 * Picks files from `listing` (every file of the revision, or of its cached snapshot). `read` gives
 * a file's text (fetching it first when online), for choices that depend on a file's content (the
 * shards a sharded index names). Throws `MissingFiles` when the revision cannot provide what is needed.
 */
export type Chooser<C extends Choice> = (listing: ReadonlySet<string>, read: (path: string) => Promise<string>) => Promise<C>;

export interface Snapshot<C extends Choice> {
  readonly ref: RepoRef;
  readonly commit: string;
  /** `snapshots/<commit>`: a directory with the chosen files. */
  readonly dir: string;
  readonly choice: C;
  /** True when everything came from the cache without a request. */
  readonly fromCache: boolean;
}

export interface SnapshotOptions {
  /** Ask the Hub for the revision's current commit even when the cache has what is needed. */
  readonly refresh?: boolean;
  /** For messages: what the repo must provide (e.g. "config.json, a tokenizer and weights"). */
  readonly needs: string;
  /** For messages: what the user typed. */
  readonly spec?: string;
}

/** The blob a snapshot file points to (its etag), or undefined for a copied file. */
function linkedEtag(pointer: string): string | undefined {
  try {
    return basename(fs.readlinkSync(pointer));
  } catch {
    return undefined;
  }
}

/** Tries the cache; returns the snapshot, or why it cannot serve (missing files, damaged blobs). */
async function fromCache<C extends Choice>(ref: RepoRef, settings: HubSettings, choose: Chooser<C>): Promise<{ snapshot?: Snapshot<C>; missing?: string; damaged?: string[] }> {
  const folder = repoFolder(settings.cacheDir, ref);
  const commit = readRef(folder, ref.revision);
  if (!commit) return { missing: `nothing for '${ref.revision}' (no ${join(folder, 'refs', ref.revision)})` };
  const dir = snapshotDir(folder, commit);
  const listing = new Set(listSnapshot(dir));
  let choice: C;
  try {
    choice = await choose(listing, async (p) => fs.readFileSync(join(dir, ...p.split('/')), 'utf8'));
  } catch (e) {
    if (e instanceof MissingFiles) return { missing: `snapshot ${commit.slice(0, 8)}… lacks ${e.message}` };
    throw e;
  }
  const damaged: string[] = [];
  for (const f of choice.files) {
    const pointer = join(dir, ...f.split('/'));
    const etag = linkedEtag(pointer);
    if (etag !== undefined && !(await blobIsIntact(settings.cacheDir, repoFolderName(ref), etag, pointer))) damaged.push(f);
  }
  if (damaged.length > 0) return { damaged };
  return { snapshot: { ref, commit, dir, choice, fromCache: true } };
}

/**
 * The revision's commit and files, from the Hub: a model's info lists its files (their sizes and
 * etags come later, for the chosen ones only); a dataset's tree gives them all at once.
 */
async function remoteListing(ref: RepoRef, settings: HubSettings, fetch: typeof globalThis.fetch): Promise<{ commit: string; listing: Map<string, RemoteFile | undefined> }> {
  const params = { name: ref.id, revision: ref.revision, hubUrl: settings.endpoint, fetch };
  const listing = new Map<string, RemoteFile | undefined>();
  let commit: string | undefined;
  if (ref.type === 'model') {
    const info = await modelInfo({ ...params, additionalFields: ['sha', 'filePaths'] });
    commit = info.sha;
    for (const f of info.filePaths ?? []) listing.set(f, undefined);
  } else {
    commit = (await datasetInfo({ ...params, additionalFields: ['sha'] })).sha;
    if (commit) {
      for await (const f of listFiles({ repo: { type: 'dataset', name: ref.id }, revision: commit, recursive: true, hubUrl: settings.endpoint, fetch })) {
        if (f.type === 'file') listing.set(f.path, remoteFile(f));
      }
    }
  }
  if (typeof commit !== 'string') throw new HubError('server', `${settings.endpoint} did not say which commit ${describeRef(ref)} is at`);
  return { commit, listing };
}

/** Size and etag (Python's: the LFS sha256, else the git blob id) of a tree or paths-info entry. */
function remoteFile(p: { path: string; size: number; oid?: string; lfs?: { oid: string; size: number } }): RemoteFile | undefined {
  const etag = p.lfs?.oid ?? p.oid;
  return etag ? { path: p.path, size: p.lfs?.size ?? p.size, etag } : undefined;
}

/** Finds the chosen files of a revision in the cache, or downloads them into it. */
export async function snapshot<C extends Choice>(ref: RepoRef, settings: HubSettings, choose: Chooser<C>, options: SnapshotOptions): Promise<Snapshot<C>> {
  let damaged: string[] = [];
  if (!options.refresh || settings.offline) {
    const cached = await fromCache(ref, settings, choose);
    if (cached.snapshot) return cached.snapshot;
    if (settings.offline) {
      const folder = repoFolder(settings.cacheDir, ref);
      if (cached.damaged) {
        throw new HubError('corrupt', `${describeRef(ref)}: the cached ${cached.damaged.join(', ')} ${cached.damaged.length === 1 ? 'does' : 'do'} not match ${cached.damaged.length === 1 ? 'its' : 'their'} hash (damaged or truncated); unset HF_HUB_OFFLINE to fetch ${cached.damaged.length === 1 ? 'it' : 'them'} again`);
      }
      throw new HubError('offline', `HF_HUB_OFFLINE is set and the cache (${folder}) has ${cached.missing}; ${describeRef(ref)} needs ${options.needs}: run once online to download ${ref.type === 'dataset' ? 'them' : 'it'}`);
    }
    damaged = cached.damaged ?? [];
  }
  const fetch = hubFetch(settings);
  const ctx = { ref, settings, ...(options.spec !== undefined ? { spec: options.spec } : {}) };
  try {
    const { commit, listing } = await remoteListing(ref, settings, fetch);
    const folder = repoFolder(settings.cacheDir, ref);
    writeCachedirTag(settings.cacheDir);
    const info = async (paths: readonly string[]): Promise<void> => {
      const want = paths.filter((p) => !listing.get(p));
      if (want.length === 0) return;
      for (const p of await pathsInfo({ repo: { type: ref.type, name: ref.id }, paths: [...want], revision: commit, hubUrl: settings.endpoint, fetch })) {
        if (p.type === 'file') listing.set(p.path, remoteFile(p));
      }
      for (const p of want) if (!listing.get(p)) throw new HubError('entry-not-found', `${describeRef(ref)} lists ${p} but the Hub gave no size and etag for it`);
    };
    const fetchFiles = async (paths: readonly string[]): Promise<void> => {
      await info(paths);
      const todo: RemoteFile[] = [];
      for (const p of paths) {
        const f = listing.get(p)!;
        const blob = blobPath(folder, f.etag);
        const bad = damaged.includes(p);
        if (!bad && fs.existsSync(blob) && (await blobIsIntact(settings.cacheDir, repoFolderName(ref), f.etag, blob, f.size))) continue;
        fs.rmSync(blob, { force: true });
        todo.push(f);
      }
      await download(ref, settings, fetch, commit, todo);
      for (const p of paths) linkSnapshotFile(folder, commit, p, listing.get(p)!.etag);
    };
    const read = async (p: string): Promise<string> => {
      if (!listing.has(p)) throw new MissingFiles(p);
      await fetchFiles([p]);
      return fs.readFileSync(join(snapshotDir(folder, commit), ...p.split('/')), 'utf8');
    };
    let choice: C;
    try {
      choice = await choose(new Set(listing.keys()), read);
    } catch (e) {
      if (e instanceof MissingFiles) throw new HubError(ref.type === 'dataset' ? 'unsupported' : 'entry-not-found', `${describeRef(ref)} (commit ${commit.slice(0, 8)}) has no ${e.message}`);
      throw e;
    }
    await fetchFiles(choice.files);
    writeRef(folder, ref.revision, commit);
    return { ref, commit, dir: snapshotDir(folder, commit), choice, fromCache: false };
  } catch (e) {
    throw toHubError(e, ctx);
  }
}

/** Downloads the files one after another, reporting progress over all of them. */
async function download(ref: RepoRef, settings: HubSettings, fetch: typeof globalThis.fetch, commit: string, files: readonly RemoteFile[]): Promise<void> {
  const allTotal = files.reduce((s, f) => s + f.size, 0);
  let done = 0;
  const prefix = ref.type === 'dataset' ? 'datasets/' : '';
  for (const f of files) {
    const url = `${settings.endpoint}/${prefix}${ref.id}/resolve/${commit}/${f.path.split('/').map(encodeURIComponent).join('/')}`;
    await ensureBlob(
      {
        cacheDir: settings.cacheDir,
        folderName: repoFolderName(ref),
        url,
        fetch,
        onBytes: (bytes) => settings.onProgress?.({ repo: ref.id, file: f.path, bytes, total: f.size, allBytes: done + bytes, allTotal }),
      },
      f,
    );
    done += f.size;
  }
}
