// The library API: everything a user needs, from the package root.
export { TokentagError, InputError, UsageError, HubError, RequestError, type HubErrorKind } from './errors.ts';
export * from './data/index.ts';
export * from './metrics/index.ts';
export * as engine from './engine/index.ts';
export * as models from './models/index.ts';
export * as train from './train/index.ts';
export * from './tokenize/index.ts';
export * from './pipeline/index.ts';
// The names of the Hugging Face course's token-classification chapter, at the root as Python
// imports them (`from transformers import Trainer`): see docs/course.md.
export {
  Accelerator,
  AdamW,
  DataCollatorForTokenClassification,
  DataLoader,
  get_scheduler,
  Trainer,
  TrainingArguments,
  trainingArguments,
  tqdm,
  type ComputeMetrics,
  type EvalPrediction,
  type TokenClassificationBatch,
  type TokenClassificationRow,
  type TrainingArgumentsInit,
  type TrainingArgumentsOptions,
} from './train/index.ts';
export { AutoModelForTokenClassification, PreTrainedModel, type FromPretrainedOptions, type TokenClassifierOutput } from './models/index.ts';
export { Tensor } from './engine/index.ts';
export * from './hub/index.ts';
