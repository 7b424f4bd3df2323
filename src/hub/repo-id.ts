/**
 * Hub ids as users type them: `bert-base-cased`, `dslim/bert-base-NER`, `org/name@revision`
 * (a branch, tag, commit hash or a ref such as `refs/convert/parquet`).
 */
import { TokentagError } from '../errors.ts';

export type RepoType = 'model' | 'dataset';

export interface RepoRef {
  readonly type: RepoType;
  /** `org/name` or a legacy single name (`bert-base-cased`), as typed: Python's cache folder uses it. */
  readonly id: string;
  /** What was asked for; default `main`. */
  readonly revision: string;
}

/** Python's `validate_repo_id`: `[namespace/]name` of word characters, `-` and `.`, at most 96 characters. */
const REPO_ID = /^(?:\b[\w\-.]+\b\/)?\b[\w\-.]+\b$/;
export const COMMIT_HASH = /^[0-9a-f]{40}$/;

export function isValidRepoId(id: string): boolean {
  return id.length <= 96 && REPO_ID.test(id) && !id.includes('--') && !id.includes('..') && !id.endsWith('.git');
}

/** Splits `org/name@revision`; undefined when the id part is not a valid Hub id. */
export function parseRepoRef(spec: string, type: RepoType): RepoRef | undefined {
  const at = spec.indexOf('@');
  const id = at < 0 ? spec : spec.slice(0, at);
  const revision = at < 0 ? 'main' : spec.slice(at + 1);
  if (!isValidRepoId(id)) return undefined;
  if (revision === '' || revision.includes('..') || revision.startsWith('/') || /\s/.test(revision)) {
    throw new TokentagError(`${spec}: '${revision}' is not a revision (a branch, tag or commit hash after '@')`);
  }
  return { type, id, revision };
}

/** `org/name` or `org/name@rev` for messages. */
export function describeRef(ref: RepoRef): string {
  return `${ref.type === 'dataset' ? 'dataset ' : ''}${ref.id}${ref.revision === 'main' ? '' : `@${ref.revision}`}`;
}

/** The repo's page on the Hub (for messages: where to accept a gated model's conditions). */
export function repoUrl(endpoint: string, ref: Pick<RepoRef, 'type' | 'id'>): string {
  return `${endpoint}/${ref.type === 'dataset' ? 'datasets/' : ''}${ref.id}`;
}
