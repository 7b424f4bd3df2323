/**
 * A training progress bar. On a terminal it is one line rewritten in place with `\r`
 * (steps, a bar, it/s, elapsed < ETA, running loss, epoch); elsewhere (CI logs, files) it
 * prints a plain line now and then — every `every` steps (default: a tenth of the run) or at
 * most every `intervalSeconds` — so logs stay readable. With `unit: 'bytes'` it counts bytes
 * (downloads: `12.0 MiB/436.0 MiB … 8.1 MiB/s`).
 */

/** The part of a stream the bar needs (`process.stderr`, a file stream, a test sink). */
export interface ProgressStream {
  write(chunk: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface ProgressOptions {
  /** Default: the stream's `isTTY`. */
  readonly tty?: boolean;
  /** Non-TTY: print every N steps. Default max(1, ⌊total / 10⌋). */
  readonly every?: number;
  /** Non-TTY: also print when this many seconds passed since the last line. Default 30. */
  readonly intervalSeconds?: number;
  /** A clock in milliseconds (tests). Default `performance.now`. */
  readonly now?: () => number;
  /** What is counted: steps (default) or bytes. */
  readonly unit?: 'steps' | 'bytes';
  /** Printed before the counts (e.g. `downloading org/name`). */
  readonly label?: string;
}

/** `512 B`, `1.5 KiB`, `436.0 MiB`. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${Math.round(n)} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

export interface ProgressInfo {
  readonly loss?: number;
  readonly epoch?: number;
  readonly epochs?: number;
}

/** `h:mm:ss` or `mm:ss`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(sec)}` : `${two(m)}:${two(sec)}`;
}

export class ProgressBar {
  readonly tty: boolean;
  #total = 0;
  #initial = 0;
  #current = 0;
  #start = 0;
  #lastPrint = 0;
  #lastPrintedStep = -1;
  #lineShown = false;
  #info: ProgressInfo = {};
  readonly #now: () => number;

  constructor(
    readonly stream: ProgressStream,
    readonly options: ProgressOptions = {},
  ) {
    this.tty = options.tty ?? stream.isTTY === true;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Starts (or restarts) the bar at `initial` of `total` steps (a resumed run starts past 0). */
  start(total: number, initial = 0): void {
    this.#total = total;
    this.#initial = initial;
    this.#current = initial;
    this.#start = this.#now();
    this.#lastPrint = this.#start;
    this.#lastPrintedStep = initial;
    if (this.tty) this.#render();
  }

  /** Steps per second since `start` (counting only the steps done in this run). */
  rate(): number {
    const dt = (this.#now() - this.#start) / 1000;
    return dt > 0 ? (this.#current - this.#initial) / dt : 0;
  }

  /** The current line, without `\r` or newline. */
  line(): string {
    const total = this.#total;
    const cur = this.#current;
    const elapsed = (this.#now() - this.#start) / 1000;
    const rate = this.rate();
    const eta = rate > 0 ? (total - cur) / rate : NaN;
    const pct = total > 0 ? Math.floor((100 * cur) / total) : 100;
    const width = String(total).length;
    const bytes = this.options.unit === 'bytes';
    let s = this.options.label ? `${this.options.label} ` : '';
    s += bytes ? `${formatBytes(cur)}/${formatBytes(total)} ` : `${String(cur).padStart(width)}/${total} `;
    if (this.tty) {
      const barWidth = 24;
      const filled = total > 0 ? Math.min(barWidth, Math.round((barWidth * cur) / total)) : barWidth;
      s += `[${'='.repeat(filled)}${' '.repeat(barWidth - filled)}] `;
    }
    const speed = bytes ? `${formatBytes(rate)}/s` : rate >= 1 || rate === 0 ? rate.toFixed(2) + ' it/s' : (1 / rate).toFixed(2) + ' s/it';
    s += `${String(pct).padStart(3)}% ${formatDuration(elapsed)}<${formatDuration(eta)}, ${speed}`;
    const { loss, epoch, epochs } = this.#info;
    if (loss !== undefined) s += `, loss ${loss.toFixed(4)}`;
    if (epoch !== undefined) s += `, epoch ${epoch.toFixed(2)}${epochs !== undefined ? `/${epochs}` : ''}`;
    return s;
  }

  /** Moves the bar to `step` with the running loss and epoch. */
  update(step: number, info: ProgressInfo = {}): void {
    this.#current = step;
    this.#info = { ...this.#info, ...info };
    if (this.tty) {
      this.#render();
      return;
    }
    const every = this.options.every ?? Math.max(1, Math.floor(this.#total / 10));
    const now = this.#now();
    const due = step - this.#initial > 0 && ((step % every === 0 && step !== this.#lastPrintedStep) || now - this.#lastPrint >= (this.options.intervalSeconds ?? 30) * 1000 || step === this.#total);
    if (due && step !== this.#lastPrintedStep) {
      this.stream.write(`${this.line()}\n`);
      this.#lastPrint = now;
      this.#lastPrintedStep = step;
    }
  }

  /** Prints a full line (a log record, a table row) without breaking the bar. */
  log(text: string): void {
    if (this.tty && this.#lineShown) this.stream.write('\r\x1b[K');
    this.stream.write(text.endsWith('\n') ? text : `${text}\n`);
    if (this.tty && this.#total > 0) this.#render();
  }

  /** Ends the bar: a final newline on a TTY, a last line elsewhere if the last step was not printed. */
  finish(): void {
    if (this.tty) {
      if (this.#lineShown) this.stream.write('\n');
      this.#lineShown = false;
    } else if (this.#current !== this.#lastPrintedStep) {
      this.stream.write(`${this.line()}\n`);
      this.#lastPrintedStep = this.#current;
    }
  }

  #render(): void {
    let text = this.line();
    const cols = this.stream.columns;
    if (cols && text.length > cols - 1) text = text.slice(0, cols - 1);
    this.stream.write(`\r${text}\x1b[K`);
    this.#lineShown = true;
  }
}

/** `tqdm(total)`'s bar: `update(n)`, `set_postfix({ loss })`, `close()`. */
export class Tqdm {
  readonly total: number;
  /** Steps done. */
  n = 0;
  readonly #bar: ProgressBar | null;

  constructor(total: number, options: { readonly desc?: string; readonly file?: ProgressStream; readonly disable?: boolean } = {}) {
    this.total = total;
    this.#bar = options.disable ? null : new ProgressBar(options.file ?? process.stderr, options.desc ? { label: options.desc } : {});
    this.#bar?.start(total, 0);
  }

  /** Adds `n` steps (default 1). */
  update(n = 1): void {
    this.n += n;
    this.#bar?.update(this.n);
  }

  /** Shows the running loss beside the counts. */
  set_postfix(values: { readonly loss?: number }): void {
    this.#bar?.update(this.n, values.loss !== undefined ? { loss: values.loss } : {});
  }

  /** Prints a line without breaking the bar (tqdm's `write`). */
  write(text: string): void {
    this.#bar?.log(text);
  }

  /** Ends the bar. */
  close(): void {
    this.#bar?.finish();
  }
}

/**
 * `tqdm(range(num_training_steps))` → `tqdm(num_training_steps)`: a progress bar on stderr (a
 * rewritten line on a terminal, a line every tenth of the run elsewhere).
 */
export function tqdm(total: number | { readonly length: number }, options: { readonly desc?: string; readonly file?: ProgressStream; readonly disable?: boolean } = {}): Tqdm {
  return new Tqdm(typeof total === 'number' ? total : total.length, options);
}
