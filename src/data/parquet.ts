/**
 * Token-classification rows from Parquet files — the Hub's dataset format — read with
 * `hyparquet` (pure JavaScript; snappy built in, gzip/brotli/zstd/lz4 from hyparquet-compressors).
 *
 * A file needs a `tokens` column of word lists. Its tag columns are lists of label ids whose names
 * the dataset declares (the `huggingface` key of the file's metadata, else the dataset card's
 * `dataset_info` passed in as `featureLabels`), or lists of label strings (collected like CoNLL
 * tags). A column of label ids without declared names is refused: ids alone cannot say which
 * label is which.
 */
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, type AsyncBuffer, type FileMetaData } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { InputError, TokentagError } from '../errors.ts';
import type { RawRow, RawSplit } from './build.ts';
import { columnsFromParquetMetadata, type ColumnKind, type DeclaredColumns } from './hf-features.ts';
import type { ResolvedLabels } from './labels.ts';
import type { Vocabs } from './vocab.ts';

export interface ParquetSource {
  readonly file: string;
  readonly buffer: AsyncBuffer;
  readonly metadata: FileMetaData;
  /** Column kinds from the file's `huggingface` metadata, if it has any. */
  readonly declared: DeclaredColumns | undefined;
}

export async function openParquet(file: string): Promise<ParquetSource> {
  let buffer: AsyncBuffer;
  let metadata: FileMetaData;
  try {
    buffer = await asyncBufferFromFile(file);
    metadata = await parquetMetadataAsync(buffer);
  } catch (e) {
    throw new InputError(file, undefined, `not a readable Parquet file (${(e as Error).message})`);
  }
  const hf = metadata.key_value_metadata?.find((kv) => kv.key === 'huggingface')?.value;
  return { file, buffer, metadata, declared: columnsFromParquetMetadata(hf, file) };
}

/** The top-level column names, in schema order. */
export function parquetColumns(p: ParquetSource): string[] {
  const names: string[] = [];
  const schema = p.metadata.schema;
  // Walk the flattened schema tree: each element has num_children following it.
  let i = 1;
  const skip = (): void => {
    const n = schema[i]!.num_children ?? 0;
    i++;
    for (let k = 0; k < n; k++) skip();
  };
  while (i < schema.length) {
    names.push(schema[i]!.name);
    skip();
  }
  return names;
}

/** What a column holds when nothing declares it: looked up in the first rows. */
function inferKind(rows: readonly Record<string, unknown>[], column: string): ColumnKind {
  for (const r of rows) {
    const v = r[column];
    if (v === null || v === undefined) continue;
    if (typeof v === 'string') return { kind: 'string' };
    if (typeof v === 'number' || typeof v === 'bigint') return { kind: 'int' };
    if (Array.isArray(v)) {
      const x = v.find((e) => e !== null && e !== undefined);
      if (x === undefined) continue;
      if (typeof x === 'string') return { kind: 'string-list' };
      if (typeof x === 'number' || typeof x === 'bigint') return { kind: 'int-list' };
    }
    return { kind: 'other' };
  }
  return { kind: 'other' };
}

export interface ParquetSplitOptions {
  /** Label names per column (given, declared by the file or by the card), fixed in `vocabs`. */
  readonly labels: ResolvedLabels;
  /** Row ids continue from here when the file has no `id` column (shards of one split). */
  readonly idOffset?: number;
}

/** Reads one Parquet file as (part of) a split. */
export async function parseParquetSplit(p: ParquetSource, split: string, vocabs: Vocabs, options: ParquetSplitOptions): Promise<RawSplit> {
  const names = parquetColumns(p);
  if (!names.includes('tokens')) {
    throw new InputError(p.file, undefined, `no 'tokens' column (a token-classification Parquet file needs one, a list of words per row); its columns: ${names.join(', ')}`);
  }
  let rows: Record<string, unknown>[];
  try {
    rows = (await parquetReadObjects({ file: p.buffer, compressors, metadata: p.metadata })) as Record<string, unknown>[];
  } catch (e) {
    throw new InputError(p.file, undefined, `cannot read the Parquet data (${(e as Error).message})`);
  }
  const kinds = new Map(names.map((c) => [c, p.declared?.[c] ?? inferKind(rows, c)] as const));
  if (kinds.get('tokens')!.kind !== 'string-list') throw new InputError(p.file, undefined, `the 'tokens' column must hold lists of strings`);
  const tagColumns: { name: string; ids: boolean }[] = [];
  for (const [c, k] of kinds) {
    if (c === 'tokens' || c === 'id') continue;
    if (k.kind === 'label-list' || k.kind === 'string-list') tagColumns.push({ name: c, ids: k.kind === 'label-list' });
    else if (k.kind === 'int-list') {
      if (options.labels[c] !== undefined) tagColumns.push({ name: c, ids: true });
      else if (/tag|label/i.test(c)) {
        throw new InputError(p.file, undefined, `column '${c}' holds label ids but the dataset declares no label names for it (no 'huggingface' metadata in the file, no dataset_info in its card); give them with the labels option ({${c}: ['O', …]})`);
      }
    }
  }
  const offset = options.idOffset ?? 0;
  const out: RawRow[] = rows.map((r, i) => {
    const where = (detail: string) => new InputError(p.file, undefined, `row ${offset + i}: ${detail}`);
    const tokens = r.tokens;
    if (!Array.isArray(tokens) || tokens.some((t) => typeof t !== 'string')) throw where("'tokens' must be a list of strings");
    const tags = tagColumns.map(({ name, ids }) => {
      const v = r[name];
      if (!Array.isArray(v)) throw where(`'${name}' must be a list`);
      if (v.length !== tokens.length) throw where(`'${name}' has ${v.length} labels for ${tokens.length} tokens`);
      const vocab = vocabs.get(name);
      return v.map((x, j) => {
        if (ids) {
          const id = Number(x);
          const n = vocab.fixed?.numClasses ?? 0;
          if (!Number.isInteger(id) || id < 0 || id >= n) throw where(`'${name}'[${j}] is ${String(x)}, not a label id in 0..${n - 1}`);
          return id;
        }
        const id = vocab.id(String(x));
        if (id < 0) throw where(`'${name}'[${j}] is '${String(x)}', not one of the given labels`);
        return id;
      });
    });
    const id = r.id === undefined || r.id === null ? String(offset + i) : String(r.id);
    return { id, tokens: tokens as string[], tags };
  });
  return { name: split, file: p.file, columns: tagColumns.map((t) => t.name), rows: out };
}

/** Label names the files declare, per column; files of one dataset must agree. */
export function declaredParquetLabels(sources: readonly ParquetSource[]): ResolvedLabels {
  const out: Record<string, readonly string[]> = {};
  const from: Record<string, string> = {};
  for (const s of sources) {
    for (const [c, k] of Object.entries(s.declared ?? {})) {
      if (k.kind !== 'label-list') continue;
      const prev = out[c];
      if (prev && prev.join('\0') !== k.names.join('\0')) {
        throw new TokentagError(`${s.file} and ${from[c]} declare different labels for '${c}': [${k.names.join(', ')}] vs [${prev.join(', ')}]`);
      }
      out[c] = k.names;
      from[c] = s.file;
    }
  }
  return out;
}
