/** Shared vocabulary of the metrics module; names follow seqeval 1.2.2 (see docs/metrics.md). */

/** Tagging schemes of `seqeval.scheme` (strict mode). */
export type Scheme = 'IOB1' | 'IOB2' | 'IOE1' | 'IOE2' | 'IOBES' | 'BILOU';
export const SCHEMES: readonly Scheme[] = ['IOB1', 'IOB2', 'IOE1', 'IOE2', 'IOBES', 'BILOU'];

/** `mode=None` (conlleval-compatible, called 'default' here) or `mode='strict'`. */
export type Mode = 'default' | 'strict';

/** seqeval's `zero_division`: 'warn' acts as 0 and reports a warning. */
export type ZeroDivision = 'warn' | 0 | 1;

/** seqeval's `average` for a single number. */
export type Average = 'micro' | 'macro' | 'weighted';
/** `'none'` stands for Python's `average=None`: one value per entity type, in sorted type order. */
export type AverageOrNone = Average | 'none';

/** Tag sequences: one array of tags per sentence. */
export type Sequences = readonly (readonly string[])[];

/** A Python warning seqeval would have raised. */
export interface MetricWarning {
  /** `UndefinedMetricWarning` (zero division) or the "seems not to be NE tag" UserWarning. */
  readonly kind: 'undefined-metric' | 'not-ne-tag';
  readonly message: string;
}

export type WarningSink = (warning: MetricWarning) => void;

/** Options shared by every entity-level metric. */
export interface EntityOptions {
  /** Tags carry their prefix at the end (`PER-B`). Default false. */
  readonly suffix?: boolean;
  /** 'default' (conlleval) or 'strict'. Default 'default'. */
  readonly mode?: Mode;
  /** Scheme for strict mode. Score functions use strict mode only when `scheme` is set too, as seqeval does. */
  readonly scheme?: Scheme;
  /** Value for 0/0. Default 'warn'. */
  readonly zeroDivision?: ZeroDivision;
  /** Receives the warnings Python would print. Each distinct message is reported once per call. */
  readonly onWarning?: WarningSink;
}

export interface ScoreOptions extends EntityOptions {
  /** Default 'micro'. */
  readonly average?: Average;
}

export interface FbetaOptions extends ScoreOptions {
  /** Weight of recall; F1 when 1 (the default). Must be >= 0; Infinity gives recall. */
  readonly beta?: number;
}

/** Per-type arrays, in sorted type order (Python `average=None`). */
export interface PerTypeScores {
  readonly types: readonly string[];
  readonly precision: readonly number[];
  readonly recall: readonly number[];
  readonly fScore: readonly number[];
  readonly support: readonly number[];
}

/** One averaged row. */
export interface AveragedScores {
  readonly precision: number;
  readonly recall: number;
  readonly fScore: number;
  readonly support: number;
}
