/**
 * The last step of every reader: provisional tag ids become final ids (once all splits are
 * read and collected label lists are sorted) and raw rows become frozen dataset rows.
 */
import { TokentagError } from '../errors.ts';
import { Dataset, DatasetDict } from './dataset.ts';
import { tokenClassificationFeatures, type ClassLabel } from './features.ts';
import { freezeRow, type TaggedRow } from './row.ts';
import type { Vocabs } from './vocab.ts';

export interface RawRow {
  readonly id: string;
  readonly tokens: string[];
  /** `tags[j]` holds the ids of `RawSplit.columns[j]`. */
  readonly tags: number[][];
}

export interface RawSplit {
  readonly name: string;
  readonly file: string;
  /** Tag column names; empty for a file with no rows (its layout is unknown). */
  readonly columns: readonly string[];
  readonly rows: RawRow[];
}

export function assemble(splits: readonly RawSplit[], vocabs: Vocabs): DatasetDict<TaggedRow> {
  const reference = splits.find((s) => s.rows.length > 0) ?? splits[0];
  const columns = reference?.columns ?? [];
  for (const s of splits) {
    if (s.rows.length > 0 && s.columns.join('\0') !== columns.join('\0')) {
      throw new TokentagError(
        `splits disagree on their tag columns: ${reference.file} has ${columns.join(', ') || 'none'}, ` +
          `${s.file} has ${s.columns.join(', ') || 'none'} (pass columns to read them the same way)`,
      );
    }
  }
  const labels: Record<string, ClassLabel> = {};
  const remaps: (Int32Array | undefined)[] = [];
  for (const c of columns) {
    const finished = vocabs.get(c).finish();
    labels[c] = finished.labels;
    remaps.push(finished.remap);
  }
  const features = tokenClassificationFeatures(labels);
  return new DatasetDict(
    splits.map((s) => {
      const rows = s.rows.map((raw) => {
        const row: Record<string, string | readonly string[] | readonly number[]> = { id: raw.id, tokens: raw.tokens };
        for (let j = 0; j < columns.length; j++) {
          const ids = raw.tags[j];
          const remap = remaps[j];
          if (remap) for (let k = 0; k < ids.length; k++) ids[k] = remap[ids[k]];
          row[columns[j]] = ids;
        }
        return freezeRow(row as TaggedRow);
      });
      return [s.name, Dataset.fromFrozen(rows, features)] as const;
    }),
  );
}
