/**
 * Label alignment: word labels → one label per token, as `run_ner.py`'s
 * `tokenize_and_align_labels` does, with -100 wherever the loss must not look.
 */
import { TokentagError } from '../errors.ts';
import type { Encoding } from './encode.ts';

export const IGNORE_INDEX = -100;

export interface AlignOptions {
  /**
   * `'first'` (default; run_ner.py without `label_all_tokens`): the first sub-token of a word
   * gets the word's label, the others -100.
   * `'all'` (`label_all_tokens`): every sub-token is labelled, and the labels of a split word are
   * rewritten so the entity stays well-formed — decided from the label **names**:
   * `B-X` → `B-X I-X …`; `I-X` → `I-X …`; IOBES `S-X` → `B-X I-X … E-X`, `E-X` → `I-X … E-X`;
   * BILOU `U-X` → `B-X I-X … L-X`, `L-X` → `I-X … L-X`; anything else (`O`, POS tags) is repeated.
   */
  strategy?: 'first' | 'all';
}

/** For one label id: the ids its first, middle and last sub-tokens get under `'all'`. */
interface SplitLabels {
  first: number | string;
  middle: number | string;
  last: number | string;
}

const tables = new WeakMap<readonly string[], SplitLabels[]>();

function splitTable(labelNames: readonly string[]): SplitLabels[] {
  let table = tables.get(labelNames);
  if (table) return table;
  const index = new Map<string, number>();
  labelNames.forEach((name, i) => {
    if (!index.has(name)) index.set(name, i);
  });
  // A missing label is recorded as its name (a string); it is an error only if a split word needs it.
  const need = (name: string): number | string => index.get(name) ?? name;
  table = labelNames.map((name, id) => {
    const m = /^([BIESLU])-(.+)$/.exec(name);
    if (!m) return { first: id, middle: id, last: id };
    const [, prefix, type] = m;
    switch (prefix) {
      case 'B':
        return { first: id, middle: need(`I-${type}`), last: need(`I-${type}`) };
      case 'S':
        return { first: need(`B-${type}`), middle: need(`I-${type}`), last: need(`E-${type}`) };
      case 'U':
        return { first: need(`B-${type}`), middle: need(`I-${type}`), last: need(`L-${type}`) };
      case 'E':
        return { first: need(`I-${type}`), middle: need(`I-${type}`), last: id };
      case 'L':
        return { first: need(`I-${type}`), middle: need(`I-${type}`), last: id };
      default: // I
        return { first: id, middle: id, last: id };
    }
  });
  tables.set(labelNames, table);
  return table;
}

/**
 * Labels for every token of `encoding`: -100 on special tokens (and on words labelled -100);
 * see `AlignOptions.strategy`. `wordLabels` are the label ids of the **whole sentence**
 * (windows included: `wordIds` are sentence indices). `labelNames[id]` names id `id`.
 */
export function alignLabels(
  encoding: Pick<Encoding, 'wordIds'> & { wordCount?: number },
  wordLabels: ArrayLike<number>,
  labelNames: readonly string[],
  options: AlignOptions = {},
): number[] {
  const strategy = options.strategy ?? 'first';
  if (strategy !== 'first' && strategy !== 'all') throw new TokentagError(`unknown alignment strategy '${String(strategy)}'; expected 'first' or 'all'`);
  if (encoding.wordCount !== undefined && wordLabels.length !== encoding.wordCount) {
    throw new TokentagError(`got ${wordLabels.length} word labels for a sentence of ${encoding.wordCount} words`);
  }
  const wordIds = encoding.wordIds;
  const n = wordIds.length;
  const out = new Array<number>(n);
  const table = strategy === 'all' ? splitTable(labelNames) : undefined;
  let t = 0;
  while (t < n) {
    const w = wordIds[t];
    if (w === null) {
      out[t++] = IGNORE_INDEX;
      continue;
    }
    let end = t + 1;
    while (end < n && wordIds[end] === w) end++;
    if (w >= wordLabels.length) throw new TokentagError(`token ${t} belongs to word ${w}, but only ${wordLabels.length} word labels were given`);
    const label = wordLabels[w];
    if (label !== IGNORE_INDEX && !(Number.isInteger(label) && label >= 0 && label < labelNames.length)) {
      throw new TokentagError(`word ${w} has label id ${label}; expected an integer in 0..${labelNames.length - 1} (or -100)`);
    }
    if (table === undefined || label === IGNORE_INDEX) {
      out[t] = label;
      for (let j = t + 1; j < end; j++) out[j] = IGNORE_INDEX;
    } else if (end - t === 1) {
      out[t] = label;
    } else {
      const split = table[label];
      out[t] = check(split.first, labelNames[label]);
      const middle = check(split.middle, labelNames[label]);
      for (let j = t + 1; j < end - 1; j++) out[j] = middle;
      out[end - 1] = check(split.last, labelNames[label]);
    }
    t = end;
  }
  return out;
}

function check(id: number | string, wordLabel: string): number {
  if (typeof id === 'number') return id;
  throw new TokentagError(
    `label '${id}' is needed to label the sub-tokens of a word tagged '${wordLabel}' (strategy 'all'), but it is not in the label list; ` +
      `add it, or use strategy 'first'`,
  );
}
