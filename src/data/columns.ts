/** Column lists as users write them: `['tokens', 'pos_tags', '_', 'ner_tags']`. */
import { TokentagError } from '../errors.ts';

/** Marks a file column to skip (e.g. the unused third column of a NER file). */
export const SKIP = '_';

/** What a `columns` entry may be: `'tokens'`, `'_'`, or the name of a tag column. */
export type ColumnName<C extends string> = C | 'tokens' | typeof SKIP;

/** The tag columns named by a `columns` list (what the rows will have besides id and tokens). */
export type TagNames<C extends string> = Exclude<C, 'tokens' | typeof SKIP>;

/** Layouts guessed from the number of columns in a CoNLL file. */
export const AUTO_LAYOUTS: Readonly<Record<number, readonly string[]>> = {
  2: ['tokens', 'ner_tags'], // WNUT-17 and most NER-only files
  3: ['tokens', 'pos_tags', 'chunk_tags'], // CoNLL-2000 chunking
  4: ['tokens', 'pos_tags', 'chunk_tags', 'ner_tags'], // CoNLL-2003
};

/** Rejects lists that cannot name a file's columns; `needTokens` for CoNLL, where position matters. */
export function checkColumns(columns: readonly string[], needTokens: boolean): void {
  const seen = new Set<string>();
  for (const c of columns) {
    if (typeof c !== 'string' || c === '') throw new TokentagError('column names must be non-empty strings');
    if (c === 'id') throw new TokentagError("'id' cannot be a tag column: every row gets its own id");
    if (c !== SKIP && seen.has(c)) throw new TokentagError(`column '${c}' is named twice in [${columns.join(', ')}]`);
    seen.add(c);
  }
  if (needTokens && !seen.has('tokens')) throw new TokentagError(`columns [${columns.join(', ')}] must include 'tokens'`);
}
