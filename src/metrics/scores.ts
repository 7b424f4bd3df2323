/**
 * seqeval's score functions: `precision_score`, `recall_score`, `f1_score`,
 * `precision_recall_fscore_support`, `accuracy_score`, `performance_measure`.
 *
 * As in seqeval, the entity scores switch to strict mode only when `mode: 'strict'` *and* a
 * `scheme` are given; `mode: 'strict'` alone silently stays in default mode.
 */
import { TokentagError } from '../errors.ts';
import { extractCounts, onceSink } from './extract.ts';
import { averagedScores, perTypeScores, type Metric } from './prf.ts';
import { checkConsistentLength } from './validate.ts';
import type {
  AveragedScores,
  EntityOptions,
  FbetaOptions,
  PerTypeScores,
  ScoreOptions,
  Sequences,
} from './types.ts';

/** Options asking for one value per type (Python `average=None`). */
export type PerTypeOptions = EntityOptions & { readonly average: 'none'; readonly beta?: number };

function prfs(
  yTrue: Sequences,
  yPred: Sequences,
  options: FbetaOptions | PerTypeOptions,
  warnFor: readonly Metric[],
): AveragedScores | PerTypeScores {
  checkConsistentLength(yTrue, yPred);
  const warn = onceSink(options.onWarning);
  const strict = options.mode === 'strict' && options.scheme !== undefined;
  const counts = extractCounts(yTrue, yPred, {
    strictScheme: strict ? options.scheme : undefined,
    suffix: options.suffix ?? false,
    warn,
  });
  const o = { beta: options.beta ?? 1, zeroDivision: options.zeroDivision ?? 'warn', warnFor, warn } as const;
  const average = options.average ?? 'micro';
  return average === 'none' ? perTypeScores(counts, o) : averagedScores(counts, average, o);
}

const ALL: readonly Metric[] = ['precision', 'recall', 'f-score'];

/** `precision_recall_fscore_support`: averaged (default `average: 'micro'`) or per type. */
export function precisionRecallFscoreSupport(yTrue: Sequences, yPred: Sequences, options: PerTypeOptions): PerTypeScores;
export function precisionRecallFscoreSupport(yTrue: Sequences, yPred: Sequences, options?: FbetaOptions): AveragedScores;
export function precisionRecallFscoreSupport(
  yTrue: Sequences,
  yPred: Sequences,
  options: FbetaOptions | PerTypeOptions = {},
): AveragedScores | PerTypeScores {
  return prfs(yTrue, yPred, options, ALL);
}

function pick(
  r: AveragedScores | PerTypeScores,
  key: 'precision' | 'recall' | 'fScore',
): number | number[] {
  const v = r[key];
  return typeof v === 'number' ? v : [...v];
}

/** `precision_score`: correct predicted entities / predicted entities. */
export function precisionScore(yTrue: Sequences, yPred: Sequences, options: PerTypeOptions): number[];
export function precisionScore(yTrue: Sequences, yPred: Sequences, options?: ScoreOptions): number;
export function precisionScore(yTrue: Sequences, yPred: Sequences, options: ScoreOptions | PerTypeOptions = {}): number | number[] {
  return pick(prfs(yTrue, yPred, { ...options, beta: 1 }, ['precision']), 'precision');
}

/** `recall_score`: correct predicted entities / gold entities. */
export function recallScore(yTrue: Sequences, yPred: Sequences, options: PerTypeOptions): number[];
export function recallScore(yTrue: Sequences, yPred: Sequences, options?: ScoreOptions): number;
export function recallScore(yTrue: Sequences, yPred: Sequences, options: ScoreOptions | PerTypeOptions = {}): number | number[] {
  return pick(prfs(yTrue, yPred, { ...options, beta: 1 }, ['recall']), 'recall');
}

/** `f1_score`: harmonic mean of precision and recall. */
export function f1Score(yTrue: Sequences, yPred: Sequences, options: PerTypeOptions): number[];
export function f1Score(yTrue: Sequences, yPred: Sequences, options?: ScoreOptions): number;
export function f1Score(yTrue: Sequences, yPred: Sequences, options: ScoreOptions | PerTypeOptions = {}): number | number[] {
  return pick(prfs(yTrue, yPred, { ...options, beta: 1 }, ['f-score']), 'fScore');
}

/** F-beta (seqeval exposes it through `precision_recall_fscore_support(beta=...)`). */
export function fbetaScore(yTrue: Sequences, yPred: Sequences, options: PerTypeOptions & { readonly beta: number }): number[];
export function fbetaScore(yTrue: Sequences, yPred: Sequences, options: FbetaOptions & { readonly beta: number }): number;
export function fbetaScore(yTrue: Sequences, yPred: Sequences, options: FbetaOptions | PerTypeOptions): number | number[] {
  return pick(prfs(yTrue, yPred, options, ['f-score']), 'fScore');
}

/** `accuracy_score`: token accuracy over the flattened sequences, 'O' included. */
export function accuracyScore(yTrue: Sequences, yPred: Sequences): number {
  checkConsistentLength(yTrue, yPred);
  let correct = 0;
  let total = 0;
  for (let k = 0; k < yTrue.length; k++) {
    const t = yTrue[k];
    const p = yPred[k];
    for (let j = 0; j < t.length; j++) if (t[j] === p[j]) correct++;
    total += t.length;
  }
  // seqeval divides by zero here (ZeroDivisionError).
  if (total === 0) throw new TokentagError('accuracy is undefined: there are no tokens');
  return correct / total;
}

export interface PerformanceMeasure {
  readonly TP: number;
  readonly FP: number;
  readonly FN: number;
  readonly TN: number;
}

/** `performance_measure`: token-level counts where 'O' is the negative class. */
export function performanceMeasure(yTrue: Sequences, yPred: Sequences): PerformanceMeasure {
  checkConsistentLength(yTrue, yPred);
  let TP = 0, FP = 0, FN = 0, TN = 0;
  for (let k = 0; k < yTrue.length; k++) {
    const t = yTrue[k];
    const p = yPred[k];
    for (let j = 0; j < t.length; j++) {
      const a = t[j];
      const b = p[j];
      if (a === b && (a !== 'O' || b !== 'O')) TP++;
      if (a !== b && b !== 'O') FP++;
      if (a !== 'O' && b === 'O') FN++;
      if (a === 'O' && b === 'O') TN++;
    }
  }
  return { TP, FP, FN, TN };
}
