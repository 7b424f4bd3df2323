/**
 * `tokentag push`: a model directory to a Hub repository, with the official client —
 * `createRepo` (an existing repo is fine), then one commit of every file (`commitIter`: small
 * files inline, large ones through LFS or Xet, as the Hub asks) — and a model card.
 *
 * Uploaded: the model (config.json, weights, tokenizer files, `onnx/`), the training record files
 * when present (trainer_state.json, training_args.json, *_results.json) and README.md. Not
 * uploaded: `checkpoint-*` folders (optimizer state, large and of no use to a reader), hidden files
 * and temporary files of interrupted writes.
 */
import * as fs from 'node:fs';
import { join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { commitIter, createRepo, HubApiError, whoAmI, type CommitOperation } from '@huggingface/hub';
import { HubError, TokentagError } from '../errors.ts';
import { cardDataFromDir, renderModelCard, retargetCard, type ModelCardData } from './card.ts';
import { hubFetch, LOGIN_HINT, toHubError } from './http.ts';
import { isValidRepoId, repoUrl } from './repo-id.ts';
import { hubSettings, type HubOptions } from './settings.ts';

export interface PushOptions extends HubOptions {
  /** `user/name`, or `name` for the token owner's namespace. */
  readonly repo: string;
  /** Create the repository private (an existing repository keeps its visibility). */
  readonly private?: boolean;
  readonly commitMessage?: string;
  /** Called as files are hashed and uploaded: bytes done of all. */
  readonly onUpload?: (done: number, total: number) => void;
}

export interface PushResult {
  readonly repo: string;
  readonly url: string;
  readonly commit: string;
  readonly files: readonly string[];
  /** True when the repository was created by this push. */
  readonly created: boolean;
}

const WEIGHTS = ['model.safetensors', 'model.safetensors.index.json', 'pytorch_model.bin', 'pytorch_model.bin.index.json', 'onnx/model.onnx'];

/** The files of a model directory to upload, as repository paths. */
export function filesToPush(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.name.startsWith('.') || /\.tmp$|^\.?tokentag-/.test(e.name)) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) {
        if (d === dir && /^checkpoint-\d+$/.test(e.name)) continue;
        walk(p);
      } else if (e.isFile()) out.push(relative(dir, p).split(sep).join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

/** Pushes a model directory (see the module comment). `card`: the card data when the caller has more than the directory says. */
export async function pushToHub(dir: string, options: PushOptions, card?: ModelCardData): Promise<PushResult> {
  const settings = hubSettings(options);
  if (!fs.existsSync(join(dir, 'config.json'))) throw new TokentagError(`${dir}: not a model directory (no config.json)`);
  const files = filesToPush(dir);
  if (!WEIGHTS.some((w) => files.includes(w))) throw new TokentagError(`${dir}: no model weights to push (${WEIGHTS.join(', ')})`);
  if (settings.offline) throw new HubError('offline', 'cannot push while HF_HUB_OFFLINE is set');
  if (!settings.token) throw new HubError('unauthorized', `pushing needs a token with write access: ${LOGIN_HINT}`);
  const fetch = hubFetch(settings);
  const ref = { type: 'model' as const, id: options.repo, revision: 'main' };
  try {
    let repo = options.repo;
    if (!repo.includes('/')) repo = `${(await whoAmI({ hubUrl: settings.endpoint, fetch, credentials: { accessToken: settings.token } })).name}/${repo}`;
    if (!isValidRepoId(repo) || !repo.includes('/')) throw new TokentagError(`--repo ${options.repo}: expected user/name (letters, digits, '-', '_', '.')`);
    let created = true;
    try {
      await createRepo({ repo: { type: 'model', name: repo }, hubUrl: settings.endpoint, fetch, credentials: { accessToken: settings.token }, ...(options.private !== undefined ? { private: options.private } : {}) });
    } catch (e) {
      if (!(e instanceof HubApiError && e.statusCode === 409)) throw e;
      created = false;
    }
    const hasOnnx = files.includes('onnx/model.onnx');
    const readme = files.includes('README.md')
      ? retargetCard(fs.readFileSync(join(dir, 'README.md'), 'utf8'), repo, hasOnnx)
      : renderModelCard({ ...(card ?? cardDataFromDir(dir, repo)), model: repo, hasOnnx });
    const operations: CommitOperation[] = files
      .filter((f) => f !== 'README.md')
      .map((f) => ({ operation: 'addOrUpdate' as const, path: f, content: pathToFileURL(join(dir, ...f.split('/'))) }));
    operations.push({ operation: 'addOrUpdate', path: 'README.md', content: new Blob([readme]) });
    const sizes = new Map(files.map((f) => [f, f === 'README.md' ? Buffer.byteLength(readme) : fs.statSync(join(dir, ...f.split('/'))).size]));
    const total = [...sizes.values()].reduce((a, b) => a + b, 0);
    const progress = new Map<string, number>();
    const it = commitIter({
      repo: { type: 'model', name: repo },
      operations,
      title: options.commitMessage ?? 'Upload model trained with tokentag',
      hubUrl: settings.endpoint,
      fetch,
      useWebWorkers: false,
      credentials: { accessToken: settings.token },
    });
    let step = await it.next();
    while (!step.done) {
      const ev = step.value;
      if (ev.event === 'fileProgress' && ev.state === 'uploading') {
        progress.set(ev.path, ev.progress * (sizes.get(ev.path) ?? 0));
        options.onUpload?.([...progress.values()].reduce((a, b) => a + b, 0), total);
      }
      step = await it.next();
    }
    const commit = step.value?.commit.oid;
    if (!commit) throw new HubError('server', `${settings.endpoint} did not say which commit the push made`);
    return { repo, url: repoUrl(settings.endpoint, { type: 'model', id: repo }), commit, files: [...new Set([...files, 'README.md'])].sort(), created };
  } catch (e) {
    throw toHubError(e, { ref, settings });
  }
}
