/**
 * JSON Lines, one sentence per line, as Hugging Face `datasets` exports them:
 * `{"id": "0", "tokens": ["EU", …], "ner_tags": [3, 0, …]}` (ids; names given separately) or
 * with the tags as names: `{"tokens": […], "ner_tags": ["B-ORG", "O", …]}`.
 */
import { InputError, TokentagError } from '../errors.ts';
import { assemble, type RawRow, type RawSplit } from './build.ts';
import { checkColumns, SKIP, type ColumnName, type TagNames } from './columns.ts';
import type { Dataset } from './dataset.ts';
import { classLabelOf, describeNames, tagColumns } from './features.ts';
import { resolveLabels, type LabelSpec } from './labels.ts';
import type { TaggedRow, TokenRow } from './row.ts';
import { readTextFile, splitLines } from './text.ts';
import { Vocabs, type LabelVocab } from './vocab.ts';
import { writeFileAtomic } from '../io/atomic.ts';

export interface JsonlReadOptions<C extends string = string> {
  /**
   * The fields to read as tag columns (`'tokens'` and `'_'` entries are ignored, so one list
   * serves CoNLL and JSONL). Default: the fields of the first row named `*_tags`, `tags` or `labels`.
   * Other fields are not carried into the dataset.
   */
  readonly columns?: readonly ColumnName<C>[];
  /** Label names per tag column; needed for columns that hold integer ids. */
  readonly labels?: LabelSpec;
}

export interface JsonlWriteOptions {
  /** `'ids'` (default, as HF exports) or `'names'`. */
  readonly tags?: 'ids' | 'names';
}

const isTagField = (key: string): boolean => key.endsWith('_tags') || key === 'tags' || key === 'labels';

export function parseJsonlSplit(text: string, file: string, name: string, options: JsonlReadOptions, vocabs: Vocabs): RawSplit {
  if (options.columns) checkColumns(options.columns, false);
  let columns: string[] | undefined = options.columns?.filter((c) => c !== 'tokens' && c !== SKIP);
  let vocabList: LabelVocab[] = columns?.map((c) => vocabs.get(c)) ?? [];
  const rows: RawRow[] = [];
  const lines = splitLines(text);

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    const at = i + 1;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (e) {
      throw new InputError(file, at, `invalid JSON (${(e as Error).message}); expected one JSON object per line`);
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
      throw new InputError(file, at, 'expected a JSON object with "tokens" and tag columns');
    }
    const rec = obj as Record<string, unknown>;
    const tokens = rec.tokens;
    if (!Array.isArray(tokens) || !tokens.every((t) => typeof t === 'string')) {
      throw new InputError(file, at, 'expected "tokens": an array of strings');
    }
    const id = rec.id;
    if (id !== undefined && typeof id !== 'string' && typeof id !== 'number') {
      throw new InputError(file, at, `expected "id" to be a string or a number, found ${JSON.stringify(id)}`);
    }
    if (!columns) {
      columns = Object.keys(rec).filter(isTagField);
      if (columns.length === 0) {
        throw new InputError(file, at, 'found no tag column (a field named *_tags, tags or labels); pass columns to name it');
      }
      vocabList = columns.map((c) => vocabs.get(c));
    }
    const tags: number[][] = [];
    for (let j = 0; j < columns.length; j++) {
      const column = columns[j];
      const values = rec[column];
      if (!Array.isArray(values)) throw new InputError(file, at, `expected "${column}": an array of tags, one per token`);
      if (values.length !== tokens.length) {
        throw new InputError(file, at, `"${column}" has ${values.length} tags for ${tokens.length} tokens; expected one tag per token`);
      }
      const vocab = vocabList[j];
      const ids = new Array<number>(values.length);
      for (let k = 0; k < values.length; k++) {
        const v: unknown = values[k];
        if (typeof v === 'number') {
          const fixed = vocab.fixed;
          if (!fixed) {
            throw new InputError(file, at, `"${column}" holds integer ids but no label names were given for it (--labels conll2003 | wnut_17 | a list on the command line; labels: 'conll2003' or {${column}: [...]} in loadDataset)`);
          }
          if (!Number.isInteger(v) || v < 0 || v >= fixed.numClasses) {
            throw new InputError(file, at, `"${column}" id ${v} (token ${k + 1}) is out of range; expected an integer in 0..${fixed.numClasses - 1}`);
          }
          ids[k] = v;
        } else if (typeof v === 'string') {
          const id = vocab.id(v);
          if (id < 0) throw new InputError(file, at, `unknown ${column} label '${v}' (expected ${describeNames(vocab.fixed!.names)})`);
          ids[k] = id;
        } else {
          throw new InputError(file, at, `"${column}" holds ${JSON.stringify(v)}; expected a label name or an integer id`);
        }
      }
      tags.push(ids);
    }
    rows.push({ id: id === undefined ? String(rows.length) : String(id), tokens: tokens as string[], tags });
  }
  return { name, file, columns: columns ?? [], rows };
}

export function parseJsonl<const C extends string = string>(
  text: string,
  options: JsonlReadOptions<C> & { readonly file?: string } = {},
): Dataset<TaggedRow<TagNames<C>>> {
  const vocabs = new Vocabs(resolveLabels(options.labels));
  const split = parseJsonlSplit(text, options.file ?? '<text>', 'train', options, vocabs);
  return assemble([split], vocabs).get('train') as unknown as Dataset<TaggedRow<TagNames<C>>>;
}

export async function readJsonl<const C extends string = string>(
  path: string,
  options: JsonlReadOptions<C> = {},
): Promise<Dataset<TaggedRow<TagNames<C>>>> {
  return parseJsonl(await readTextFile(path), { ...options, file: path });
}

/** One JSON object per row, columns in row order; tag columns as ids (HF export) or names. */
export function formatJsonl<R extends TokenRow>(dataset: Dataset<R>, options: JsonlWriteOptions = {}): string {
  const names = new Map(
    options.tags === 'names' ? tagColumns(dataset.features).map((c) => [c, classLabelOf(dataset.features, c)] as const) : [],
  );
  let out = '';
  for (const row of dataset) {
    let obj = row as unknown as Record<string, unknown>;
    if (names.size) {
      obj = { ...obj };
      for (const [c, labels] of names) {
        const ids = obj[c];
        if (!Array.isArray(ids)) throw new TokentagError(`row ${row.id} has no column '${c}'`);
        obj[c] = ids.map((id) => (typeof id === 'number' ? labels.int2str(id) : id));
      }
    }
    out += JSON.stringify(obj) + '\n';
  }
  return out;
}

export async function writeJsonl<R extends TokenRow>(path: string, dataset: Dataset<R>, options: JsonlWriteOptions = {}): Promise<void> {
  writeFileAtomic(path, formatJsonl(dataset, options));
}
