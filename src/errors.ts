/**
 * Errors a user can act on. The CLI prints their message without a stack trace;
 * anything else is a bug and is printed with its stack.
 */
export class TokentagError extends Error {
  override name = 'TokentagError';
}

/** Bad input data: says which file, which line (1-based) and what was expected. */
export class InputError extends TokentagError {
  override name = 'InputError';
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly detail: string,
  ) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${detail}`);
  }
}

/** A command line that cannot be run as written (unknown flag, missing value). */
export class UsageError extends TokentagError {
  override name = 'UsageError';
}
