/**
 * Dynamic padding and batch iteration for token classification.
 *
 * `collate` does what Hugging Face `DataCollatorForTokenClassification` does: it pads
 * `input_ids`, `attention_mask` and `token_type_ids` to the longest sequence of the batch (or to
 * `maxLength`), optionally rounded up to a multiple of N, pads `labels` with -100 on the same
 * side, and returns int64 tensors. `batches` is the DataLoader: seeded shuffling per epoch, and
 * `groupByLength` with the megabatch scheme of HF's `LengthGroupedSampler`.
 */
import type { TensorData } from '../engine/dtype.ts';
import { TokentagError } from '../errors.ts';
import { permutation, Rng } from '../data/rng.ts';

/** One encoded example, as the tokenizer + label alignment produce it. */
export interface EncodedFeature {
  readonly inputIds: readonly number[];
  /** 1 for real tokens; all ones when absent (as `tokenizer.pad` creates it). */
  readonly attentionMask?: readonly number[];
  readonly tokenTypeIds?: readonly number[];
  /** Label ids per token, -100 where the loss ignores the token. */
  readonly labels?: readonly number[];
}

export interface CollateOptions {
  /**
   * `'longest'` (default): to the longest feature of the batch. `'max_length'`: to `maxLength`.
   * `'do_not_pad'` (a collator made with `padding: false`): every feature of a batch must then
   * have the same length.
   */
  readonly padding?: 'longest' | 'max_length' | 'do_not_pad';
  /** Required with `padding: 'max_length'`; not allowed with `'longest'`. */
  readonly maxLength?: number;
  /** Round the padded length up to a multiple of this (8 for tensor cores, as `run_ner.py` does with fp16). */
  readonly padToMultipleOf?: number;
  /** The tokenizer's `pad_token_id`. Default 0 (BERT's `[PAD]`). */
  readonly padTokenId?: number;
  /** Pad value of `token_type_ids` (the tokenizer's `pad_token_type_id`). Default 0. */
  readonly padTokenTypeId?: number;
  /** Default -100, which the loss ignores. */
  readonly labelPadTokenId?: number;
  /** The tokenizer's `padding_side`. Default `'right'`. */
  readonly paddingSide?: 'right' | 'left';
}

/** Model inputs of one batch, `[batch, sequence]`, int64, named as the ONNX graphs name them. */
export interface CollatedBatch {
  readonly input_ids: TensorData<'int64'>;
  readonly attention_mask: TensorData<'int64'>;
  readonly token_type_ids?: TensorData<'int64'>;
  readonly labels?: TensorData<'int64'>;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * An int64 tensor `[rows, width]` written through an Int32Array view of its buffer: each int64 is
 * two int32 words (low, then the sign in the high word, on little-endian machines), so no BigInt
 * is created per element. Big-endian machines take the plain BigInt path.
 */
class Int64Matrix {
  readonly data: BigInt64Array;
  readonly #words: Int32Array;

  constructor(
    readonly rows: number,
    readonly width: number,
    pad: number,
  ) {
    this.data = new BigInt64Array(rows * width);
    if (pad !== 0) this.data.fill(BigInt(pad));
    this.#words = new Int32Array(this.data.buffer);
  }

  /** Copies `values` into row `r` starting at column `col`; checks every value is an int32. */
  setRow(r: number, col: number, values: readonly number[], feature: number, name: string): void {
    const start = r * this.width + col;
    const n = values.length;
    if (LITTLE_ENDIAN) {
      const w = this.#words;
      for (let j = 0, k = 2 * start; j < n; j++, k += 2) {
        const v = values[j];
        if ((v | 0) !== v) badValue(feature, name, j, v);
        w[k] = v;
        w[k + 1] = v >> 31;
      }
    } else {
      const d = this.data;
      for (let j = 0; j < n; j++) {
        const v = values[j];
        if ((v | 0) !== v) badValue(feature, name, j, v);
        d[start + j] = BigInt(v);
      }
    }
  }

  /** Row `r` all ones from column `col` for `n` columns (an attention mask without a given one). */
  setOnes(r: number, col: number, n: number): void {
    this.data.fill(1n, r * this.width + col, r * this.width + col + n);
  }

  tensor(): TensorData<'int64'> {
    return { dtype: 'int64', dims: [this.rows, this.width], data: this.data };
  }
}

function badValue(feature: number, name: string, j: number, v: unknown): never {
  throw new TokentagError(`feature ${feature}: ${name}[${j}] is ${String(v)}; expected a 32-bit integer`);
}

function checkInt(name: string, v: number | undefined, min: number): void {
  if (v !== undefined && (!Number.isInteger(v) || v < min)) throw new RangeError(`${name} must be an integer >= ${min}, got ${v}`);
}

/** The padded sequence length for features of at most `longest` tokens. */
export function paddedLength(longest: number, options: CollateOptions = {}): number {
  const padding = options.padding ?? 'longest';
  let length: number;
  if (padding === 'max_length') {
    if (options.maxLength === undefined) throw new TokentagError("padding: 'max_length' needs maxLength");
    checkInt('maxLength', options.maxLength, 1);
    if (longest > options.maxLength) {
      throw new TokentagError(`a feature has ${longest} tokens, more than maxLength ${options.maxLength}; truncate when encoding`);
    }
    length = options.maxLength;
  } else if (padding === 'longest' || padding === 'do_not_pad') {
    if (options.maxLength !== undefined) throw new TokentagError("maxLength only applies with padding: 'max_length'");
    if (padding === 'do_not_pad' && options.padToMultipleOf !== undefined) throw new TokentagError("padToMultipleOf needs padding ('longest' or 'max_length')");
    length = longest;
  } else {
    throw new TokentagError(`padding must be 'longest', 'max_length' or 'do_not_pad', got ${JSON.stringify(padding)}`);
  }
  const m = options.padToMultipleOf;
  checkInt('padToMultipleOf', m, 1);
  if (m !== undefined && length % m !== 0) length = (Math.floor(length / m) + 1) * m;
  return length;
}

/**
 * Pads a list of features into one batch (`DataCollatorForTokenClassification`). Every feature
 * must have the same optional fields as the first; within a feature all fields have one length.
 */
export function collate(features: readonly EncodedFeature[], options: CollateOptions = {}): CollatedBatch {
  if (features.length === 0) throw new TokentagError('cannot collate an empty list of features');
  const padTokenId = options.padTokenId ?? 0;
  const padTypeId = options.padTokenTypeId ?? 0;
  const labelPad = options.labelPadTokenId ?? -100;
  checkInt('padTokenId', padTokenId, -(2 ** 31));
  checkInt('padTokenTypeId', padTypeId, -(2 ** 31));
  checkInt('labelPadTokenId', labelPad, -(2 ** 31));
  const side = options.paddingSide ?? 'right';
  if (side !== 'right' && side !== 'left') throw new TokentagError(`paddingSide must be 'right' or 'left', got ${JSON.stringify(side)}`);

  const hasTypes = features[0].tokenTypeIds !== undefined;
  const hasLabels = features[0].labels !== undefined;
  let longest = 0;
  for (let i = 0; i < features.length; i++) {
    const f = features[i];
    if (!f || !Array.isArray(f.inputIds)) throw new TokentagError(`feature ${i} has no inputIds array`);
    const n = f.inputIds.length;
    if (n > longest) longest = n;
    if (f.attentionMask !== undefined && f.attentionMask.length !== n) mismatch(i, 'attentionMask', f.attentionMask.length, n);
    if ((f.tokenTypeIds !== undefined) !== hasTypes) missing(i, 'tokenTypeIds', hasTypes);
    if (hasTypes && f.tokenTypeIds!.length !== n) mismatch(i, 'tokenTypeIds', f.tokenTypeIds!.length, n);
    if ((f.labels !== undefined) !== hasLabels) missing(i, 'labels', hasLabels);
    if (hasLabels && f.labels!.length !== n) mismatch(i, 'labels', f.labels!.length, n);
  }
  const width = paddedLength(longest, options);
  if (options.padding === 'do_not_pad') {
    const i = features.findIndex((f) => f.inputIds.length !== longest);
    if (i >= 0) {
      throw new TokentagError(
        `cannot stack features of different lengths without padding: feature ${i} has ${features[i].inputIds.length} tokens, the longest ${longest}; ` +
          'pad them (a DataCollatorForTokenClassification pads unless made with padding: false)',
      );
    }
  }
  const rows = features.length;
  const ids = new Int64Matrix(rows, width, padTokenId);
  const mask = new Int64Matrix(rows, width, 0);
  const types = hasTypes ? new Int64Matrix(rows, width, padTypeId) : undefined;
  const labels = hasLabels ? new Int64Matrix(rows, width, labelPad) : undefined;
  for (let r = 0; r < rows; r++) {
    const f = features[r];
    const n = f.inputIds.length;
    const col = side === 'right' ? 0 : width - n;
    ids.setRow(r, col, f.inputIds, r, 'inputIds');
    if (f.attentionMask) mask.setRow(r, col, f.attentionMask, r, 'attentionMask');
    else mask.setOnes(r, col, n);
    types?.setRow(r, col, f.tokenTypeIds!, r, 'tokenTypeIds');
    labels?.setRow(r, col, f.labels!, r, 'labels');
  }
  const batch: { -readonly [K in keyof CollatedBatch]: CollatedBatch[K] } = { input_ids: ids.tensor(), attention_mask: mask.tensor() };
  if (types) batch.token_type_ids = types.tensor();
  if (labels) batch.labels = labels.tensor();
  return batch;
}

function mismatch(i: number, name: string, got: number, n: number): never {
  throw new TokentagError(`feature ${i}: ${name} has ${got} values but inputIds has ${n}; every field of a feature needs one value per token`);
}

function missing(i: number, name: string, first: boolean): never {
  throw new TokentagError(
    first ? `feature ${i} has no ${name} but feature 0 does; give every feature ${name} or none` : `feature ${i} has ${name} but feature 0 does not; give every feature ${name} or none`,
  );
}

// ---------------------------------------------------------------------------------------------
// Sampling and iteration

export interface SamplerOptions {
  readonly batchSize: number;
  /** A new seeded order each epoch. Default false (dataset order). */
  readonly shuffle?: boolean;
  /** Default 42. The order of an epoch is drawn from `seed + epoch`, as HF's seedable sampler does. */
  readonly seed?: number;
  /** Default 0. */
  readonly epoch?: number;
  /** Drop the last, incomplete batch. Default false; the dropped features are reported. */
  readonly dropLast?: boolean;
  /**
   * HF `group_by_length`: batches of similar lengths, in random megabatches, with the longest
   * feature in the first batch. Always random (drawn from `seed + epoch`), whatever `shuffle` says.
   */
  readonly groupByLength?: boolean;
  /** Megabatch size in batches for `groupByLength`; default as HF: min(floor(n / (4 · batchSize)), 50), at least 1. */
  readonly megabatchMult?: number;
}

/**
 * HF `get_length_grouped_indices`: a random permutation cut into megabatches of
 * `megabatchMult × batchSize`, each sorted by decreasing length (stable), then the globally
 * longest feature swapped to the front so that an out-of-memory error happens at the first step.
 */
export function lengthGroupedIndices(lengths: readonly number[], batchSize: number, rng: Rng, megabatchMult?: number): number[] {
  const n = lengths.length;
  let mult = megabatchMult ?? Math.min(Math.floor(n / (batchSize * 4)), 50);
  if (mult === 0) mult = 1;
  checkInt('megabatchMult', mult, 1);
  const order = permutation(n, rng);
  const size = mult * batchSize;
  const megabatches: number[][] = [];
  for (let i = 0; i < n; i += size) megabatches.push(order.slice(i, i + size).sort((a, b) => lengths[b] - lengths[a]));
  if (megabatches.length === 0) return [];
  let maxIdx = 0;
  for (let k = 1; k < megabatches.length; k++) if (lengths[megabatches[k][0]] > lengths[megabatches[maxIdx][0]]) maxIdx = k;
  const first = megabatches[0][0];
  megabatches[0][0] = megabatches[maxIdx][0];
  megabatches[maxIdx][0] = first;
  return megabatches.flat();
}

export interface BatchPlan {
  /** Feature indices of each batch, in iteration order. */
  readonly batches: readonly (readonly number[])[];
  /** Features left out by `dropLast` (empty unless it is set). */
  readonly dropped: readonly number[];
}

/** The batches of one epoch as lists of feature indices; `lengths[i]` is feature i's token count. */
export function planBatches(lengths: readonly number[], options: SamplerOptions): BatchPlan {
  const { batchSize } = options;
  if (batchSize === undefined) throw new RangeError('batchSize is required');
  checkInt('batchSize', batchSize, 1);
  const seed = options.seed ?? 42;
  const epoch = options.epoch ?? 0;
  checkInt('epoch', epoch, 0);
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
  const n = lengths.length;
  let order: number[];
  if (options.groupByLength) order = lengthGroupedIndices(lengths, batchSize, new Rng(seed + epoch), options.megabatchMult);
  else if (options.shuffle) order = permutation(n, new Rng(seed + epoch));
  else order = Array.from({ length: n }, (_, i) => i);
  const batches: number[][] = [];
  for (let i = 0; i < n; i += batchSize) batches.push(order.slice(i, i + batchSize));
  let dropped: number[] = [];
  if (options.dropLast && batches.length > 0 && batches[batches.length - 1].length < batchSize) dropped = batches.pop()!;
  return { batches, dropped };
}

export interface BatchesOptions extends SamplerOptions, CollateOptions {}

export interface LoaderBatch {
  /** Which features are in this batch, in row order. */
  readonly indices: readonly number[];
  readonly tensors: CollatedBatch;
}

/** One epoch of padded batches; iterable more than once (the same order each time). */
export interface BatchIterable extends Iterable<LoaderBatch> {
  /** Number of batches in the epoch. */
  readonly length: number;
  /** Features left out by `dropLast`. */
  readonly dropped: readonly number[];
  readonly plan: BatchPlan;
}

/**
 * A DataLoader over encoded features: plans one epoch (`shuffle`, `seed`, `epoch`, `dropLast`,
 * `groupByLength`) and collates each batch lazily as it is iterated.
 */
export function batches(features: readonly EncodedFeature[], options: BatchesOptions): BatchIterable {
  const plan = planBatches(
    features.map((f) => f.inputIds.length),
    options,
  );
  // Validate the padding options up front, not at the first batch.
  paddedLength(0, options);
  return {
    length: plan.batches.length,
    dropped: plan.dropped,
    plan,
    *[Symbol.iterator](): Iterator<LoaderBatch> {
      for (const indices of plan.batches) yield { indices, tensors: collate(indices.map((i) => features[i]), options) };
    },
  };
}
