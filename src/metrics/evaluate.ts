/**
 * The dictionary returned by Hugging Face `evaluate.load("seqeval").compute(...)`: the
 * classification report without its macro / weighted rows, with `micro avg` as the overall
 * scores and token accuracy added.
 */
import { TokentagError } from '../errors.ts';
import { classificationReportRows } from './report.ts';
import { accuracyScore } from './scores.ts';
import type { EntityOptions, Scheme, Sequences, ZeroDivision } from './types.ts';

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

// ---- evaluate.load("seqeval") --------------------------------------------------------------

/** One batch of label-name sequences, as `metric.add_batch(predictions=…, references=…)` takes them. */
export interface SeqevalBatch {
  /** Predicted label names, one array per sentence (positions whose label is -100 dropped). */
  readonly predictions: Sequences;
  /** Gold label names, aligned with `predictions`. */
  readonly references: Sequences;
}

/** `metric.compute(…)`'s keyword arguments: optionally a last batch, and seqeval's options. */
export interface SeqevalComputeOptions extends Partial<SeqevalBatch> {
  /** Tags carry their prefix at the end (`PER-B`). Default false. */
  readonly suffix?: boolean;
  /** The tagging scheme for strict mode: `'IOB2'`, `'IOBES'`, … */
  readonly scheme?: Scheme;
  /** `'strict'`, or null/undefined for seqeval's default (conlleval) mode. */
  readonly mode?: 'strict' | null;
  /** The value of 0/0 (`'warn'` acts as 0, as in seqeval). Default `'warn'`. */
  readonly zero_division?: ZeroDivision;
}

/** Checks one batch before it is kept: what is wrong, where, and what to do about it. */
function checkSeqevalBatch(batch: SeqevalBatch, first: number): void {
  const { predictions, references } = batch ?? ({} as SeqevalBatch);
  if (!Array.isArray(predictions) || !Array.isArray(references)) {
    throw new TokentagError('seqeval takes { predictions, references }: two arrays with one array of label names per sentence');
  }
  if (predictions.length !== references.length) {
    throw new TokentagError(`seqeval: ${predictions.length} predicted sentences but ${references.length} references; give one prediction per reference`);
  }
  const where = (k: number) => `sentence ${first + k}`;
  predictions.forEach((p, k) => {
    const r = references[k];
    if (!Array.isArray(p) || !Array.isArray(r)) throw new TokentagError(`seqeval: ${where(k)} must be an array of label names in both predictions and references`);
    for (const [what, seq] of [['prediction', p], ['reference', r]] as const) {
      seq.forEach((label, j) => {
        if (typeof label === 'string') return;
        const fix = label === -100
          ? 'drop the positions whose label is -100 (special tokens, padding, continuation sub-tokens) from both predictions and references'
          : 'map label ids to names first (label_names[id])';
        throw new TokentagError(`seqeval: the ${what} of ${where(k)} has ${JSON.stringify(label)} at position ${j}, not a label name; ${fix}`);
      });
    }
    if (p.length !== r.length) {
      throw new TokentagError(
        `seqeval: the prediction of ${where(k)} has ${p.length} labels but its reference has ${r.length}; they must be aligned position by position — ` +
          'keep exactly the positions whose label is not -100 in both (as compute_metrics does)',
      );
    }
  });
}

/**
 * The `seqeval` metric of Hugging Face `evaluate`: `compute({ predictions, references })`, or
 * `add_batch(…)` per evaluation batch and `compute()` at the end (which then starts afresh). The
 * result is {@link seqevalCompute}'s: per-type scores and `overall_precision`, `overall_recall`,
 * `overall_f1`, `overall_accuracy`.
 */
export class Seqeval {
  /** The metric's name, as `evaluate.load` was given it. */
  readonly name = 'seqeval';
  #predictions: (readonly string[])[] = [];
  #references: (readonly string[])[] = [];

  /** Keeps one batch for the next `compute()`. Unaligned sequences or ids instead of names are an error here. */
  add_batch(batch: SeqevalBatch): void {
    checkSeqevalBatch(batch, this.#predictions.length);
    this.#predictions.push(...batch.predictions);
    this.#references.push(...batch.references);
  }

  /** Keeps one sentence: `add({ prediction, reference })`. */
  add(example: { readonly prediction: readonly string[]; readonly reference: readonly string[] }): void {
    this.add_batch({ predictions: [example?.prediction], references: [example?.reference] });
  }

  /** Sentences kept by `add_batch` / `add` and not yet computed. */
  get pending(): number {
    return this.#predictions.length;
  }

  /**
   * Scores everything kept (plus `predictions` / `references` given here) and forgets it, as
   * `evaluate`'s `compute` does.
   */
  compute(options: SeqevalComputeOptions = {}): SeqevalResult {
    if (options.predictions !== undefined || options.references !== undefined) {
      this.add_batch({ predictions: options.predictions ?? (undefined as never), references: options.references ?? (undefined as never) });
    }
    if (this.#predictions.length === 0) throw new TokentagError('seqeval: nothing to compute; give predictions and references, or add_batch() them first');
    const predictions = this.#predictions;
    const references = this.#references;
    this.#predictions = [];
    this.#references = [];
    return seqevalCompute(predictions, references, {
      ...(options.suffix !== undefined ? { suffix: options.suffix } : {}),
      ...(options.scheme !== undefined ? { scheme: options.scheme } : {}),
      ...(options.mode === 'strict' ? { mode: 'strict' as const } : {}),
      ...(options.zero_division !== undefined ? { zeroDivision: options.zero_division } : {}),
    });
  }
}

/** The metrics `evaluate.load` knows. */
export type MetricName = 'seqeval';

/**
 * Hugging Face `evaluate`, for token classification: `evaluate.load('seqeval')` gives a
 * {@link Seqeval} metric (an exact port of seqeval 1.2.2, no download).
 */
export const evaluate = Object.freeze({
  load(path: MetricName): Seqeval {
    if (path !== 'seqeval') throw new TokentagError(`evaluate.load: unknown metric ${JSON.stringify(path)}; tokentag has 'seqeval' (the token-classification metric)`);
    return new Seqeval();
  },
});
