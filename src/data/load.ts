/**
 * `loadDataset`: from a file, a directory of split files or an explicit `{split: file}` map to a
 * `DatasetDict`. What a source *is* is decided in one place (`resolveSource`) so that new kinds
 * of source (Hub ids, Parquet) plug in there.
 */
import { mkdir, readdir, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { TokentagError } from '../errors.ts';
import { assemble, type RawSplit } from './build.ts';
import type { TagNames } from './columns.ts';
import { formatConll, parseConllSplit, type ConllReadOptions, type ConllWriteOptions } from './conll.ts';
import type { DatasetDict } from './dataset.ts';
import { formatJsonl, parseJsonlSplit, type JsonlReadOptions, type JsonlWriteOptions } from './jsonl.ts';
import { resolveLabels } from './labels.ts';
import type { TaggedRow, TokenRow } from './row.ts';
import { readTextFile } from './text.ts';
import { Vocabs } from './vocab.ts';
import { writeFileAtomic } from '../io/atomic.ts';

export type DataFormat = 'conll' | 'jsonl';

/** A file, a directory of split files, or explicit files per split: `{train: 'a.txt', validation: 'b.txt'}`. */
export type DataSource = string | Readonly<Record<string, string>>;

export interface LoadOptions<C extends string = string> extends ConllReadOptions<C>, JsonlReadOptions<C> {
  /** Default: by extension — `.jsonl` is JSONL, anything else CoNLL. */
  readonly format?: DataFormat;
}

export interface SplitFile {
  readonly split: string;
  readonly file: string;
}

/** File base names (before the first dot) that name a split, and the split they name. */
const SPLIT_ALIASES: Readonly<Record<string, string>> = {
  train: 'train',
  training: 'train',
  dev: 'validation',
  valid: 'validation',
  val: 'validation',
  validation: 'validation',
  test: 'test',
};
const DATA_EXTENSIONS = new Set(['.txt', '.conll', '.jsonl']);
const SPLIT_ORDER = ['train', 'validation', 'test'];

/** `dev.txt` → `validation`; undefined for a name that is not a split file. */
export function splitOfFile(file: string): string | undefined {
  const name = basename(file);
  if (!DATA_EXTENSIONS.has(extname(name))) return undefined;
  return SPLIT_ALIASES[name.slice(0, name.indexOf('.')).toLowerCase()];
}

export function formatOfFile(file: string): DataFormat {
  return extname(file).toLowerCase() === '.jsonl' ? 'jsonl' : 'conll';
}

/** Decides which files make up which splits. */
export async function resolveSource(source: DataSource): Promise<SplitFile[]> {
  if (typeof source !== 'string') {
    const entries = Object.entries(source);
    if (entries.length === 0) throw new TokentagError('no split files given');
    return entries.map(([split, file]) => ({ split, file }));
  }
  let info;
  try {
    info = await stat(source);
  } catch {
    throw new TokentagError(`${source}: no such file or directory`);
  }
  if (info.isFile()) return [{ split: splitOfFile(source) ?? 'train', file: source }];
  const found = new Map<string, string>();
  for (const name of (await readdir(source)).sort()) {
    const split = splitOfFile(name);
    if (!split) continue;
    const prev = found.get(split);
    if (prev) throw new TokentagError(`${source}: both ${prev} and ${name} would be the ${split} split; keep one`);
    found.set(split, name);
  }
  if (found.size === 0) {
    throw new TokentagError(`${source}: no split files found (expected train, dev|validation|valid, test with .txt, .conll or .jsonl)`);
  }
  const rank = (s: string): number => (SPLIT_ORDER.includes(s) ? SPLIT_ORDER.indexOf(s) : SPLIT_ORDER.length);
  return [...found]
    .sort(([a], [b]) => rank(a) - rank(b) || (a < b ? -1 : 1))
    .map(([split, name]) => ({ split, file: join(source, name) }));
}

/**
 * Loads every split; collected label lists are shared by all splits, so an id means the same
 * label in train and test.
 */
export async function loadDataset<const C extends string = string>(
  source: DataSource,
  options: LoadOptions<C> = {},
): Promise<DatasetDict<TaggedRow<TagNames<C>>>> {
  const files = await resolveSource(source);
  const vocabs = new Vocabs(resolveLabels(options.labels));
  const texts = await Promise.all(files.map((f) => readTextFile(f.file)));
  const splits: RawSplit[] = files.map(({ split, file }, i) =>
    (options.format ?? formatOfFile(file)) === 'jsonl'
      ? parseJsonlSplit(texts[i], file, split, options, vocabs)
      : parseConllSplit(texts[i], file, split, options, vocabs),
  );
  return assemble(splits, vocabs) as unknown as DatasetDict<TaggedRow<TagNames<C>>>;
}

export function loadConll<const C extends string = string>(source: DataSource, options: ConllReadOptions<C> = {}) {
  return loadDataset<C>(source, { ...options, format: 'conll' });
}

export function loadJsonl<const C extends string = string>(source: DataSource, options: JsonlReadOptions<C> = {}) {
  return loadDataset<C>(source, { ...options, format: 'jsonl' });
}

export type SaveOptions = { readonly format?: DataFormat } & ConllWriteOptions & JsonlWriteOptions;

/** Writes each split to `dir/<split>.txt` (CoNLL, default) or `dir/<split>.jsonl`; returns the files. */
export async function saveDataset<R extends TokenRow>(dict: DatasetDict<R>, dir: string, options: SaveOptions = {}): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (const [split, ds] of dict) {
    const jsonl = options.format === 'jsonl';
    const file = join(dir, `${split}.${jsonl ? 'jsonl' : 'txt'}`);
    writeFileAtomic(file, jsonl ? formatJsonl(ds, options) : formatConll(ds, options));
    files.push(file);
  }
  return files;
}
