/**
 * Column types of a dataset, shaped like Hugging Face `datasets.Features`, so that the label
 * names travel with the data and ids mean the same thing here as in Python.
 */
import { TokentagError } from '../errors.ts';

export type ValueDtype = 'string' | 'int32' | 'int64' | 'float32' | 'float64' | 'bool';

/** A scalar column (HF `Value`). */
export interface Value {
  readonly kind: 'value';
  readonly dtype: ValueDtype;
}

/** A list column (HF `Sequence`); a tag column is a sequence of class labels. */
export interface Sequence<F extends FeatureType = FeatureType> {
  readonly kind: 'sequence';
  readonly feature: F;
}

export type FeatureType = Value | ClassLabel | Sequence;

/** Column name → type, in column order. */
export type Features = { readonly [column: string]: FeatureType };

/**
 * An integer label with names (HF `ClassLabel`): id i is `names[i]`. Serialises to the plain
 * `{kind: 'classLabel', names}`; the lookup table is private so JSON stays clean.
 */
export class ClassLabel {
  readonly kind = 'classLabel' as const;
  readonly names: readonly string[];
  readonly #index: ReadonlyMap<string, number>;

  constructor(names: readonly string[]) {
    const index = new Map<string, number>();
    names.forEach((name, i) => {
      if (typeof name !== 'string' || name === '') throw new TokentagError(`label ${i} must be a non-empty string`);
      if (index.has(name)) throw new TokentagError(`label '${name}' appears twice (ids ${index.get(name)} and ${i})`);
      index.set(name, i);
    });
    this.names = Object.freeze([...names]);
    this.#index = index;
  }

  /** Accepts a `ClassLabel`, a plain `{names}` (e.g. parsed JSON) or a bare name list. */
  static from(source: ClassLabel | { readonly names: readonly string[] } | readonly string[]): ClassLabel {
    if (source instanceof ClassLabel) return source;
    return new ClassLabel(Array.isArray(source) ? source : (source as { names: readonly string[] }).names);
  }

  get numClasses(): number {
    return this.names.length;
  }

  /** The id of `name`, or -1 — the non-throwing form readers use on every token. */
  indexOf(name: string): number {
    return this.#index.get(name) ?? -1;
  }

  has(name: string): boolean {
    return this.#index.has(name);
  }

  str2int(name: string): number {
    const id = this.indexOf(name);
    if (id < 0) throw new TokentagError(`unknown label '${name}' (expected ${describeNames(this.names)})`);
    return id;
  }

  int2str(id: number): string {
    if (!Number.isInteger(id) || id < 0 || id >= this.names.length) {
      throw new TokentagError(`label id ${id} is out of range (expected an integer in 0..${this.names.length - 1})`);
    }
    return this.names[id];
  }

  toJSON(): { kind: 'classLabel'; names: readonly string[] } {
    return { kind: this.kind, names: this.names };
  }
}

/** "one of: O, B-PER, …" — shortened so an error about 47 POS tags stays one readable line. */
export function describeNames(names: readonly string[], max = 12): string {
  const shown = names.slice(0, max).map((n) => `'${n}'`).join(', ');
  return `one of ${shown}${names.length > max ? `, … (${names.length} labels)` : ''}`;
}

export const value = (dtype: ValueDtype): Value => ({ kind: 'value', dtype });
export const sequence = <F extends FeatureType>(feature: F): Sequence<F> => ({ kind: 'sequence', feature });

/** Features of a token-classification dataset: `id`, `tokens`, then one tag column per entry. */
export function tokenClassificationFeatures(tags: Readonly<Record<string, ClassLabel>>): Features {
  const features: Record<string, FeatureType> = { id: value('string'), tokens: sequence(value('string')) };
  for (const [column, labels] of Object.entries(tags)) features[column] = sequence(labels);
  return Object.freeze(features);
}

/** The columns that are sequences of class labels, in column order. */
export function tagColumns(features: Features): string[] {
  return Object.keys(features).filter((c) => {
    const f = features[c];
    return f.kind === 'sequence' && f.feature instanceof ClassLabel;
  });
}

/** The label names of a tag column; throws if the column is not one. */
export function classLabelOf(features: Features, column: string): ClassLabel {
  const f = features[column];
  if (f?.kind === 'sequence' && f.feature instanceof ClassLabel) return f.feature;
  const tags = tagColumns(features);
  throw new TokentagError(`'${column}' is not a tag column (tag columns: ${tags.length ? tags.join(', ') : 'none'})`);
}
