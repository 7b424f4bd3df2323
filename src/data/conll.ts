/**
 * CoNLL text: one token per line with its tags in whitespace-separated columns, a blank line
 * between sentences, `-DOCSTART-` lines between documents (skipped).
 */
import { InputError, TokentagError } from '../errors.ts';
import { assemble, type RawRow, type RawSplit } from './build.ts';
import { AUTO_LAYOUTS, checkColumns, SKIP, type ColumnName, type TagNames } from './columns.ts';
import type { Dataset } from './dataset.ts';
import { describeNames, tagColumns, classLabelOf } from './features.ts';
import { resolveLabels, type LabelSpec } from './labels.ts';
import type { TaggedRow, TokenRow } from './row.ts';
import { readTextFile, splitLines } from './text.ts';
import { Vocabs } from './vocab.ts';
import { writeFileAtomic } from '../io/atomic.ts';

export interface ConllReadOptions<C extends string = string> {
  /**
   * What each column of the file is; `'_'` skips one. Default: guessed from the column count
   * (2: tokens ner_tags, 3: tokens pos_tags chunk_tags, 4: tokens pos_tags chunk_tags ner_tags).
   */
  readonly columns?: readonly ColumnName<C>[];
  /** Label names per tag column (a preset or lists); other tag columns collect theirs from the data. */
  readonly labels?: LabelSpec;
  /** `'whitespace'` (default): runs of spaces and tabs; `'tab'`: tabs only, for tokens that contain spaces. */
  readonly separator?: 'whitespace' | 'tab';
}

export interface ConllWriteOptions {
  /** Columns to write, in order; default `tokens` then every tag column. */
  readonly columns?: readonly string[];
  /** Default `' '` (as CoNLL-2003 ships); `'\t'` as WNUT-17 ships. */
  readonly separator?: ' ' | '\t';
}

const WHITESPACE = /[ \t]+/;

/**
 * The columns of one CoNLL line; null for a sentence break (a blank line or a `-DOCSTART-` line).
 * Trailing spaces and tabs are dropped; leading ones too between whitespace-separated columns
 * (with tabs, a leading tab is an empty first column, which readers report).
 */
export function conllFields(line: string, tabs: boolean): string[] | null {
  let end = line.length;
  let c: number;
  while (end > 0 && ((c = line.charCodeAt(end - 1)) === 32 || c === 9)) end--;
  let start = 0;
  if (!tabs) while (start < end && ((c = line.charCodeAt(start)) === 32 || c === 9)) start++;
  if (start === end) return null;
  const content = start === 0 && end === line.length ? line : line.slice(start, end);
  if (content.startsWith('-DOCSTART-')) return null;
  return tabs ? content.split('\t') : content.split(WHITESPACE);
}

/** The error for a column count no layout is guessed from, with the `columns` list to pass. */
function unknownLayout(count: number, file: string, line: number): never {
  if (count === 1) {
    throw new InputError(file, line, 'found 1 column (a token without a tag); a CoNLL file needs the token and at least one tag column (to tag plain words, use tokentag predict)');
  }
  const example = ["'tokens'", ...Array<string>(count - 2).fill("'_'"), "'ner_tags'"].join(', ');
  throw new InputError(file, line, `cannot tell what ${count} columns hold; pass columns, e.g. [${example}]`);
}

/** Parses one CoNLL text into the rows of one split; ids stay provisional until `assemble`. */
export function parseConllSplit(text: string, file: string, name: string, options: ConllReadOptions, vocabs: Vocabs): RawSplit {
  if (options.columns) checkColumns(options.columns, true);
  const tabs = options.separator === 'tab';
  const lines = splitLines(text);
  const rows: RawRow[] = [];

  let layout: readonly string[] | undefined = options.columns;
  let layoutLine = 0; // where the column count was first seen, for the ragged-line message
  let tokenCol = 0;
  let tagCols: number[] = []; // file column of each tag column
  let tagNames: string[] = [];
  let vocabList: ReturnType<Vocabs['get']>[] = [];

  let tokens: string[] = [];
  let tags: number[][] = [];
  const flush = (): void => {
    if (tokens.length === 0) return;
    rows.push({ id: String(rows.length), tokens, tags });
    tokens = [];
    tags = tagNames.map(() => []);
  };
  const useLayout = (cols: readonly string[]): void => {
    tokenCol = cols.indexOf('tokens');
    tagCols = [];
    tagNames = [];
    cols.forEach((c, i) => {
      if (c !== 'tokens' && c !== SKIP) {
        tagCols.push(i);
        tagNames.push(c);
      }
    });
    vocabList = tagNames.map((c) => vocabs.get(c));
    tags = tagNames.map(() => []);
  };
  if (layout) useLayout(layout);

  for (let i = 0; i < lines.length; i++) {
    const fields = conllFields(lines[i], tabs);
    if (fields === null) {
      flush();
      continue;
    }
    if (layoutLine === 0 && fields[0]!.startsWith('{')) {
      throw new InputError(file, i + 1, 'this line is JSON, not CoNLL columns; the file looks like JSON Lines (name it .jsonl, or pass --format jsonl / format: "jsonl")');
    }
    if (!layout) {
      layout = AUTO_LAYOUTS[fields.length] ?? unknownLayout(fields.length, file, i + 1);
      useLayout(layout);
    }
    if (layoutLine === 0) layoutLine = i + 1;
    if (fields.length !== layout.length) {
      const how = options.columns ? 'as given by columns' : `as on line ${layoutLine}`;
      throw new InputError(file, i + 1, `expected ${layout.length} columns (${layout.join(' ')}) ${how}, found ${fields.length}`);
    }
    if (tabs) {
      const empty = fields.indexOf('');
      if (empty >= 0) throw new InputError(file, i + 1, `column ${empty + 1} (${layout[empty]}) is empty`);
    }
    tokens.push(fields[tokenCol]);
    for (let j = 0; j < tagCols.length; j++) {
      const label = fields[tagCols[j]];
      const id = vocabList[j].id(label);
      if (id < 0) {
        throw new InputError(file, i + 1, `unknown ${tagNames[j]} label '${label}' (expected ${describeNames(vocabList[j].fixed!.names)})`);
      }
      tags[j].push(id);
    }
  }
  flush();
  return { name, file, columns: tagNames, rows };
}

/** Parses CoNLL text into a dataset. `file` only names the source in error messages. */
export function parseConll<const C extends string = string>(
  text: string,
  options: ConllReadOptions<C> & { readonly file?: string } = {},
): Dataset<TaggedRow<TagNames<C>>> {
  const vocabs = new Vocabs(resolveLabels(options.labels));
  const split = parseConllSplit(text, options.file ?? '<text>', 'train', options, vocabs);
  return assemble([split], vocabs).get('train') as unknown as Dataset<TaggedRow<TagNames<C>>>;
}

export async function readConll<const C extends string = string>(
  path: string,
  options: ConllReadOptions<C> = {},
): Promise<Dataset<TaggedRow<TagNames<C>>>> {
  return parseConll(await readTextFile(path), { ...options, file: path });
}

/** Writes rows back as CoNLL text: tag ids become names, sentences end with a blank line. */
export function formatConll<R extends TokenRow>(dataset: Dataset<R>, options: ConllWriteOptions = {}): string {
  const sep = options.separator ?? ' ';
  const columns = options.columns ?? ['tokens', ...tagColumns(dataset.features)];
  const names = columns.map((c) => (c === 'tokens' ? undefined : classLabelOf(dataset.features, c).names));
  const out: string[] = [];
  for (const row of dataset) {
    const values = columns.map((c) => (row as unknown as Record<string, unknown>)[c] as readonly (string | number)[] | undefined);
    const n = row.tokens.length;
    if (n === 0) throw new TokentagError(`row ${row.id} has no tokens; CoNLL cannot represent an empty sentence`);
    values.forEach((v, j) => {
      if (!Array.isArray(v)) throw new TokentagError(`row ${row.id} has no column '${columns[j]}'`);
      if (v.length !== n) throw new TokentagError(`row ${row.id}: ${columns[j]} has ${v.length} values for ${n} tokens`);
    });
    for (let k = 0; k < n; k++) {
      let line = '';
      for (let j = 0; j < columns.length; j++) {
        const v = values[j]![k];
        const labels = names[j];
        let field: string;
        if (typeof v === 'number' && labels) {
          field = labels[v];
          if (field === undefined || !Number.isInteger(v)) {
            throw new TokentagError(`row ${row.id}: ${columns[j]} id ${v} is out of range (${labels.length} labels)`);
          }
        } else field = String(v);
        if (field === '' || /[\s]/.test(field)) {
          throw new TokentagError(`row ${row.id}: ${columns[j]} value ${JSON.stringify(field)} is empty or has whitespace; CoNLL cannot hold it`);
        }
        line += j === 0 ? field : sep + field;
      }
      out.push(line);
    }
    out.push('');
  }
  return out.length ? out.join('\n') + '\n' : '';
}

export async function writeConll<R extends TokenRow>(path: string, dataset: Dataset<R>, options: ConllWriteOptions = {}): Promise<void> {
  writeFileAtomic(path, formatConll(dataset, options));
}
