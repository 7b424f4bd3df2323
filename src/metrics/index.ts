// Public API of the metrics module: an exact port of seqeval 1.2.2 and of the Hugging Face
// `evaluate` seqeval wrapper. docs/metrics.md maps every name to its Python counterpart.
export type {
  Average,
  AverageOrNone,
  AveragedScores,
  EntityOptions,
  FbetaOptions,
  MetricWarning,
  Mode,
  PerTypeScores,
  Scheme,
  ScoreOptions,
  Sequences,
  WarningSink,
  ZeroDivision,
} from './types.ts';
export { SCHEMES } from './types.ts';
export {
  accuracyScore,
  f1Score,
  fbetaScore,
  performanceMeasure,
  precisionRecallFscoreSupport,
  precisionScore,
  recallScore,
  type PerTypeOptions,
  type PerformanceMeasure,
} from './scores.ts';
export {
  classificationReportDict,
  classificationReportRows,
  classificationReportText,
  formatReport,
  type AverageRowName,
  type ClassificationReportDict,
  type ReportData,
  type ReportOptions,
  type ReportRow,
} from './report.ts';
export {
  evaluate,
  Seqeval,
  seqevalCompute,
  seqevalTypes,
  type MetricName,
  type SeqevalBatch,
  type SeqevalComputeOptions,
  type SeqevalOverall,
  type SeqevalResult,
  type SeqevalTypeScores,
} from './evaluate.ts';
export { getEntities, type Chunk } from './conlleval.ts';
export { autoDetectScheme, getStrictEntities, type StrictEntity } from './scheme.ts';
export { numpyMean, numpySum, numpyWeightedAverage } from './numpy.ts';
export { formatFixed } from './pyformat.ts';
export { parseConllevalText, parseTaggedConll, parseTaggedConllText, readTaggedConll, type TaggedSentence, type TaggedToken } from './conll-pairs.ts';
export { isSurfaceTag, surfaceScores, type SurfaceResult, type SurfaceScores } from './surface.ts';
