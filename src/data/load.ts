/**
 * `loadDataset`: from a file, a directory of split files, an explicit `{split: file(s)}` map, or a
 * Hugging Face Hub dataset id (`conll2003`, `org/name@revision`) to a `DatasetDict`. What a
 * local source *is* is decided in one place (`resolveSource`); a name that is not a local path
 * goes to the Hub (hub/dataset.ts), which hands back local Parquet files.
 */
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { TokentagError } from '../errors.ts';
import { assemble, type RawSplit } from './build.ts';
import type { TagNames } from './columns.ts';
import { formatConll, parseConllSplit, type ConllReadOptions, type ConllWriteOptions } from './conll.ts';
import { parseConlluSplit, type ConlluReadOptions } from './conllu.ts';
import type { DatasetDict } from './dataset.ts';
import { formatJsonl, parseJsonlSplit, type JsonlReadOptions, type JsonlWriteOptions } from './jsonl.ts';
import { resolveLabels, type ResolvedLabels } from './labels.ts';
import { declaredParquetLabels, openParquet, parseParquetSplit, type ParquetSource } from './parquet.ts';
import { resolveHubDataset } from '../hub/dataset.ts';
import type { HubOptions } from '../hub/settings.ts';
import type { TaggedRow, TokenRow } from './row.ts';
import { readTextFile } from './text.ts';
import { makeDirs, whyMissing } from '../io/writable.ts';
import { Vocabs } from './vocab.ts';
import { detectDataFormat, formatOfExtension, SPLIT_FILE_EXTENSIONS, type DataFormat } from './format.ts';
import { writeFileAtomic } from '../io/atomic.ts';

export type { DataFormat } from './format.ts';

/**
 * A file, a directory of split files, explicit files per split (`{train: 'a.txt', validation:
 * ['b-0.parquet', 'b-1.parquet']}`), or a Hub dataset id.
 */
export type DataSource = string | Readonly<Record<string, string | readonly string[]>>;

export interface LoadOptions<C extends string = string> extends ConllReadOptions<C>, JsonlReadOptions<C>, ConlluReadOptions<C> {
  /** Default: decided per file by the one rule in format.ts (explicit, extension, then content). */
  readonly format?: DataFormat;
  /** Only these splits (a Hub dataset then downloads only them). Default: all. */
  readonly splits?: readonly string[];
  /** A Hub dataset's configuration (`--dataset-config`); default the `default` one or the only one. */
  readonly config?: string;
  /** Label names the source declares elsewhere (a dataset card's `dataset_info`); a Parquet file's own metadata wins. */
  readonly featureLabels?: ResolvedLabels;
  /** Where and how to reach the Hub (default: the environment, as Python). */
  readonly hub?: HubOptions;
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
const SPLIT_ORDER = ['train', 'validation', 'test'];

/**
 * `dev.txt` → `validation`; undefined for a name that is not a split file. Parquet shards name
 * their split before a dash, as the Hub writes them: `train-00000-of-00002.parquet`.
 */
export function splitOfFile(file: string): string | undefined {
  const name = basename(file);
  const ext = extname(name).toLowerCase();
  if (!SPLIT_FILE_EXTENSIONS.has(ext)) return undefined;
  const stem = name.slice(0, name.indexOf('.'));
  return SPLIT_ALIASES[(ext === '.parquet' ? stem.split('-')[0]! : stem).toLowerCase()];
}

/** Decides which files make up which splits. */
export async function resolveSource(source: DataSource): Promise<SplitFile[]> {
  if (typeof source !== 'string') {
    const entries = Object.entries(source).flatMap(([split, f]) => (typeof f === 'string' ? [f] : f).map((file) => ({ split, file })));
    if (entries.length === 0) throw new TokentagError('no split files given');
    return entries;
  }
  let info;
  try {
    info = await stat(source);
  } catch {
    throw new TokentagError(`${source}: ${whyMissing(source)}`);
  }
  if (info.isFile()) return [{ split: splitOfFile(source) ?? 'train', file: source }];
  const found = new Map<string, string[]>();
  for (const name of (await readdir(source)).sort()) {
    const split = splitOfFile(name);
    if (!split) continue;
    const prev = found.get(split);
    // Several Parquet shards make one split; two text files for one split are a mistake.
    if (prev && !(formatOfExtension(name) === 'parquet' && formatOfExtension(prev[0]!) === 'parquet')) {
      throw new TokentagError(`${source}: both ${prev[0]} and ${name} would be the ${split} split; keep one`);
    }
    found.set(split, [...(prev ?? []), name]);
  }
  if (found.size === 0) {
    throw new TokentagError(`${source}: no split files found (expected train, dev|validation|valid, test with ${[...SPLIT_FILE_EXTENSIONS].join(', ')})`);
  }
  const rank = (s: string): number => (SPLIT_ORDER.includes(s) ? SPLIT_ORDER.indexOf(s) : SPLIT_ORDER.length);
  return [...found]
    .sort(([a], [b]) => rank(a) - rank(b) || (a < b ? -1 : 1))
    .flatMap(([split, names]) => names.map((name) => ({ split, file: join(source, name) })));
}

/**
 * Loads every split (or `options.splits`); collected label lists are shared by all splits, so an
 * id means the same label in train and test. A string that is no local path is a Hub dataset id.
 */
export async function loadDataset<const C extends string = string>(
  source: DataSource,
  options: LoadOptions<C> = {},
): Promise<DatasetDict<TaggedRow<TagNames<C>>>> {
  if (typeof source === 'string' && source !== '' && !existsSync(source)) {
    const hub = await resolveHubDataset(source, options);
    return loadDataset<C>(hub.files, { ...options, featureLabels: { ...hub.featureLabels, ...options.featureLabels } });
  }
  let files = await resolveSource(source);
  if (options.splits) {
    const missing = options.splits.filter((s) => !files.some((f) => f.split === s));
    if (missing.length > 0) throw new TokentagError(`no ${missing.join(', ')} split in ${typeof source === 'string' ? source : 'the given files'} (it has: ${[...new Set(files.map((f) => f.split))].join(', ')})`);
    files = files.filter((f) => options.splits!.includes(f.split));
  }
  // Parquet is binary: only the explicit format or the extension can say so (format.ts, rule 1–2).
  const isParquet = (file: string) => (options.format ?? formatOfExtension(file)) === 'parquet';
  const parquet = new Map<string, ParquetSource>();
  for (const f of files) if (isParquet(f.file)) parquet.set(f.file, await openParquet(f.file));
  const labels = labelsFor(resolveLabels(options.labels), declaredParquetLabels([...parquet.values()]), options.featureLabels ?? {});
  const vocabs = new Vocabs(labels);
  const splits: RawSplit[] = [];
  for (const { split, file } of files) {
    const p = parquet.get(file);
    const prev = splits.find((s) => s.name === split);
    const raw = p ? await parseParquetSplit(p, split, vocabs, { labels, idOffset: prev?.rows.length ?? 0 }) : await parseTextSplit(file, split, options, vocabs);
    if (!prev) splits.push(raw);
    else if (prev.columns.join('\0') !== raw.columns.join('\0')) {
      throw new TokentagError(`${prev.file} and ${file} (both ${split}) have different tag columns: ${prev.columns.join(', ')} vs ${raw.columns.join(', ')}`);
    } else prev.rows.push(...raw.rows);
  }
  return assemble(splits, vocabs) as unknown as DatasetDict<TaggedRow<TagNames<C>>>;
}

/** A text split file, read by its format as the one rule (format.ts) decides it. */
async function parseTextSplit(file: string, split: string, options: LoadOptions, vocabs: Vocabs): Promise<RawSplit> {
  const text = await readTextFile(file);
  const format = detectDataFormat(file, () => text, options.format).format;
  if (format === 'jsonl') return parseJsonlSplit(text, file, split, options, vocabs);
  if (format === 'conllu') return parseConlluSplit(text, file, split, options, vocabs);
  return parseConllSplit(text, file, split, options, vocabs);
}

/**
 * The label names each column gets: what the data declares (the Parquet files' own metadata,
 * then the card's), and what the caller gave for the other columns. A given list that
 * contradicts a declared one is an error: ids would change meaning.
 */
function labelsFor(given: ResolvedLabels, fromFiles: ResolvedLabels, fromCard: ResolvedLabels): ResolvedLabels {
  const out: Record<string, readonly string[]> = { ...given };
  for (const [column, names] of Object.entries({ ...fromCard, ...fromFiles })) {
    const g = given[column];
    if (g && g.join('\0') !== names.join('\0')) {
      throw new TokentagError(`the labels given for '${column}' ([${g.join(', ')}]) differ from the ones the dataset declares ([${names.join(', ')}])`);
    }
    out[column] = names;
  }
  return out;
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
  makeDirs(dir);
  const files: string[] = [];
  if (options.format === 'conllu' || options.format === 'parquet') throw new TokentagError(`saveDataset writes CoNLL or JSON Lines, not ${options.format === 'conllu' ? 'CoNLL-U (its other fields are not kept)' : 'Parquet'}`);
  for (const [split, ds] of dict) {
    const jsonl = options.format === 'jsonl';
    const file = join(dir, `${split}.${jsonl ? 'jsonl' : 'txt'}`);
    writeFileAtomic(file, jsonl ? formatJsonl(ds, options) : formatConll(ds, options));
    files.push(file);
  }
  return files;
}

/**
 * `datasets.load_dataset`, spelled as in Python (the course's `load_dataset("conll2003")`):
 * {@link loadDataset} — a Hub dataset id, a file, or a directory of split files.
 */
export const load_dataset: typeof loadDataset = loadDataset;
