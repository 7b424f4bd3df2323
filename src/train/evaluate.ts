/**
 * Evaluation of a token classifier on the word level, as Hugging Face's `run_ner.py` recipe
 * scores it: the prediction of a word is the argmax of the logits at its first sub-token, and
 * the word-level tag sequences go to seqeval (`evaluate.load("seqeval")`).
 *
 * Used by the Trainer after each evaluation interval and by `tokentag evaluate`.
 */
import type { TensorData } from '../engine/dtype.ts';
import type { TrainingSession } from '../engine/runtime.ts';
import { Tensor } from '../engine/tensor.ts';
import { TokentagError } from '../errors.ts';
import { seqevalCompute, type SeqevalResult } from '../metrics/evaluate.ts';
import type { EntityOptions } from '../metrics/types.ts';
import { batches, type CollateOptions, type EncodedFeature } from './batching.ts';

/**
 * One encoded sentence with what word-level scoring needs: for each word, the token position of
 * its first sub-token in `feature.inputIds` (-1 for a word truncated away, which is left out of
 * the scores as it is in Hugging Face's recipe) and its gold label id.
 */
export interface EvalFeature {
  readonly feature: EncodedFeature;
  readonly wordTokenIndex: readonly number[];
  readonly wordLabels: readonly number[];
  /**
   * The sentence this feature is a window of. Consecutive features of one sentence are joined
   * back into one sequence before scoring, so an entity that spans two windows counts once.
   */
  readonly sentence?: number;
}

/** Joins consecutive per-feature sequences that belong to the same sentence. */
export function joinWindows(evalFeatures: readonly EvalFeature[], perFeature: readonly string[][]): string[][] {
  const joined: string[][] = [];
  perFeature.forEach((seq, i) => {
    const s = evalFeatures[i].sentence;
    if (s !== undefined && i > 0 && evalFeatures[i - 1].sentence === s) joined[joined.length - 1].push(...seq);
    else joined.push([...seq]);
  });
  return joined;
}

export interface EvaluateOptions extends CollateOptions {
  /** Default 8 (Hugging Face's `per_device_eval_batch_size`). */
  readonly batchSize?: number;
  /** seqeval options (mode, scheme, …); default: seqeval's default (conlleval) mode. */
  readonly metric?: EntityOptions;
}

export interface EvaluationResult {
  /**
   * The mean loss over the evaluation set as Hugging Face computes `eval_loss`: each batch's mean
   * token loss, weighted by the batch's number of sequences. Null when the features have no labels.
   */
  readonly loss: number | null;
  /** `seqeval.compute(predictions, references)`: per-type entries and `overall_*`. */
  readonly metrics: SeqevalResult;
  /** Word-level predicted label names, one array per sentence (truncated words left out). */
  readonly predictions: string[][];
  /** The gold label names, aligned with `predictions`. */
  readonly references: string[][];
  /** Seconds spent, the number of sentences and of batches. */
  readonly runtime: number;
  readonly samples: number;
  readonly steps: number;
}

/** argmax over the last axis of `logits[row]` at position `pos`. */
function argmaxAt(logits: Float32Array, seq: number, numLabels: number, row: number, pos: number): number {
  const base = (row * seq + pos) * numLabels;
  let best = 0;
  let bestV = logits[base];
  for (let k = 1; k < numLabels; k++) {
    const v = logits[base + k];
    if (v > bestV) {
      bestV = v;
      best = k;
    }
  }
  return best;
}

/** Checks the alignment info of every feature before anything runs. */
export function checkEvalFeatures(evalFeatures: readonly EvalFeature[], numLabels: number): void {
  evalFeatures.forEach((ef, i) => {
    if (!ef || !ef.feature || !Array.isArray(ef.feature.inputIds)) throw new TokentagError(`eval feature ${i} has no feature.inputIds`);
    if (ef.wordTokenIndex.length !== ef.wordLabels.length) {
      throw new TokentagError(`eval feature ${i}: wordTokenIndex has ${ef.wordTokenIndex.length} entries but wordLabels ${ef.wordLabels.length}; give one per word`);
    }
    const n = ef.feature.inputIds.length;
    ef.wordTokenIndex.forEach((t, w) => {
      if (!Number.isInteger(t) || t < -1 || t >= n) throw new TokentagError(`eval feature ${i}: word ${w} points at token ${t}, outside 0..${n - 1} (use -1 for a truncated word)`);
    });
    ef.wordLabels.forEach((l, w) => {
      if (!Number.isInteger(l) || l < 0 || l >= numLabels) throw new TokentagError(`eval feature ${i}: word ${w} has label id ${l}, outside 0..${numLabels - 1}`);
    });
  });
}

/**
 * Runs the model (dropout off) over `evalFeatures` in order and scores the word-level
 * predictions with seqeval. Right padding is assumed for the token positions (the default).
 */
export async function evaluateModel(
  session: TrainingSession,
  evalFeatures: readonly EvalFeature[],
  labelNames: readonly string[],
  opts: EvaluateOptions = {},
): Promise<EvaluationResult> {
  const start = performance.now();
  const numLabels = labelNames.length;
  if (numLabels === 0) throw new TokentagError('evaluateModel needs the label names');
  if ((opts.paddingSide ?? 'right') !== 'right') throw new TokentagError('evaluateModel supports right padding only (word positions index the unpadded tokens)');
  checkEvalFeatures(evalFeatures, numLabels);
  const features = evalFeatures.map((f) => f.feature);
  const withLabels = features.length > 0 && features[0].labels !== undefined;
  const { batchSize = 8, metric, ...collateOptions } = opts;
  const outputs = withLabels ? ['loss', 'logits'] : ['logits'];
  const predictions: string[][] = [];
  const references: string[][] = [];
  let lossSum = 0;
  let lossCount = 0;
  let steps = 0;
  for (const batch of batches(features, { ...collateOptions, batchSize, shuffle: false })) {
    const { loss, outputs: out } = await session.evaluate({ ...batch.tensors }, { outputs });
    steps++;
    const rows = batch.indices.length;
    if (withLabels) {
      lossSum += loss! * rows;
      lossCount += rows;
    }
    const logits = out.logits as TensorData<'float32'>;
    const [, seq, nl] = logits.dims;
    if (nl !== numLabels) throw new TokentagError(`the model predicts ${nl} labels but ${numLabels} label names were given`);
    const data = logits.data as Float32Array;
    batch.indices.forEach((fi, row) => {
      const ef = evalFeatures[fi];
      const pred: string[] = [];
      const gold: string[] = [];
      ef.wordTokenIndex.forEach((t, w) => {
        if (t < 0) return;
        pred.push(labelNames[argmaxAt(data, seq, nl, row, t)]);
        gold.push(labelNames[ef.wordLabels[w]]);
      });
      predictions[fi] = pred;
      references[fi] = gold;
    });
  }
  const metrics = seqevalCompute(joinWindows(evalFeatures, predictions), joinWindows(evalFeatures, references), { zeroDivision: 0, ...metric });
  return {
    loss: withLabels ? (lossCount > 0 ? lossSum / lossCount : NaN) : null,
    metrics,
    predictions,
    references,
    runtime: (performance.now() - start) / 1000,
    samples: evalFeatures.length,
    steps,
  };
}

/** The model's token-level outputs over an evaluation set, as Hugging Face's evaluation loop gathers them. */
export interface TokenEvaluation {
  /** `eval_loss`: each batch's mean token loss weighted by its number of sequences. */
  readonly loss: number;
  /** `[examples, longest, num_labels]`, in dataset order; positions past an example's batch width hold -100. */
  readonly logits: Tensor<'float32', 3>;
  /** `[examples, longest]`: the label ids, -100 where ignored or padded. */
  readonly labels: Tensor<'int64', 2>;
  readonly runtime: number;
  readonly samples: number;
  readonly steps: number;
}

/**
 * Runs the model (dropout off) over labelled features in order and gathers the logits and labels
 * of every example, padded to a common length with -100 (Hugging Face's `nested_concat`), for a
 * `compute_metrics` function. Every feature must have labels.
 */
export async function evaluateTokens(session: TrainingSession, features: readonly EncodedFeature[], opts: EvaluateOptions = {}): Promise<TokenEvaluation> {
  const start = performance.now();
  const { batchSize = 8, metric: _metric, ...collateOptions } = opts;
  features.forEach((f, i) => {
    if (!f.labels) throw new TokentagError(`evaluation example ${i} has no labels; compute_metrics needs them (the eval_dataset's labels column)`);
  });
  const parts: { indices: readonly number[]; width: number; logits: Float32Array; labels: BigInt64Array }[] = [];
  let numLabels = 0;
  let longest = 0;
  let lossSum = 0;
  let steps = 0;
  for (const batch of batches(features, { ...collateOptions, batchSize, shuffle: false })) {
    const { loss, outputs } = await session.evaluate({ ...batch.tensors }, { outputs: ['loss', 'logits'] });
    steps++;
    lossSum += loss! * batch.indices.length;
    const logits = outputs.logits as TensorData<'float32'>;
    const [, width, nl] = logits.dims;
    numLabels = nl;
    longest = Math.max(longest, width);
    parts.push({ indices: batch.indices, width, logits: Float32Array.from(logits.data as Float32Array), labels: batch.tensors.labels!.data });
  }
  const n = features.length;
  const logits = new Float32Array(n * longest * numLabels).fill(-100);
  const labels = new BigInt64Array(n * longest).fill(-100n);
  for (const p of parts) {
    p.indices.forEach((fi, row) => {
      logits.set(p.logits.subarray(row * p.width * numLabels, (row + 1) * p.width * numLabels), fi * longest * numLabels);
      labels.set(p.labels.subarray(row * p.width, (row + 1) * p.width), fi * longest);
    });
  }
  return {
    loss: n > 0 ? lossSum / n : NaN,
    logits: new Tensor<'float32', 3>({ dtype: 'float32', dims: [n, longest, numLabels], data: logits }),
    labels: new Tensor<'int64', 2>({ dtype: 'int64', dims: [n, longest], data: labels }),
    runtime: (performance.now() - start) / 1000,
    samples: n,
    steps,
  };
}
