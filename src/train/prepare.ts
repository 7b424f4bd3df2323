/**
 * Dataset split → model inputs for `tokentag train` / `evaluate`: every sentence is encoded
 * with `encodeWords` (pre-split words, word ids), sentences longer than the model allows are
 * split into overlapping windows of whole words (never cut), labels are aligned to sub-tokens
 * for training, and each window becomes an `EvalFeature` that scores exactly the words it is
 * responsible for (so every word of the sentence is scored once, at its first sub-token).
 */
import type { Dataset, DatasetDict } from '../data/dataset.ts';
import { Rng } from '../data/rng.ts';
import type { TaggedRow } from '../data/row.ts';
import { TokentagError } from '../errors.ts';
import { alignLabels } from '../tokenize/align.ts';
import { countSplitSentences, encodeWords, type Encoding } from '../tokenize/encode.ts';
import type { WordTokenizer } from '../tokenize/types.ts';
import type { EncodedFeature } from './batching.ts';
import type { EvalFeature, EvaluationResult } from './evaluate.ts';

export interface PrepareOptions {
  /** Tokens per window, special tokens included; default the tokenizer's `model_max_length`. */
  readonly maxLength?: number;
  /** Window overlap in tokens (see `encodeWords`). */
  readonly stride?: number;
  /** Label every sub-token (`--label-all-tokens`) instead of the first one only. */
  readonly labelAllTokens?: boolean;
  /** Maps the dataset's label ids to the model's (`labelMap[datasetId] = modelId`); default identity. */
  readonly labelMap?: readonly number[];
}

export interface PreparedSplit {
  /** One per window, in sentence order. */
  readonly encodings: readonly Encoding[];
  /** Training features (input ids + aligned token labels), one per window. */
  readonly trainFeatures: EncodedFeature[];
  /** Evaluation features, one per window: the words the window scores, at their first sub-token. */
  readonly evalFeatures: EvalFeature[];
  readonly sentences: number;
  /** Sentences that needed more than one window. */
  readonly splitSentences: number;
  readonly windows: number;
  readonly words: number;
  /** Words that produced no token at all (e.g. only control characters); scored as 'O'. */
  readonly wordsWithoutTokens: number;
}

/** Encodes one split and builds its training and evaluation features. */
export async function prepareSplit(
  tokenizer: WordTokenizer,
  split: Dataset<TaggedRow>,
  labelColumn: string,
  labelNames: readonly string[],
  options: PrepareOptions = {},
): Promise<PreparedSplit> {
  const rows = split.toArray();
  const sentences = rows.map((r) => r.tokens);
  const tags = rows.map((r, i) => {
    const t = (r as Record<string, unknown>)[labelColumn] as readonly number[] | undefined;
    if (!Array.isArray(t)) throw new TokentagError(`sentence ${i} (id ${r.id}) has no '${labelColumn}' column`);
    const map = options.labelMap;
    return map ? t.map((id) => map[id]) : t;
  });
  const encodings = await encodeWords(tokenizer, sentences, {
    ...(options.maxLength !== undefined ? { maxLength: options.maxLength } : {}),
    ...(options.stride !== undefined ? { stride: options.stride } : {}),
  });
  const strategy = options.labelAllTokens ? 'all' : 'first';
  const trainFeatures: EncodedFeature[] = [];
  const evalFeatures: EvalFeature[] = [];
  let wordsWithoutTokens = 0;
  for (const e of encodings) {
    const wordTags = tags[e.sentence];
    const labels = alignLabels(e, wordTags, labelNames, { strategy });
    trainFeatures.push({ inputIds: e.inputIds, labels });
    const firstToken = new Map<number, number>();
    e.wordIds.forEach((w, t) => {
      if (w !== null && !firstToken.has(w)) firstToken.set(w, t);
    });
    const wordTokenIndex: number[] = [];
    const wordLabels: number[] = [];
    for (let w = e.window.scoreStart; w < e.window.scoreEnd; w++) {
      const t = firstToken.get(w) ?? -1;
      if (t < 0) wordsWithoutTokens++;
      wordTokenIndex.push(t);
      wordLabels.push(wordTags[w]);
    }
    evalFeatures.push({ feature: { inputIds: e.inputIds, labels }, wordTokenIndex, wordLabels, sentence: e.sentence });
  }
  return {
    encodings,
    trainFeatures,
    evalFeatures,
    sentences: sentences.length,
    splitSentences: countSplitSentences(encodings),
    windows: encodings.length,
    words: sentences.reduce((n, s) => n + s.length, 0),
    wordsWithoutTokens,
  };
}

/**
 * Puts the windows' word-level predictions back together: one label sequence per sentence,
 * every word included (a word without tokens is predicted 'O'), with the gold labels beside.
 * `result` is `evaluateModel` run on `prepared.evalFeatures`.
 */
export function mergeEvaluation(
  prepared: PreparedSplit,
  result: Pick<EvaluationResult, 'predictions'>,
  labelNames: readonly string[],
): { predictions: string[][]; references: string[][] } {
  const predictions: string[][] = Array.from({ length: prepared.sentences }, () => []);
  const references: string[][] = Array.from({ length: prepared.sentences }, () => []);
  prepared.evalFeatures.forEach((ef, i) => {
    const s = prepared.encodings[i].sentence;
    const pred = result.predictions[i];
    let k = 0;
    ef.wordTokenIndex.forEach((t, w) => {
      predictions[s].push(t < 0 ? 'O' : pred[k++]);
      references[s].push(labelNames[ef.wordLabels[w]]);
    });
  });
  return { predictions, references };
}

export interface WordDropoutOptions {
  /** Probability that a word's tokens are replaced by the unknown token. */
  readonly rate: number;
  /** How many masked copies of the training set to add (each with its own masks). Default 1. */
  readonly copies?: number;
  readonly seed?: number;
  /** The tokenizer's unknown-token id. */
  readonly unkId: number;
}

/**
 * Word dropout as data augmentation: the original features plus `copies` copies in which each
 * word's tokens are replaced by `[UNK]` with probability `rate` (labels unchanged). A model trained
 * from scratch otherwise learns the names of the training split by heart; with some of them hidden
 * it must also learn to recognise entities from their context, which is what tags names it has
 * never seen. Deterministic for a seed.
 */
export function withWordDropout(prepared: PreparedSplit, options: WordDropoutOptions): EncodedFeature[] {
  const { rate, copies = 1, seed = 42, unkId } = options;
  if (!(rate >= 0 && rate < 1)) throw new TokentagError(`word dropout rate must be in [0, 1), got ${rate}`);
  if (rate === 0 || copies < 1) return prepared.trainFeatures;
  const rng = new Rng(seed);
  const out = [...prepared.trainFeatures];
  for (let c = 0; c < copies; c++) {
    prepared.encodings.forEach((e, i) => {
      const f = prepared.trainFeatures[i];
      const drop = new Map<number, boolean>();
      const ids = e.inputIds.map((id, t) => {
        const w = e.wordIds[t];
        if (w === null) return id;
        let d = drop.get(w);
        if (d === undefined) drop.set(w, (d = rng.nextFloat() < rate));
        return d ? unkId : id;
      });
      out.push({ ...f, inputIds: ids });
    });
  }
  return out;
}

/** The splits of a run, encoded: `train` always, `validation` and `test` when the dataset has them (non-empty). */
export interface PreparedSplits {
  readonly train: PreparedSplit;
  readonly validation?: PreparedSplit;
  readonly test?: PreparedSplit;
}

/** {@link prepareSplit} for a run's train, validation and test splits. */
export async function prepareSplits(
  tokenizer: WordTokenizer,
  dataset: DatasetDict<TaggedRow>,
  labelColumn: string,
  labelNames: readonly string[],
  options: PrepareOptions = {},
): Promise<PreparedSplits> {
  const prep = async (split: string): Promise<PreparedSplit | undefined> =>
    dataset.has(split) && dataset.get(split).length > 0 ? prepareSplit(tokenizer, dataset.get(split), labelColumn, labelNames, options) : undefined;
  const train = await prep('train');
  if (!train) throw new TokentagError(`the train split is empty (splits: ${dataset.names.map((n) => `${n} ${dataset.get(n).length}`).join(', ')})`);
  const validation = await prep('validation');
  const test = await prep('test');
  return { train, ...(validation ? { validation } : {}), ...(test ? { test } : {}) };
}

/**
 * The training features of a run: the train split's, plus a word-dropout copy when `rate` > 0
 * (see {@link withWordDropout}), masked with the tokenizer's unknown token.
 */
export function trainingFeatures(train: PreparedSplit, tokenizer: WordTokenizer, rate: number, seed: number, rateName = 'wordDropout'): EncodedFeature[] {
  if (!(rate > 0)) return train.trainFeatures;
  const unk = tokenizer.specialTokens.unk_token;
  const unkId = unk === undefined ? undefined : tokenizer.tokenToId(unk);
  if (unkId === undefined) throw new TokentagError(`${rateName} needs a tokenizer with an unknown token`);
  return withWordDropout(train, { rate, unkId, seed });
}
