/**
 * Errors a user can act on. The CLI prints their message without a stack trace;
 * anything else is a bug and is printed with its stack.
 */
export class TokentagError extends Error {
  override name = 'TokentagError';
}

/**
 * `text` cut to at most `max` characters, saying how much was left out: a message about a line
 * of twenty million columns must not be a hundred megabytes long.
 */
export function capText(text: string, max = 1000): string {
  if (text.length <= max) return text;
  const keep = max - 40;
  return `${text.slice(0, keep)}… (${text.length - keep} more characters)`;
}

/** Bad input data: says which file, which line (1-based) and what was expected. */
export class InputError extends TokentagError {
  override name = 'InputError';
  readonly detail: string;
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    detail: string,
  ) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${capText(detail)}`);
    this.detail = capText(detail);
  }
}

/** A command line that cannot be run as written (unknown flag, missing value). */
export class UsageError extends TokentagError {
  override name = 'UsageError';
}

/** Why a Hugging Face Hub request or the Hub cache could not give what was asked. */
export type HubErrorKind =
  | 'repo-not-found'
  | 'revision-not-found'
  | 'entry-not-found'
  | 'gated'
  | 'unauthorized'
  | 'offline'
  | 'network'
  | 'corrupt'
  | 'unsupported'
  | 'server';

/**
 * The Hugging Face Hub or its cache could not give what was asked: the message says what to do
 * (log in, check the id, go online); `kind` lets a program tell the cases apart.
 */
export class HubError extends TokentagError {
  override name = 'HubError';
  constructor(
    readonly kind: HubErrorKind,
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/**
 * A request the HTTP server refuses: the status to answer (4xx, or 503 when it is busy) and a
 * message for the client, sent as `{"error": message}`.
 */
export class RequestError extends TokentagError {
  override name = 'RequestError';
  constructor(
    readonly status: number,
    message: string,
    /** Extra response headers (`Retry-After`, `WWW-Authenticate`, `Allow`). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}
