/**
 * An immutable, in-memory table of rows with typed columns (`features`), modelled on Hugging
 * Face `datasets.Dataset`. Every transform returns a new Dataset; rows are frozen and shared,
 * so `select`, `shuffle` and `filter` copy references, not data.
 */
import { TokentagError } from '../errors.ts';
import { classLabelOf, describeNames, type ClassLabel, type Features, type FeatureType, type Sequence, type Value } from './features.ts';
import { permutation, Rng } from './rng.ts';
import { freezeRow, type TagIds, type TaggedRow, type TokenRow } from './row.ts';

/** A column-oriented batch, as HF passes to batched `map`: `{tokens: [[...], [...]], ner_tags: [...]}`. */
export type Batch<Row> = { [K in keyof Row]: Row[K][] };

/**
 * The rows a batched `map` function's result makes: one column per property whose value is an
 * array (methods and other values are not columns, so a tokenizer's `BatchEncoding`, with its
 * `word_ids()`, can be returned as it is, as in Python).
 */
export type RowOf<B> = { readonly [K in keyof B as NonNullable<B[K]> extends readonly unknown[] ? K : never]-?: NonNullable<B[K]> extends readonly (infer T)[] ? T : never };

/**
 * The column types of a dataset of `Row`s. For token-classification rows (`id`, `tokens`, tag
 * columns) a tag column is a sequence of class labels, so `features['ner_tags'].feature.names`
 * reads as in Python; other rows get the general {@link Features}.
 */
export type FeaturesOf<Row> = Row extends TokenRow
  ? { readonly [K in keyof Row]: K extends 'id' ? Value : K extends 'tokens' ? Sequence<Value> : Row[K] extends TagIds ? Sequence<ClassLabel> : FeatureType }
  : Features;

export interface MapOptions {
  /** Types of new or changed columns; unchanged columns keep their features. */
  readonly features?: Features;
  /**
   * Columns of the input to drop before the function's result is merged in (Hugging Face's
   * `remove_columns`): `remove_columns: raw_datasets.train.columnNames` keeps only what the
   * function returns. Each must be a column of the dataset.
   */
  readonly remove_columns?: string | readonly string[];
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
  readonly #features: Features;
  readonly #rows: readonly Row[];

  private constructor(rows: readonly Row[], features: Features) {
    this.#rows = rows;
    this.#features = features;
  }

  /**
   * Column name → type (`ClassLabel` names travel here): `features['ner_tags'].feature.names`
   * are the label names of a tag column, as in Hugging Face `datasets`.
   */
  get features(): FeaturesOf<Row> {
    return this.#features as FeaturesOf<Row>;
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

  /** The column names, in order (Hugging Face's `column_names`). */
  get columnNames(): string[] {
    return this.#rows.length ? Object.keys(this.#rows[0]) : Object.keys(this.#features);
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
    return classLabelOf(this.#features, column);
  }

  /** One column's values, in row order. */
  column<K extends keyof Row & string>(name: K): Row[K][] {
    return this.#rows.map((r) => {
      if (!(name in r)) throw new TokentagError(`no column '${name}' (columns: ${this.columnNames.join(', ')})`);
      return r[name];
    });
  }

  /**
   * Hugging Face's `Dataset.map`. Row by row, `fn(row, index)` returns new or changed columns;
   * batched (`{ batched: true }`), `fn(batch, indices)` gets column-oriented batches and returns
   * one, which may have another number of rows (e.g. to split long sentences or drop some).
   * As in Python, the result is merged into the input row: columns `fn` returns replace or
   * extend the input's, the others are kept unless named in `remove_columns` — a batch that
   * changes the row count must remove every input column it does not return. An `async` `fn`
   * (a tokenizer call is asynchronous here) makes `map` return a promise of the dataset.
   */
  map<B extends object>(fn: (batch: Batch<Row>, indices: number[]) => Promise<B>, options: BatchedMapOptions): Promise<Dataset<Merged<Row, RowOf<B>>>>;
  map<B extends object>(fn: (batch: Batch<Row>, indices: number[]) => B, options: BatchedMapOptions): Dataset<Merged<Row, RowOf<B>>>;
  map<Out extends object>(fn: (row: Row, index: number) => Promise<Out>, options?: MapOptions): Promise<Dataset<Merged<Row, Out>>>;
  map<Out extends object>(fn: (row: Row, index: number) => Out, options?: MapOptions): Dataset<Merged<Row, Out>>;
  map(fn: (arg: never, index: never) => unknown, options: MapOptions | BatchedMapOptions = {}): Dataset<object> | Promise<Dataset<object>> {
    const removed = this.#removedColumns(options.remove_columns);
    const batched = 'batched' in options && options.batched;
    const size = batched ? (options.batchSize ?? 1000) : 1;
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`batchSize must be a positive integer, got ${size}`);
    const chunks: { start: number; rows: readonly Row[] }[] = [];
    for (let start = 0; start < this.#rows.length; start += size) chunks.push({ start, rows: this.#rows.slice(start, start + size) });
    const call = (c: { start: number; rows: readonly Row[] }): unknown =>
      batched
        ? (fn as (b: Batch<Row>, i: number[]) => unknown)(toBatch(c.rows), c.rows.map((_, i) => c.start + i))
        : (fn as (r: Row, i: number) => unknown)(c.rows[0], c.start);
    const finish = (results: readonly unknown[]): Dataset<object> => {
      const out: object[] = [];
      results.forEach((r, k) => {
        const inputs = chunks[k].rows;
        const produced = batched ? fromBatch(r as Batch<object>) : [checkRow(r, chunks[k].start)];
        for (const row of mergeRows(inputs, produced, removed, chunks[k].start)) out.push(row);
      });
      return new Dataset(out, mergeFeatures(this.#features, out[0], removed, options.features));
    };
    // Synchronous until the first result that is a promise; from then on every call is awaited in order.
    const results: unknown[] = [];
    for (let k = 0; k < chunks.length; k++) {
      const r = call(chunks[k]);
      if (r instanceof Promise) {
        return (async () => {
          results.push(await r);
          for (let j = k + 1; j < chunks.length; j++) results.push(await call(chunks[j]));
          return finish(results);
        })();
      }
      results.push(r);
    }
    return finish(results);
  }

  /** `remove_columns` checked against the columns, as Hugging Face does. */
  #removedColumns(spec: MapOptions['remove_columns']): ReadonlySet<string> {
    if (spec === undefined) return new Set();
    const names = typeof spec === 'string' ? [spec] : [...spec];
    const columns = this.columnNames;
    const missing = names.filter((n) => !columns.includes(n));
    if (missing.length > 0) {
      throw new TokentagError(`remove_columns: ${missing.map((m) => `'${m}'`).join(', ')} ${missing.length === 1 ? 'is not a column' : 'are not columns'} of the dataset (its columns: ${describeNames(columns)})`);
    }
    return new Set(names);
  }

  filter(predicate: (row: Row, index: number) => boolean): Dataset<Row> {
    return new Dataset(this.#rows.filter(predicate), this.#features);
  }

  /** The rows at `indices`, in that order (repeats allowed, as in HF). */
  select(indices: Iterable<number>): Dataset<Row> {
    const rows: Row[] = [];
    for (const i of indices) rows.push(this.get(i));
    return new Dataset(rows, this.#features);
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
  if (batch === null || typeof batch !== 'object' || Array.isArray(batch)) throw new TypeError('a batched map function must return an object of columns (arrays)');
  // Functions are methods (a BatchEncoding's word_ids), not columns.
  const columns = (Object.entries(batch) as [string, unknown[]][]).filter(([, v]) => typeof v !== 'function');
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

/** The row type after a map: the input's columns, replaced or extended by the function's. */
export type Merged<Row, Out> = Omit<Row, keyof Out> & Out;

function checkRow(r: unknown, index: number): object {
  if (r === null || typeof r !== 'object' || Array.isArray(r)) {
    throw new TypeError(`map: the function returned ${r === null ? 'null' : Array.isArray(r) ? 'an array' : typeof r} for row ${index}; return an object of columns`);
  }
  return r;
}

/**
 * The function's rows merged into the input rows (Hugging Face's rule): the input's columns
 * minus `removed`, then the produced columns. When the row count changed, no input column may
 * be kept: there would be no row to take it from.
 */
function mergeRows(inputs: readonly object[], produced: readonly object[], removed: ReadonlySet<string>, start: number): object[] {
  const kept = inputs.length ? Object.keys(inputs[0]).filter((k) => !removed.has(k)) : [];
  const fresh = new Set(produced.length ? Object.keys(produced[0]) : []);
  const carried = kept.filter((k) => !fresh.has(k));
  if (produced.length !== inputs.length && carried.length > 0) {
    throw new TokentagError(
      `map: rows ${start}..${start + inputs.length - 1} gave ${produced.length} rows for ${inputs.length}, so the input columns ${carried.map((c) => `'${c}'`).join(', ')} ` +
        'cannot be kept beside them; return them too, or drop them with remove_columns',
    );
  }
  return produced.map((p, i) => {
    if (carried.length === 0) return Object.isFrozen(p) ? p : freezeRow({ ...p });
    const row: Record<string, unknown> = {};
    for (const k of carried) row[k] = (inputs[i] as Record<string, unknown>)[k];
    return freezeRow(Object.assign(row, p));
  });
}

/** Keeps the types of columns that survive a map; `override` types new or changed ones. */
function mergeFeatures(old: Features, first: object | undefined, removed: ReadonlySet<string>, override: Features | undefined): Features {
  const merged: Record<string, FeatureType> = {};
  const keys = first ? Object.keys(first) : Object.keys(old).filter((k) => !removed.has(k));
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

  /** The `train` split (`raw_datasets["train"]` in Python); an error naming the splits when there is none. */
  get train(): Dataset<Row> {
    return this.get('train');
  }

  /** The `validation` split; an error naming the splits when there is none. */
  get validation(): Dataset<Row> {
    return this.get('validation');
  }

  /** The `test` split; an error naming the splits when there is none. */
  get test(): Dataset<Row> {
    return this.get('test');
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

  /** `Dataset.map` over every split (see there); a promise when `fn` is `async`. */
  map<B extends object>(fn: (batch: Batch<Row>, indices: number[]) => Promise<B>, options: BatchedMapOptions): Promise<DatasetDict<Merged<Row, RowOf<B>>>>;
  map<B extends object>(fn: (batch: Batch<Row>, indices: number[]) => B, options: BatchedMapOptions): DatasetDict<Merged<Row, RowOf<B>>>;
  map<Out extends object>(fn: (row: Row, index: number) => Promise<Out>, options?: MapOptions): Promise<DatasetDict<Merged<Row, Out>>>;
  map<Out extends object>(fn: (row: Row, index: number) => Out, options?: MapOptions): DatasetDict<Merged<Row, Out>>;
  map(fn: (arg: never, index: never) => unknown, options?: MapOptions | BatchedMapOptions): DatasetDict<object> | Promise<DatasetDict<object>> {
    const mapOne = (ds: Dataset<Row>) => (ds.map as (f: unknown, o: unknown) => Dataset<object> | Promise<Dataset<object>>)(fn, options);
    const entries = [...this.#splits];
    const results: (readonly [string, Dataset<object>])[] = [];
    for (let k = 0; k < entries.length; k++) {
      const r = mapOne(entries[k][1]);
      if (r instanceof Promise) {
        return (async () => {
          results.push([entries[k][0], await r]);
          for (let j = k + 1; j < entries.length; j++) results.push([entries[j][0], await mapOne(entries[j][1])]);
          return new DatasetDict(results);
        })();
      }
      results.push([entries[k][0], r]);
    }
    return new DatasetDict(results);
  }

  filter(predicate: (row: Row, index: number) => boolean): DatasetDict<Row> {
    return new DatasetDict([...this.#splits].map(([name, ds]) => [name, ds.filter(predicate)] as const));
  }
}
