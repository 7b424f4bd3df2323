// Models: Hugging Face configs, the encoder architectures, initialisation and checkpoints.
export * from './config.ts';
export * from './auto.ts';
export * from './init.ts';
export * from './checkpoint.ts';
export { bert, bertForward, bertParamShapes, type BertLikeConfig, type EncoderInputs, type TokenClassifierForward, type Weights } from './bert.ts';
export { roberta, robertaForward, robertaParamShapes, robertaPositionIds } from './roberta.ts';
export { electra, electraForward, electraParamShapes } from './electra.ts';
export { distilbert, distilbertForward, distilbertParamShapes, DISTILBERT_LAYER_NORM_EPS } from './distilbert.ts';
export {
  CheckpointError,
  type LoadedTensor,
  readSafetensors,
  readShardedSafetensors,
  writeSafetensors,
} from './safetensors.ts';
export { readPytorchBin, type PytorchBin } from './pickle.ts';
export { checkExport, EXPORT_SOURCE_KEY, exportOnnx, exportGraph, ExportError, fingerprintModel, type ExportCheck, type ExportOptions, type ExportResult, type ExportSource, type ExportedTensorInfo } from './export.ts';
export { AutoModelForTokenClassification, labelNamesFromOptions, PreTrainedModel, type FromPretrainedOptions, type LabelOptions, type ModelInputs, type SessionSettings, type TokenClassifierOutput } from './auto-model.ts';
