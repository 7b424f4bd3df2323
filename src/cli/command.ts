/** One `tokentag` sub-command, as its module exports it. `run` returns the process exit code. */
export interface Command {
  /** Full help text printed by `tokentag <path> --help`. */
  readonly help: string;
  run(argv: string[], io: CliIO): Promise<number>;
}

/**
 * A sub-command as the dispatcher knows it before loading it: `tokentag --help` and `--version`
 * list commands without importing their modules (and ONNX Runtime, tokenizers… behind them).
 */
export interface CommandEntry {
  /** Words that select it, e.g. `['data', 'inspect']` or `['score']`. */
  readonly path: readonly string[];
  /** One line for the command list. */
  readonly summary: string;
  load(): Promise<Command>;
}

/** Where a command writes; tests pass their own to capture output. */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  /** What `-` reads (`predict --input -`, `score -`); default the process's standard input. */
  readonly stdin?: NodeJS.ReadableStream;
}

export const processIO: CliIO = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  get stdin() {
    return process.stdin;
  },
};
