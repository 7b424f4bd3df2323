/**
 * An immutable, in-memory table of rows with typed columns (`features`), modelled on Hugging
 * Face `datasets.Dataset`. Every transform returns a new Dataset; rows are frozen and shared,
 * so `select`, `shuffle` and `filter` copy references, not data.
 */
import { TokentagError } from '../errors.ts';
import { classLabelOf, type ClassLabel, type Features, type FeatureType } from './features.ts';
import { permutation, Rng } from './rng.ts';
import { freezeRow, type TaggedRow } from './row.ts';

/** A column-oriented batch, as HF passes to batched `map`: `{tokens: [[...], [...]], ner_tags: [...]}`. */
export type Batch<Row> = { [K in keyof Row]: Row[K][] };

export interface MapOptions {
  /** Types of new or changed columns; unchanged columns keep their features. */
  readonly features?: Features;
}

export interface BatchedMapOptions extends MapOptions {
  readonly batched: true;
  /** Rows per batch; the last batch may be shorter. Default 1000, as in HF. */
  readonly batchSize?: number;
}

export interface SplitOptions {
  /** A fraction in (0, 1) or a number of rows. The test part gets ceil(fraction × n) rows, as HF. */
  readonly testSize: number;
  readonly seed: number;
  /** Default true; false takes the last rows as test, in order. */
  readonly shuffle?: boolean;
}

export class Dataset<Row extends object = TaggedRow> implements Iterable<Row> {
  readonly features: Features;
  readonly #rows: readonly Row[];

  private constructor(rows: readonly Row[], features: Features) {
    this.#rows = rows;
    this.features = features;
  }

  /** Builds a dataset from rows (copied into frozen objects) and their column types. */
  static from<R extends object>(rows: Iterable<R>, features: Features = {}): Dataset<R> {
    const frozen: R[] = [];
    // Copy unfrozen lists too, so freezing never reaches into the caller's arrays.
    for (const row of rows) {
      if (Object.isFrozen(row)) frozen.push(row);
      else frozen.push(freezeRow(Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Array.isArray(v) && !Object.isFrozen(v) ? [...v] : v])) as R));
    }
    return new Dataset(frozen, Object.freeze({ ...features }));
  }

  /** @internal For rows the readers built and froze themselves: skips the defensive copy. */
  static fromFrozen<R extends object>(rows: readonly R[], features: Features): Dataset<R> {
    return new Dataset(rows, features);
  }

  get length(): number {
    return this.#rows.length;
  }

  get columnNames(): string[] {
    return this.#rows.length ? Object.keys(this.#rows[0]) : Object.keys(this.features);
  }

  get(index: number): Row {
    if (!Number.isInteger(index) || index < 0 || index >= this.#rows.length) {
      throw new RangeError(`row index ${index} is out of range (dataset has ${this.#rows.length} rows)`);
    }
    return this.#rows[index];
  }

  [Symbol.iterator](): Iterator<Row> {
    return this.#rows[Symbol.iterator]();
  }

  /** A copy of the rows (the rows themselves are frozen and shared). */
  toArray(): Row[] {
    return [...this.#rows];
  }

  /** The label names of a tag column. */
  labels(column: string): ClassLabel {
    return classLabelOf(this.features, column);
  }

  /** One column's values, in row order. */
  column<K extends keyof Row & string>(name: K): Row[K][] {
    return this.#rows.map((r) => {
      if (!(name in r)) throw new TokentagError(`no column '${name}' (columns: ${this.columnNames.join(', ')})`);
      return r[name];
    });
  }

  /**
   * Row by row: `fn` returns the whole new row (spread the old one to keep its columns).
   * Batched: `fn` gets and returns column-oriented batches; the output batch may have a
   * different number of rows (e.g. to split long sentences or drop some).
   */
  map<Out extends object>(fn: (row: Row, index: number) => Out, options?: MapOptions): Dataset<Out>;
  map<Out extends object>(fn: (batch: Batch<Row>, indices: number[]) => Batch<Out>, options: BatchedMapOptions): Dataset<Out>;
  map<Out extends object>(
    fn: ((row: Row, index: number) => Out) | ((batch: Batch<Row>, indices: number[]) => Batch<Out>),
    options: MapOptions | BatchedMapOptions = {},
  ): Dataset<Out> {
    const out: Out[] = [];
    if ('batched' in options && options.batched) {
      const size = options.batchSize ?? 1000;
      if (!Number.isInteger(size) || size < 1) throw new RangeError(`batchSize must be a positive integer, got ${size}`);
      const batchFn = fn as (batch: Batch<Row>, indices: number[]) => Batch<Out>;
      for (let start = 0; start < this.#rows.length; start += size) {
        const rows = this.#rows.slice(start, start + size);
        const indices = rows.map((_, i) => start + i);
        for (const row of fromBatch(batchFn(toBatch(rows), indices))) out.push(freezeRow(row));
      }
    } else {
      const rowFn = fn as (row: Row, index: number) => Out;
      this.#rows.forEach((row, i) => {
        const mapped = rowFn(row, i);
        out.push(Object.isFrozen(mapped) ? mapped : freezeRow({ ...mapped }));
      });
    }
    return new Dataset(out, mergeFeatures(this.features, out[0], options.features));
  }

  filter(predicate: (row: Row, index: number) => boolean): Dataset<Row> {
    return new Dataset(this.#rows.filter(predicate), this.features);
  }

  /** The rows at `indices`, in that order (repeats allowed, as in HF). */
  select(indices: Iterable<number>): Dataset<Row> {
    const rows: Row[] = [];
    for (const i of indices) rows.push(this.get(i));
    return new Dataset(rows, this.features);
  }

  /** A deterministic permutation of the rows: the same seed gives the same order everywhere. */
  shuffle(seed: number): Dataset<Row> {
    return this.select(permutation(this.#rows.length, new Rng(seed)));
  }

  /** Splits into `train` and `test` (HF `train_test_split`). */
  trainTestSplit(options: SplitOptions): DatasetDict<Row> {
    const n = this.#rows.length;
    const { testSize } = options;
    let nTest: number;
    if (testSize > 0 && testSize < 1) nTest = Math.ceil(testSize * n);
    else if (Number.isInteger(testSize) && testSize >= 1) nTest = testSize;
    else throw new RangeError(`testSize must be a fraction in (0, 1) or a row count >= 1, got ${testSize}`);
    if (nTest >= n) throw new RangeError(`testSize ${testSize} leaves no rows to train on (dataset has ${n} rows)`);
    const order = options.shuffle === false ? [...Array(n).keys()] : permutation(n, new Rng(options.seed));
    // Like HF: the test part is taken first from the permutation, so it does not depend on n - nTest.
    const testIdx = options.shuffle === false ? order.slice(n - nTest) : order.slice(0, nTest);
    const trainIdx = options.shuffle === false ? order.slice(0, n - nTest) : order.slice(nTest);
    return new DatasetDict({ train: this.select(trainIdx), test: this.select(testIdx) });
  }
}

function toBatch<Row extends object>(rows: readonly Row[]): Batch<Row> {
  const batch: Record<string, unknown[]> = {};
  for (const key of rows.length ? Object.keys(rows[0]) : []) batch[key] = rows.map((r) => (r as Record<string, unknown>)[key]);
  return batch as Batch<Row>;
}

function fromBatch<Out extends object>(batch: Batch<Out>): Out[] {
  const columns = Object.entries(batch) as [string, unknown[]][];
  if (columns.length === 0) return [];
  const n = columns[0][1].length;
  for (const [name, values] of columns) {
    if (!Array.isArray(values)) throw new TypeError(`batched map returned a non-array for column '${name}'`);
    if (values.length !== n) {
      throw new RangeError(`batched map returned columns of different lengths ('${columns[0][0]}': ${n}, '${name}': ${values.length})`);
    }
  }
  return Array.from({ length: n }, (_, i) => Object.fromEntries(columns.map(([name, values]) => [name, values[i]])) as Out);
}

/** Keeps the types of columns that survive a map; `override` types new or changed ones. */
function mergeFeatures(old: Features, first: object | undefined, override: Features | undefined): Features {
  const merged: Record<string, FeatureType> = {};
  const keys = first ? Object.keys(first) : Object.keys(old);
  for (const key of keys) {
    const f = override?.[key] ?? old[key];
    if (f) merged[key] = f;
  }
  return Object.freeze({ ...merged, ...override });
}

/** Named splits (`train`, `validation`, `test`, …) in a fixed order (HF `DatasetDict`). */
export class DatasetDict<Row extends object = TaggedRow> implements Iterable<[string, Dataset<Row>]> {
  readonly #splits: ReadonlyMap<string, Dataset<Row>>;

  constructor(splits: Readonly<Record<string, Dataset<Row>>> | Iterable<readonly [string, Dataset<Row>]>) {
    const entries = Symbol.iterator in splits ? [...(splits as Iterable<[string, Dataset<Row>]>)] : Object.entries(splits);
    this.#splits = new Map(entries);
  }

  /** Split names in order. */
  get names(): string[] {
    return [...this.#splits.keys()];
  }

  has(split: string): boolean {
    return this.#splits.has(split);
  }

  get(split: string): Dataset<Row> {
    const ds = this.#splits.get(split);
    if (!ds) throw new TokentagError(`no split '${split}' (splits: ${this.names.join(', ') || 'none'})`);
    return ds;
  }

  [Symbol.iterator](): Iterator<[string, Dataset<Row>]> {
    return this.#splits.entries();
  }

  map<Out extends object>(fn: (row: Row, index: number) => Out, options?: MapOptions): DatasetDict<Out>;
  map<Out extends object>(fn: (batch: Batch<Row>, indices: number[]) => Batch<Out>, options: BatchedMapOptions): DatasetDict<Out>;
  map<Out extends object>(fn: (arg: never, indices: never) => unknown, options?: MapOptions | BatchedMapOptions): DatasetDict<Out> {
    return new DatasetDict(
      [...this.#splits].map(([name, ds]) => [name, (ds.map as (f: unknown, o: unknown) => Dataset<Out>)(fn, options)] as const),
    );
  }

  filter(predicate: (row: Row, index: number) => boolean): DatasetDict<Row> {
    return new DatasetDict([...this.#splits].map(([name, ds]) => [name, ds.filter(predicate)] as const));
  }
}
