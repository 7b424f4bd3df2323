/**
 * seqeval's `classification_report`: per-type rows then micro / macro / weighted averages, as
 * a dict (`output_dict=True`) or as the fixed-width text of `StringReporter`.
 *
 * Unlike the score functions, the report goes strict whenever `mode: 'strict'`; without a
 * scheme it runs `auto_detect` on y_true (seqeval's behaviour, including its inconsistency).
 */
import { extractCounts, onceSink } from './extract.ts';
import { averagedScores, perTypeScores, type PrfOptions } from './prf.ts';
import { formatFixed } from './pyformat.ts';
import { pyLen } from './pystr.ts';
import { autoDetectScheme } from './scheme.ts';
import { checkConsistentLength } from './validate.ts';
import type { Average, EntityOptions, Sequences } from './types.ts';

/** One row of the dict report (keys as in seqeval). */
export interface ReportRow {
  readonly precision: number;
  readonly recall: number;
  readonly 'f1-score': number;
  readonly support: number;
}

export type AverageRowName = 'micro avg' | 'macro avg' | 'weighted avg';

/**
 * `classification_report(output_dict=True)`: keys are the sorted type names, then
 * 'micro avg', 'macro avg', 'weighted avg'. (JavaScript lists integer-like keys such as '1'
 * first whatever the insertion order; `classificationReportRows` keeps seqeval's order.)
 */
export type ClassificationReportDict = Record<string, ReportRow> & Record<AverageRowName, ReportRow>;

export interface ReportOptions extends EntityOptions {
  /** Digits after the decimal point in the text report. Default 2. */
  readonly digits?: number;
}

/** The report as ordered rows: per-type rows first, then the three averages. */
export interface ReportData {
  readonly rows: readonly (readonly [name: string, row: ReportRow])[];
  readonly typeCount: number;
}

const AVERAGES: readonly Average[] = ['micro', 'macro', 'weighted'];

/** The rows of the report, in seqeval's order. Shared by the dict, text and evaluate outputs. */
export function classificationReportRows(yTrue: Sequences, yPred: Sequences, options: EntityOptions = {}): ReportData {
  const warn = onceSink(options.onWarning);
  const suffix = options.suffix ?? false;
  const strictScheme =
    options.mode === 'strict' ? (options.scheme ?? autoDetectScheme(yTrue, suffix)) : undefined;
  checkConsistentLength(yTrue, yPred);
  const counts = extractCounts(yTrue, yPred, { strictScheme, suffix, warn });
  const o: PrfOptions = { beta: 1, zeroDivision: options.zeroDivision ?? 'warn', warnFor: ['precision', 'recall', 'f-score'], warn };
  const per = perTypeScores(counts, o);
  const rows: [string, ReportRow][] = per.types.map((name, i) => [
    name,
    { precision: per.precision[i], recall: per.recall[i], 'f1-score': per.fScore[i], support: per.support[i] },
  ]);
  for (const average of AVERAGES) {
    const a = averagedScores(counts, average, o);
    rows.push([`${average} avg`, { precision: a.precision, recall: a.recall, 'f1-score': a.fScore, support: a.support }]);
  }
  return { rows, typeCount: per.types.length };
}

/** `classification_report(..., output_dict=True)`. */
export function classificationReportDict(
  yTrue: Sequences,
  yPred: Sequences,
  options: EntityOptions = {},
): ClassificationReportDict {
  const out: Record<string, ReportRow> = {};
  for (const [name, row] of classificationReportRows(yTrue, yPred, options).rows) out[name] = row;
  return out as ClassificationReportDict;
}

function padLeft(s: string, width: number): string {
  const len = pyLen(s);
  return len >= width ? s : ' '.repeat(width - len) + s;
}

/** Renders rows as `StringReporter` does. */
export function formatReport(data: ReportData, digits = 2): string {
  if (!Number.isInteger(digits) || digits < 0) throw new RangeError(`digits must be a non-negative integer, got ${digits}`);
  const typeRows = data.rows.slice(0, data.typeCount);
  // seqeval takes max() over the type names and crashes when there are none; we use 0.
  const nameWidth = Math.max(0, ...typeRows.map(([name]) => pyLen(name)));
  const width = Math.max(nameWidth, 'weighted avg'.length, digits);
  const header =
    `${padLeft('', width)} ` + ['precision', 'recall', 'f1-score', 'support'].map((h) => ` ${padLeft(h, 9)}`).join('');
  const line = ([name, r]: readonly [string, ReportRow]): string =>
    `${padLeft(name, width)} ` +
    [r.precision, r.recall, r['f1-score']].map((v) => ` ${padLeft(formatFixed(v, digits), 9)}`).join('') +
    ` ${padLeft(String(r.support), 9)}`;
  const body = [...typeRows.map(line), '', ...data.rows.slice(data.typeCount).map(line), ''];
  return `${header}\n\n${body.join('\n')}`;
}

/** `classification_report(...)` as text (seqeval's default output). */
export function classificationReportText(yTrue: Sequences, yPred: Sequences, options: ReportOptions = {}): string {
  return formatReport(classificationReportRows(yTrue, yPred, options), options.digits ?? 2);
}
