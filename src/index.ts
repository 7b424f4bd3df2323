// The library API: everything a user needs, from the package root.
export { TokentagError, InputError, UsageError, HubError, RequestError, type HubErrorKind } from './errors.ts';
export * from './data/index.ts';
export * from './metrics/index.ts';
export * as engine from './engine/index.ts';
export * as models from './models/index.ts';
export * as train from './train/index.ts';
export * from './tokenize/index.ts';
export * from './pipeline/index.ts';
// The Trainer at the root too, as `transformers` has it (`from transformers import Trainer`).
export { Trainer, trainingArguments, type TrainingArguments, type TrainingArgumentsInit } from './train/index.ts';
export * from './hub/index.ts';
