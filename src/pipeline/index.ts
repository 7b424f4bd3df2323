// Public API of tokentag's token-classification pipeline.
export {
  groupWords,
  pipeline,
  tokenizerFacts,
  type CallOptions,
  type ModelWindow,
  type PreparedCall,
  type PipelineLoadOptions,
  type PipelineOptions,
  type PipelineTask,
  type TextPrediction,
  type TokenClassificationPipeline,
  type WordEntity,
  type WordPrediction,
} from './pipeline.ts';
export { buildWindows, codePointToUtf16, defaultStride, tokenizeTexts, utf16Offsets, windowStarts, type TextTokens, type TextWindow } from './text.ts';
export type {
  AggregateOptions,
  AggregationStrategy,
  GroupedEntity,
  TokenEntity,
  TokenizedPrediction,
  TokenizerFacts,
} from './types.ts';
export { parseStrategy } from './types.ts';
export { aggregateOverlappingEntities, postprocess, softmax } from './aggregate.ts';
export { bioViterbi } from './viterbi.ts';
