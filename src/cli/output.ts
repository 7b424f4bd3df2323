/**
 * A file a command writes as results come (`predict --output`, `--html`): put in place whole, or
 * not at all. The text goes to a temporary file beside it (`AtomicFileWriter`), renamed over the
 * target only when the command succeeds; on an error — a bad input line 301, a full disk — or a
 * signal, the temporary file is removed and a file that was there keeps its old content.
 */
import * as fs from 'node:fs';
import { constants } from 'node:os';
import { TokentagError } from '../errors.ts';
import { AtomicFileWriter } from '../io/atomic.ts';
import { checkWritableFile, describeFsError } from '../io/writable.ts';

const open = new Set<OutputFile>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** While an output is open, a signal removes its temporary file before the process ends (128 + n). */
function onSignal(signal: (typeof SIGNALS)[number]): void {
  for (const f of [...open]) f.abort();
  process.exit(128 + constants.signals[signal]);
}

export class OutputFile {
  readonly #writer: AtomicFileWriter;
  readonly #existed: boolean;

  /** `what` names the file in messages, e.g. `--output pred.jsonl`. Checks it can be written first. */
  constructor(
    readonly file: string,
    readonly what: string,
  ) {
    checkWritableFile(file, what);
    this.#existed = fs.existsSync(file);
    try {
      this.#writer = new AtomicFileWriter(file);
    } catch (e) {
      throw this.#error(e);
    }
    if (open.size === 0) for (const s of SIGNALS) process.on(s, onSignal);
    open.add(this);
  }

  #error(e: unknown): TokentagError {
    return new TokentagError(`${this.what}: cannot write there: ${describeFsError(e)}; ${this.#existed ? 'the file that was there is unchanged' : 'nothing was written'}`, { cause: e });
  }

  #close(): void {
    open.delete(this);
    if (open.size === 0) for (const s of SIGNALS) process.off(s, onSignal);
  }

  write(text: string): void {
    try {
      this.#writer.write(text);
    } catch (e) {
      this.abort();
      throw this.#error(e);
    }
  }

  /** Puts the file in place. */
  commit(): void {
    this.#close();
    try {
      this.#writer.commit();
    } catch (e) {
      throw this.#error(e);
    }
  }

  /** Removes the temporary file; the target is left as it was. */
  abort(): void {
    this.#close();
    this.#writer.abort();
  }
}
