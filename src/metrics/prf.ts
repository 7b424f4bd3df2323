/**
 * Precision, recall, F-beta and support from entity counts: seqeval's
 * `_precision_recall_fscore_support` and `_prf_divide` (borrowed from scikit-learn), with the
 * same operation order so every number is the same float64.
 */
import { TokentagError } from '../errors.ts';
import { numpyMean, numpyWeightedAverage } from './numpy.ts';
import type { EntityCounts } from './spans.ts';
import type { Average, AveragedScores, PerTypeScores, WarningSink, ZeroDivision } from './types.ts';

export type Metric = 'precision' | 'recall' | 'f-score';

export interface PrfOptions {
  readonly beta: number;
  readonly zeroDivision: ZeroDivision;
  /** Which metrics the caller returns; only those warn (scikit-learn's `warn_for`). */
  readonly warnFor: readonly Metric[];
  readonly warn: WarningSink;
}

function zeroDivisionValue(z: ZeroDivision): number {
  return z === 1 ? 1 : 0;
}

function warnPrf(warn: WarningSink, modifier: string, msgStart: string, resultSize: number): void {
  const where = resultSize === 1 ? 'due to' : 'in labels with';
  warn({
    kind: 'undefined-metric',
    message:
      `${msgStart} ill-defined and being set to 0.0 ${where} no ${modifier} samples. ` +
      'Use `zero_division` parameter to control this behavior.',
  });
}

/** `_prf_divide`: numerator / denominator, with 0/0-style cases set to the zero-division value. */
function prfDivide(
  numerator: readonly number[],
  denominator: readonly number[],
  metric: 'precision' | 'recall',
  modifier: string,
  o: PrfOptions,
): number[] {
  const z = zeroDivisionValue(o.zeroDivision);
  let masked = false;
  const result = numerator.map((n, i) => {
    if (denominator[i] === 0) {
      masked = true;
      return z;
    }
    return n / denominator[i];
  });
  if (!masked || o.zeroDivision !== 'warn' || !o.warnFor.includes(metric)) return result;
  const title = metric === 'precision' ? 'Precision' : 'Recall';
  const msgStart = o.warnFor.includes('f-score') ? `${title} and F-score are` : `${title} is`;
  warnPrf(o.warn, modifier, msgStart, result.length);
  return result;
}

interface Core {
  readonly precision: number[];
  readonly recall: number[];
  readonly fScore: number[];
}

/** The vectorised part shared by all averages: per-row P, R and F-beta. */
function core(tp: readonly number[], pred: readonly number[], gold: readonly number[], o: PrfOptions): Core {
  if (!(o.beta >= 0)) throw new TokentagError('beta should be >=0 in the F-beta score');
  const beta2 = o.beta * o.beta;
  const precision = prfDivide(tp, pred, 'precision', 'predicted', o);
  const recall = prfDivide(tp, gold, 'recall', 'true', o);
  if (o.zeroDivision === 'warn' && o.warnFor.length === 1 && o.warnFor[0] === 'f-score') {
    if (gold.some((g, i) => g === 0 && pred[i] === 0)) warnPrf(o.warn, 'true nor predicted', 'F-score is', gold.length);
  }
  let fScore: number[];
  if (o.beta === Infinity) {
    fScore = recall.slice();
  } else {
    fScore = precision.map((p, i) => {
      const r = recall[i];
      let denom = beta2 * p + r;
      if (denom === 0) denom = 1;
      return ((1 + beta2) * p * r) / denom;
    });
  }
  return { precision, recall, fScore };
}

/** `average=None`: one row per type. */
export function perTypeScores(counts: EntityCounts, o: PrfOptions): PerTypeScores {
  const c = core(counts.tp, counts.pred, counts.true, o);
  return { types: counts.types, precision: c.precision, recall: c.recall, fScore: c.fScore, support: counts.true.slice() };
}

/** `average='micro' | 'macro' | 'weighted'`. */
export function averagedScores(counts: EntityCounts, average: Average, o: PrfOptions): AveragedScores {
  // Integer sums are exact in float64, so plain addition matches numpy here.
  const total = (a: readonly number[]): number => a.reduce((s, x) => s + x, 0);
  const support = total(counts.true);
  if (average === 'micro') {
    const c = core([total(counts.tp)], [total(counts.pred)], [support], o);
    return { precision: c.precision[0], recall: c.recall[0], fScore: c.fScore[0], support };
  }
  const c = core(counts.tp, counts.pred, counts.true, o);
  if (average === 'macro') {
    // np.average without weights = np.mean: NaN (with a numpy RuntimeWarning) when no types.
    return { precision: numpyMean(c.precision), recall: numpyMean(c.recall), fScore: numpyMean(c.fScore), support };
  }
  if (support === 0) {
    // Weights sum to zero: seqeval returns the zero-division value instead of dividing.
    const z = zeroDivisionValue(o.zeroDivision);
    const noPred = total(counts.pred) === 0;
    return { precision: noPred ? z : 0, recall: z, fScore: noPred ? z : 0, support };
  }
  return {
    precision: numpyWeightedAverage(c.precision, counts.true),
    recall: numpyWeightedAverage(c.recall, counts.true),
    fScore: numpyWeightedAverage(c.fScore, counts.true),
    support,
  };
}

