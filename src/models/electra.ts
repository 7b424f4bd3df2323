/**
 * The ELECTRA discriminator for token classification (`ElectraForTokenClassification`),
 * written like Hugging Face's `modeling_electra.py`, with the checkpoint names under `electra.`:
 *
 *     electra.embeddings.{word,position,token_type}_embeddings.weight   [·, embedding_size]
 *     electra.embeddings.LayerNorm.*                                     [embedding_size]
 *     electra.embeddings_project.*      Linear(embedding_size, hidden_size), only when they differ
 *     electra.encoder.layer.N.…         (the BERT layer)
 *     classifier.*
 *
 * A discriminator checkpoint's `discriminator_predictions.*` (the replaced-token head) is unused.
 */
import { linear } from '../engine/layers.ts';
import type { Architecture, ModelOptions } from './auto.ts';
import {
  CLASSIFIER_NAMES,
  type TokenClassifierForward,
  bertEmbeddings,
  bertEncoder,
  classifierParams,
  embeddingsParams,
  encoderParams,
  sequencePositions,
  tokenClassificationHead,
  tokenClassifierModels,
} from './bert.ts';
import { type ElectraConfig, numLabelsOf } from './config.ts';
import { type ParamInfo, initParams, linearParams } from './init.ts';

export function electraParamShapes(c: ElectraConfig): ParamInfo[] {
  return [
    ...embeddingsParams('electra', c, c.embeddingSize),
    ...(c.embeddingSize !== c.hiddenSize ? linearParams('electra.embeddings_project', c.embeddingSize, c.hiddenSize) : []),
    ...encoderParams('electra', c),
    ...classifierParams(c.hiddenSize, numLabelsOf(c)),
  ];
}

export function electraForward(c: ElectraConfig): TokenClassifierForward {
  return (ctx, w, inputs) => {
    const positions = sequencePositions(ctx.b, inputs.inputIds);
    let h = bertEmbeddings(ctx, w, 'electra', inputs, positions, c.layerNormEps, c.hiddenDropoutProb);
    if (c.embeddingSize !== c.hiddenSize) h = linear(ctx.b, h, w('electra.embeddings_project.weight'), w('electra.embeddings_project.bias'));
    const sequenceOutput = bertEncoder(ctx, w, 'electra', h, inputs.attentionMask, c);
    return tokenClassificationHead(ctx, w, sequenceOutput, c.classifierDropout ?? c.hiddenDropoutProb);
  };
}

export const electra: Architecture<ElectraConfig> = {
  name: 'ELECTRA',
  modelTypes: ['electra'],
  baseModelPrefix: 'electra',
  hasTokenTypes: true,
  headNames: CLASSIFIER_NAMES,
  ignoredBuffers: [/(^|\.)embeddings\.position_ids$/, /(^|\.)embeddings\.token_type_ids$/],
  paramShapes: electraParamShapes,
  modelFn: (c, o?: ModelOptions) => tokenClassifierModels(electraForward(c), o?.numLabels ?? numLabelsOf(c), o?.tokenTypeIds ?? true).modelFn,
  inferenceModel: (c, o?: ModelOptions) => tokenClassifierModels(electraForward(c), o?.numLabels ?? numLabelsOf(c), o?.tokenTypeIds ?? true).inferenceModel,
  init: (c, seed = 42) => initParams(electraParamShapes(c), c.initializerRange, seed),
};
