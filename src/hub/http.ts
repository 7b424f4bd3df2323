/**
 * The one door to the network. Every request — ours and the official client's, which takes a
 * `fetch` parameter — goes through `hubFetch`, which:
 *
 * - refuses to run when offline (`HF_HUB_OFFLINE=1`), so "offline" is a guarantee, not a hope;
 * - adds the token only for the Hub's own origin (never to the CDN or storage a file redirects
 *   to: the browser-style redirect handling of fetch drops it there too);
 * - remembers the Hub's `X-Error-Code` of failed responses (the client's `HubApiError` keeps only
 *   the status), so that `toHubError` can say "gated" rather than "401".
 */
import { HubApiError } from '@huggingface/hub';
import { HubError, TokentagError } from '../errors.ts';
import { describeRef, repoUrl, type RepoRef } from './repo-id.ts';
import type { HubSettings } from './settings.ts';

const errorCodes = new Map<string, string>();

export const LOGIN_HINT = 'log in with `hf auth login` (or `huggingface-cli login`), or set HF_TOKEN to an access token from https://huggingface.co/settings/tokens';

/** A fetch for the Hub: token on the endpoint's origin only, offline guard, error codes kept. */
export function hubFetch(settings: HubSettings): typeof fetch {
  const origin = new URL(settings.endpoint).origin;
  return async (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    if (settings.offline) {
      throw new HubError('offline', `offline (HF_HUB_OFFLINE is set): not requesting ${url.href}`);
    }
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    // The client writes `Bearer undefined` when it was given no token (we give it none: the token is added here).
    const auth = headers.get('authorization');
    if (auth === null || /^Bearer\s*(undefined)?$/.test(auth)) headers.delete('authorization');
    if (settings.token && url.origin === origin && !headers.has('authorization')) headers.set('authorization', `Bearer ${settings.token}`);
    if (!headers.has('user-agent')) headers.set('user-agent', 'tokentag (+https://www.npmjs.com/package/tokentag)');
    let res: Response;
    try {
      res = await settings.fetch(input instanceof Request ? new Request(input, { headers }) : url, { ...init, headers });
    } catch (e) {
      if (e instanceof TokentagError || (e as Error).name === 'AbortError') throw e;
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new HubError('network', `cannot reach ${url.origin} (${cause?.code ?? cause?.message ?? (e as Error).message}); check the connection, or set HF_HUB_OFFLINE=1 to use only what is cached`);
    }
    if (!res.ok) {
      const code = res.headers.get('x-error-code');
      if (code) errorCodes.set(res.url || url.href, code);
    }
    return res;
  };
}

/** Reads a failed response of our own requests as the client's error type. */
export async function apiError(res: Response): Promise<HubApiError> {
  let message = `HTTP ${res.status}`;
  try {
    const text = await res.text();
    const json = JSON.parse(text) as { error?: string };
    message = json.error ?? text;
  } catch {
    // not JSON: keep the status
  }
  const e = new HubApiError(res.url, res.status, res.headers.get('x-request-id') ?? undefined, message);
  return e;
}

export interface ErrorContext {
  readonly ref: RepoRef;
  readonly file?: string;
  readonly settings: HubSettings;
  /** What the user typed, when it might have been meant as a local path. */
  readonly spec?: string;
}

/** Turns a Hub failure into a `HubError` whose message says what to do. Other errors pass through. */
export function toHubError(e: unknown, ctx: ErrorContext): unknown {
  if (e instanceof TokentagError) return e;
  if (!(e instanceof HubApiError)) return e;
  const code = errorCodes.get(e.url);
  const { ref, settings } = ctx;
  const what = describeRef(ref);
  const where = settings.endpoint;
  const token = settings.token !== undefined;
  const pathNote = ctx.spec !== undefined && ctx.spec.includes('/') ? ` (and ${ctx.spec} is not a local directory or file)` : '';
  const detail = e.message ? `: ${e.message.split('. URL:')[0]}` : '';
  if (code === 'RepoNotFound' || (e.statusCode === 404 && !code && !ctx.file)) {
    return new HubError(
      'repo-not-found',
      `${ref.type} '${ref.id}' was not found on ${where}${pathNote}; check the id` +
        (token ? ' (or your token has no access to it)' : `, or if it is private, ${LOGIN_HINT}`),
      e.statusCode,
    );
  }
  if (code === 'GatedRepo') {
    return new HubError(
      'gated',
      `${what} is gated: accept its conditions at ${repoUrl(where, ref)}, then ` +
        (token ? 'use a token of the account that accepted them (the current one has no access)' : LOGIN_HINT),
      e.statusCode,
    );
  }
  if (code === 'RevisionNotFound') return new HubError('revision-not-found', `${ref.id} has no revision '${ref.revision}' on ${where} (a branch, tag or commit hash)`, e.statusCode);
  if (code === 'EntryNotFound' || (e.statusCode === 404 && ctx.file)) {
    return new HubError('entry-not-found', `${what} has no file ${ctx.file ?? '(unknown)'} on ${where}`, e.statusCode);
  }
  if (e.statusCode === 401) {
    return new HubError('unauthorized', token ? `the Hub refused the token (401${detail}); it may be invalid or expired: ${LOGIN_HINT}` : `${what}: the Hub needs a token (401${detail}); ${LOGIN_HINT}`, 401);
  }
  if (e.statusCode === 403) return new HubError('unauthorized', `${what}: not allowed (403${detail}); the token needs more rights (pushing needs a token with write access)`, 403);
  return new HubError('server', `${what}: the Hub answered ${e.statusCode}${detail}`, e.statusCode);
}
