/**
 * The dictionary returned by Hugging Face `evaluate.load("seqeval").compute(...)`: the
 * classification report without its macro / weighted rows, with `micro avg` as the overall
 * scores and token accuracy added.
 */
import { classificationReportRows } from './report.ts';
import { accuracyScore } from './scores.ts';
import type { EntityOptions, Sequences } from './types.ts';

export interface SeqevalTypeScores {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  /** Number of gold entities of the type (the report's support). */
  readonly number: number;
}

export interface SeqevalOverall {
  readonly overall_precision: number;
  readonly overall_recall: number;
  readonly overall_f1: number;
  readonly overall_accuracy: number;
}

/** Per-type entries under their type name, plus the four `overall_*` numbers. */
export type SeqevalResult = SeqevalOverall & { readonly [type: string]: SeqevalTypeScores | number };

/**
 * `seqeval.compute(predictions=..., references=..., suffix, scheme, mode, zero_division)`.
 * Note the argument order: predictions first, as in `evaluate`.
 */
export function seqevalCompute(predictions: Sequences, references: Sequences, options: EntityOptions = {}): SeqevalResult {
  const { rows, typeCount } = classificationReportRows(references, predictions, options);
  const out: Record<string, SeqevalTypeScores | number> = {};
  for (const [name, r] of rows.slice(0, typeCount)) {
    out[name] = { precision: r.precision, recall: r.recall, f1: r['f1-score'], number: r.support };
  }
  const micro = rows[typeCount][1];
  out.overall_precision = micro.precision;
  out.overall_recall = micro.recall;
  out.overall_f1 = micro['f1-score'];
  out.overall_accuracy = accuracyScore(references, predictions);
  return out as SeqevalResult;
}

/** The per-type entries of a result, in their order (the `overall_*` numbers left out). */
export function seqevalTypes(result: SeqevalResult): [string, SeqevalTypeScores][] {
  return Object.entries(result).filter((e): e is [string, SeqevalTypeScores] => typeof e[1] === 'object');
}
