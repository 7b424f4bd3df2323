/**
 * `tokentag predict --input FILE|-`: the input streamed line by line (constant memory), as texts
 * or pre-split sentences, with their gold tags when `--format conlleval` asks for them. What the
 * input is follows the one rule of src/data/format.ts; the line readers are the data layer's own
 * (`conllFields`, `ConlluLayout`), so predict reads a file exactly as train does.
 */
import fs from 'node:fs';
import { InputError, TokentagError, UsageError } from '../errors.ts';
import { conllFields } from '../data/conll.ts';
import { ConlluLayout, conlluTagReader } from '../data/conllu.ts';
import { describeNames } from '../data/features.ts';
import { detectInputFormat, SAMPLE_LINES, type InputFormat } from '../data/format.ts';
import { resolveLabels, type LabelSpec } from '../data/labels.ts';
import { utf8Lines } from '../data/text.ts';

/** One unit of input: a text, or a pre-split sentence (with gold tags when asked), and where it starts. */
export type Item =
  | { readonly kind: 'text'; readonly text: string; readonly line: number }
  | { readonly kind: 'words'; readonly words: string[]; readonly gold?: string[]; readonly line: number };

export interface InputOptions {
  /** `--input-format`; default: the one rule. */
  readonly format?: InputFormat;
  /** `--columns`: CoNLL columns by position (`tokens` and the gold column), CoNLL-U tag fields by name. */
  readonly columns?: readonly string[];
  readonly tabs?: boolean;
  /** Read gold tags (for `--format conlleval`) from this column. */
  readonly gold?: string;
  /** Label names: integer gold ids in JSON Lines are looked up here; gold names are checked against them. */
  readonly labels?: LabelSpec;
}

/** The lines of `file` (`-`: `stdin`), numbered from 1; the first `SAMPLE_LINES` non-blank ones are read ahead to decide the format. */
async function openLines(file: string, stdin: NodeJS.ReadableStream | undefined, explicit: InputFormat | undefined) {
  let input: NodeJS.ReadableStream;
  if (file === '-') {
    if (!stdin) throw new TokentagError('--input -: there is no standard input to read');
    input = stdin;
  } else {
    if (!fs.existsSync(file)) throw new TokentagError(`${file}: no such file`);
    input = fs.createReadStream(file);
  }
  // Decoded strictly, as the data loaders do: invalid UTF-8 is an error naming the line, not U+FFFD.
  const rl = utf8Lines(input as AsyncIterable<Uint8Array | string>, file === '-' ? 'standard input' : file)[Symbol.asyncIterator]();
  const head: string[] = [];
  let nonBlank = 0;
  while (nonBlank < SAMPLE_LINES) {
    const next = await rl.next();
    if (next.done) break;
    head.push(next.value);
    if (next.value.trim() !== '') nonBlank++;
  }
  const { format } = detectInputFormat(file === '-' ? 'standard input' : file, () => head.join('\n'), explicit);
  async function* lines(): AsyncGenerator<string> {
    yield* head;
    for (let next = await rl.next(); !next.done; next = await rl.next()) yield next.value;
  }
  return { format, lines: lines() };
}

/** Reads the input as items; see the module comment. */
export async function* readItems(file: string, options: InputOptions, stdin?: NodeJS.ReadableStream): AsyncGenerator<Item> {
  const { format, lines } = await openLines(file, stdin, options.format);
  const name = file === '-' ? 'standard input' : file;
  if (format !== 'conll' && format !== 'conllu') {
    if (options.columns) throw new UsageError(`--columns applies to CoNLL and CoNLL-U input; ${name} is read as ${format}`);
    if (options.tabs) throw new UsageError(`--tab applies to CoNLL input; ${name} is read as ${format}`);
  }
  if (format === 'text' && options.labels) throw new UsageError(`--labels applies to tagged input; ${name} is read as plain text`);
  const names = options.gold !== undefined ? resolveLabels(options.labels)[options.gold] : undefined;
  const checked = (tag: string, n: number): string => {
    if (names && !names.includes(tag)) throw new InputError(name, n, `unknown ${options.gold} label '${tag}' (expected ${describeNames(names)})`);
    return tag;
  };
  const reader = format === 'text' ? textItems : format === 'jsonl' ? jsonlItems : format === 'conllu' ? conlluItems : conllItems;
  yield* reader(lines, name, options, checked, names);
}

type Check = (tag: string, line: number) => string;

async function* textItems(lines: AsyncIterable<string>): AsyncGenerator<Item> {
  let n = 0;
  for await (const text of lines) yield { kind: 'text', text, line: ++n };
}

async function* jsonlItems(lines: AsyncIterable<string>, file: string, options: InputOptions, check: Check, names: readonly string[] | undefined): AsyncGenerator<Item> {
  let n = 0;
  for await (const line of lines) {
    n++;
    if (line.trim() === '') continue;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (e) {
      throw new InputError(file, n, `not valid JSON: ${(e as Error).message}`);
    }
    const o = (obj ?? {}) as { text?: unknown; tokens?: unknown };
    if (typeof obj === 'object' && obj !== null && typeof o.text === 'string') {
      if (options.gold !== undefined) throw new InputError(file, n, `--format conlleval needs pre-split words with gold tags ({"tokens": [...], "${options.gold}": [...]}), not a text`);
      yield { kind: 'text', text: o.text, line: n };
    } else if (typeof obj === 'object' && obj !== null && Array.isArray(o.tokens) && o.tokens.every((t) => typeof t === 'string')) {
      const words = o.tokens as string[];
      if (options.gold === undefined) {
        yield { kind: 'words', words, line: n };
        continue;
      }
      const tags = (obj as Record<string, unknown>)[options.gold];
      if (!Array.isArray(tags) || tags.length !== words.length) throw new InputError(file, n, `expected "${options.gold}": one gold tag per token (${words.length}) for --format conlleval`);
      const gold = tags.map((t: unknown, k) => {
        if (typeof t === 'string') return check(t, n);
        if (typeof t === 'number' && names && Number.isInteger(t) && t >= 0 && t < names.length) return names[t]!;
        if (typeof t === 'number') throw new InputError(file, n, names ? `"${options.gold}" id ${t} (token ${k + 1}) is out of range 0..${names.length - 1}` : `"${options.gold}" holds integer ids; give their names with --labels`);
        throw new InputError(file, n, `"${options.gold}" holds ${JSON.stringify(t)}; expected a label name or an integer id`);
      });
      yield { kind: 'words', words, gold, line: n };
    } else {
      throw new InputError(file, n, 'expected an object with "text" (a string) or "tokens" (an array of strings)');
    }
  }
}

async function* conllItems(lines: AsyncIterable<string>, file: string, options: InputOptions, check: Check): AsyncGenerator<Item> {
  const cols = options.columns;
  const tokenCol = cols ? cols.indexOf('tokens') : 0;
  if (cols && tokenCol < 0) throw new UsageError(`--columns ${cols.join(',')} must include tokens`);
  const goldCol = options.gold === undefined ? undefined : cols ? cols.indexOf(options.gold) : -1; // -1: the last column
  if (goldCol !== undefined && cols && goldCol < 0) throw new UsageError(`--columns ${cols.join(',')} has no ${options.gold} column for the gold tags`);
  let words: string[] = [];
  let gold: string[] = [];
  let start = 0;
  let n = 0;
  for await (const line of lines) {
    n++;
    const fields = conllFields(line, options.tabs ?? false);
    if (fields === null) {
      if (words.length > 0) yield { kind: 'words', words, ...(goldCol !== undefined ? { gold } : {}), line: start };
      words = [];
      gold = [];
      continue;
    }
    if (words.length === 0) start = n;
    if (cols && fields.length !== cols.length) throw new InputError(file, n, `expected ${cols.length} columns (${cols.join(' ')}) as given by --columns, found ${fields.length}`);
    words.push(fields[tokenCol]!);
    if (goldCol !== undefined) {
      if (fields.length < 2) throw new InputError(file, n, '--format conlleval needs a gold tag column after the token');
      gold.push(check(fields[goldCol < 0 ? fields.length - 1 : goldCol]!, n));
    }
  }
  if (words.length > 0) yield { kind: 'words', words, ...(goldCol !== undefined ? { gold } : {}), line: start };
}

async function* conlluItems(lines: AsyncIterable<string>, file: string, options: InputOptions, check: Check): AsyncGenerator<Item> {
  let layout: ConlluLayout | undefined;
  let readGold: ((fields: readonly string[], line: number) => string) | undefined;
  let words: string[] = [];
  let gold: string[] = [];
  let start = 0;
  let n = 0;
  const flush = (): Item | undefined => {
    const item: Item | undefined = words.length > 0 ? { kind: 'words', words, ...(readGold ? { gold } : {}), line: start } : undefined;
    words = [];
    gold = [];
    return item;
  };
  for await (const line of lines) {
    n++;
    if (!layout) {
      layout = ConlluLayout.fromHeader(line, file) ?? new ConlluLayout();
      if (options.gold !== undefined) readGold = conlluTagReader(options.gold, layout, file);
    }
    const kind = layout.classify(line, file, n);
    if (kind.kind === 'blank') {
      const item = flush();
      if (item) yield item;
    }
    if (kind.kind !== 'word') continue;
    if (words.length === 0) start = n;
    words.push(kind.fields[layout.form]!);
    if (readGold) gold.push(check(readGold(kind.fields, n), n));
  }
  const item = flush();
  if (item) yield item;
}
