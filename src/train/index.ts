// Public API of tokentag's training stage.
export {
  batches,
  collate,
  lengthGroupedIndices,
  paddedLength,
  planBatches,
  type BatchesOptions,
  type BatchIterable,
  type BatchPlan,
  type CollatedBatch,
  type CollateOptions,
  type EncodedFeature,
  type LoaderBatch,
  type SamplerOptions,
} from './batching.ts';
export {
  trainingArguments,
  trainingArgumentsFromJson,
  trainingArgumentsToJson,
  TrainingArgumentsError,
  TRAINING_ARGUMENT_DEFAULTS,
  type IntervalStrategy,
  type TrainingArgumentsInit,
} from './args.ts';
export { TrainingArguments, type SnakeCase, type TrainingArgumentsOptions, type TrainingArgumentsSnake } from './training-arguments.ts';
export {
  constantLambda,
  constantWithWarmupLambda,
  cosineLambda,
  createSchedule,
  linearLambda,
  LrSchedule,
  warmupStepsFor,
  type ScheduleJson,
  type ScheduleOptions,
  type SchedulerType,
} from './schedule.ts';
export { checkEvalFeatures, evaluateModel, evaluateTokens, type EvalFeature, type EvaluateOptions, type EvaluationResult, type TokenEvaluation } from './evaluate.ts';
export {
  DataCollatorForTokenClassification,
  featureOfRow,
  type DataCollatorForTokenClassificationOptions,
  type TokenClassificationBatch,
  type TokenClassificationRow,
} from './collator.ts';
export { DataLoader, type DataLoaderOptions, type RowSource } from './data-loader.ts';
export { AdamW, get_scheduler, LRScheduler, type AdamWOptions, type ModelParameters, type OptimizerStepOutput, type SchedulerOptions } from './optimizer.ts';
export { Accelerator, type AcceleratorOptions } from './accelerator.ts';
export {
  checkpointDir,
  latestCheckpoint,
  listCheckpoints,
  readCheckpoint,
  rotateCheckpoints,
  TrainerCheckpointError,
  writeCheckpoint,
  type CheckpointContents,
  type DataPosition,
  type LogRecord,
  type SchedulerJson,
  type TrainerStateJson,
} from './checkpoint.ts';
export { formatDuration, ProgressBar, tqdm, Tqdm, type ProgressInfo, type ProgressOptions, type ProgressStream } from './progress.ts';
export {
  Trainer,
  TrainingStoppedError,
  type ComputeMetrics,
  type EvalPrediction,
  type TrainerModel,
  type TrainerOptions,
  type TrainMetrics,
  type TrainOptions,
  type TrainOutput,
} from './trainer.ts';
export { DEFAULT_PRESET, FROM_SCRATCH_TRAINING, getPreset, MODEL_PRESETS, presetNames, type ModelPreset } from './presets.ts';
export { labelNamesOf, requireSplit, resolveDataset, resolveModel, type ResolvedDataset, type ResolvedModel } from './resolve.ts';
export {
  describeLabelMapping,
  labelIdsByName,
  loadForLabels,
  mapLabelsByName,
  remapHead,
  type FineTuneOptions,
  type LabelMapping,
  type LoadedForLabels,
} from './label-map.ts';
export { mergeEvaluation, prepareSplit, prepareSplits, trainingFeatures, type PreparedSplit, type PreparedSplits, type PrepareOptions } from './prepare.ts';
export {
  featureLength,
  runArguments,
  setupModel,
  setupTraining,
  type ModelSetup,
  type ModelSetupOptions,
  type RunArgumentsOptions,
  type TrainingSetup,
  type TrainingSetupOptions,
} from './setup.ts';
export { saveRunOutputs, type RunOutputs, type RunOutputsOptions } from './run-ner.ts';
