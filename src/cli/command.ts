/** One `tokentag` sub-command. `run` returns the process exit code. */
export interface Command {
  /** Words that select it, e.g. `['data', 'inspect']` or `['score']`. */
  readonly path: readonly string[];
  /** One line for the command list. */
  readonly summary: string;
  /** Full help text printed by `tokentag <path> --help`. */
  readonly help: string;
  run(argv: string[], io: CliIO): Promise<number>;
}

/** Where a command writes; tests pass their own to capture output. */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
}

export const processIO: CliIO = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};
