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
