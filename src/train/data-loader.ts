/**
 * `DataLoader`: PyTorch's, for the custom training loop — batches of a dataset, shuffled anew
 * each time it is iterated (`shuffle: true`), each batch made by `collate_fn` (a
 * {@link DataCollatorForTokenClassification}). The order comes from the sampler the Trainer uses
 * (`planBatches`), seeded: epoch `e` is drawn from `seed + e`, the same on every machine.
 */
import { TokentagError } from '../errors.ts';
import { planBatches } from './batching.ts';
import type { TokenClassificationBatch, TokenClassificationRow } from './collator.ts';

/** Rows by index: a `Dataset` (its `get(i)`) or an array. */
export type RowSource<R> = { readonly length: number; get(index: number): R } | readonly R[];

export interface DataLoaderOptions<R, B> {
  /** Rows per batch. Default 1, as PyTorch. */
  readonly batch_size?: number;
  /** A new order each time the loader is iterated. Default false (dataset order). */
  readonly shuffle?: boolean;
  /** Turns a list of rows into a batch; a {@link DataCollatorForTokenClassification} pads them. Required. */
  readonly collate_fn: (rows: R[]) => B;
  /** Leave out the last, incomplete batch. Default false. */
  readonly drop_last?: boolean;
  /** Seeds the order (PyTorch's `generator`). Default 42. */
  readonly seed?: number;
}

export class DataLoader<R = TokenClassificationRow, B = TokenClassificationBatch> implements Iterable<B> {
  readonly batch_size: number;
  readonly shuffle: boolean;
  readonly drop_last: boolean;
  readonly seed: number;
  readonly collate_fn: (rows: R[]) => B;
  readonly dataset: RowSource<R>;
  /** How many times iteration has started: the epoch whose order the next iteration draws. */
  epoch = 0;

  constructor(dataset: RowSource<R>, options: DataLoaderOptions<R, B>) {
    if (!dataset || typeof dataset.length !== 'number') throw new TokentagError('DataLoader takes a dataset (or an array of rows)');
    if (!options || typeof options.collate_fn !== 'function') {
      throw new TokentagError('DataLoader needs collate_fn to make batches of rows of different lengths: collate_fn: new DataCollatorForTokenClassification({ tokenizer })');
    }
    this.dataset = dataset;
    this.batch_size = options.batch_size ?? 1;
    this.shuffle = options.shuffle ?? false;
    this.drop_last = options.drop_last ?? false;
    this.seed = options.seed ?? 42;
    this.collate_fn = options.collate_fn;
    if (!Number.isInteger(this.batch_size) || this.batch_size < 1) throw new TokentagError(`DataLoader: batch_size must be a positive integer, got ${this.batch_size}`);
  }

  /** Batches per pass (Python's `len(dataloader)`). */
  get length(): number {
    const n = this.dataset.length;
    return this.drop_last ? Math.floor(n / this.batch_size) : Math.ceil(n / this.batch_size);
  }

  #row(i: number): R {
    const d = this.dataset;
    return Array.isArray(d) ? (d as readonly R[])[i] : (d as { get(index: number): R }).get(i);
  }

  /** One pass over the data; with `shuffle`, each pass has its own order. */
  *[Symbol.iterator](): Iterator<B> {
    const epoch = this.epoch++;
    const plan = planBatches(new Array<number>(this.dataset.length).fill(0), {
      batchSize: this.batch_size,
      shuffle: this.shuffle,
      seed: this.seed,
      epoch,
      dropLast: this.drop_last,
    });
    for (const indices of plan.batches) yield this.collate_fn(indices.map((i) => this.#row(i)));
  }
}
