/**
 * Where the Hub is and who we are, read as Python's `huggingface_hub` reads them:
 *
 * - endpoint: `HF_ENDPOINT` (default https://huggingface.co);
 * - cache: `HF_HUB_CACHE`, else `HUGGINGFACE_HUB_CACHE`, else `$HF_HOME/hub`, else
 *   `$XDG_CACHE_HOME/huggingface/hub`, else `~/.cache/huggingface/hub` (the official client's
 *   `getHFHubCachePath`, which follows the same order);
 * - token: `HF_TOKEN`, else `HUGGING_FACE_HUB_TOKEN`, else the file `huggingface-cli login` /
 *   `hf auth login` writes: `HF_TOKEN_PATH`, else `$HF_HOME/token`;
 * - offline: `HF_HUB_OFFLINE` = 1 / ON / YES / TRUE (case-insensitive), as Python's `_is_true`.
 *
 * Every function that reaches the Hub takes a `HubOptions` whose fields override these.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { getHFHubCachePath } from '@huggingface/hub';

export const DEFAULT_ENDPOINT = 'https://huggingface.co';

/** A download's progress, reported while bytes arrive. */
export interface DownloadProgress {
  /** The repository (`org/name`) and the file in it. */
  readonly repo: string;
  readonly file: string;
  /** Bytes of this file on disk so far (a resumed download starts above 0), and its size. */
  readonly bytes: number;
  readonly total: number;
  /** Bytes of every file this call downloads, done and in all. */
  readonly allBytes: number;
  readonly allTotal: number;
}

export interface HubOptions {
  /** Default `HF_ENDPOINT` or https://huggingface.co. */
  readonly endpoint?: string;
  /** The hub cache directory (the one holding `models--…`). Default as Python (see the module comment). */
  readonly cacheDir?: string;
  /** An access token; default `HF_TOKEN` or the login token file. `null`: send none. */
  readonly token?: string | null;
  /** Never make a request: use the cache or fail. Default `HF_HUB_OFFLINE`. */
  readonly offline?: boolean;
  /** Called as downloads progress. */
  readonly onProgress?: (p: DownloadProgress) => void;
  /** The fetch to use (tests, proxies). Default the global fetch. */
  readonly fetch?: typeof fetch;
}

export interface HubSettings {
  readonly endpoint: string;
  readonly cacheDir: string;
  readonly token: string | undefined;
  readonly offline: boolean;
  readonly onProgress: ((p: DownloadProgress) => void) | undefined;
  readonly fetch: typeof fetch;
}

const env = (name: string): string | undefined => {
  const v = process.env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
};

/** Python's `_is_true`. */
export function isTrue(value: string | undefined): boolean {
  return value !== undefined && ['1', 'ON', 'YES', 'TRUE'].includes(value.toUpperCase());
}

/** `$HF_HOME`, default `$XDG_CACHE_HOME/huggingface` or `~/.cache/huggingface`. */
export function hfHome(): string {
  return env('HF_HOME') ?? join(env('XDG_CACHE_HOME') ?? join(homedir(), '.cache'), 'huggingface');
}

/** The token file `huggingface-cli login` writes. */
export function tokenPath(): string {
  return env('HF_TOKEN_PATH') ?? join(hfHome(), 'token');
}

/** The token Python would send: `HF_TOKEN`, `HUGGING_FACE_HUB_TOKEN`, or the login token file. */
export function defaultToken(): string | undefined {
  const fromEnv = env('HF_TOKEN') ?? env('HUGGING_FACE_HUB_TOKEN');
  if (fromEnv) return fromEnv;
  try {
    const t = readFileSync(tokenPath(), 'utf8').trim();
    return t === '' ? undefined : t;
  } catch {
    return undefined;
  }
}

export function hubSettings(options: HubOptions = {}): HubSettings {
  const endpoint = (options.endpoint ?? env('HF_ENDPOINT') ?? DEFAULT_ENDPOINT).replace(/\/+$/, '');
  return {
    endpoint,
    cacheDir: options.cacheDir ?? getHFHubCachePath(),
    token: options.token === null ? undefined : (options.token ?? defaultToken()),
    offline: options.offline ?? isTrue(env('HF_HUB_OFFLINE')),
    onProgress: options.onProgress,
    fetch: options.fetch ?? globalThis.fetch,
  };
}
