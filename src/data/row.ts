/** The row shapes of token-classification datasets. */

/** Every row has a string id (as HF exports it: "0", "1", …) and its pre-split words. */
export interface TokenRow {
  readonly id: string;
  readonly tokens: readonly string[];
}

/** Tag ids of one column, one per token; names come from the column's `ClassLabel`. */
export type TagIds = readonly number[];

/**
 * A row with tag columns `C`, each `TagIds`. With literal names (`TaggedRow<'ner_tags'>`) only
 * those exist; with `string` (columns known only at run time) every column other than `id` and
 * `tokens` reads as `TagIds` — an intersection, so `id` and `tokens` keep their own types.
 */
export type TaggedRow<C extends string = string> = TokenRow & { readonly [K in C]: TagIds };

/** The tag ids of `column`, checked at run time (for rows whose columns are only known then). */
export function tagIds(row: TokenRow, column: string): TagIds {
  const v = (row as unknown as Record<string, unknown>)[column];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'number')) {
    throw new TypeError(`row ${row.id} has no tag-id column '${column}'`);
  }
  return v as TagIds;
}

/** Makes a row and its list values read-only; rows are shared between derived datasets. */
export function freezeRow<R extends object>(row: R): R {
  for (const v of Object.values(row)) if (Array.isArray(v) && !Object.isFrozen(v)) Object.freeze(v);
  return Object.freeze(row);
}
