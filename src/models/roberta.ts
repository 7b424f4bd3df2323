/**
 * RoBERTa and XLM-RoBERTa for token classification (`RobertaForTokenClassification`,
 * `XLMRobertaForTokenClassification`: the same graph), written like Hugging Face's
 * `modeling_roberta.py`, with the checkpoint names under `roberta.`:
 *
 *     roberta.embeddings.{word,position,token_type}_embeddings.weight, roberta.embeddings.LayerNorm.*
 *     roberta.encoder.layer.N.…   (the BERT layer, copied from modeling_bert.py)
 *     classifier.*                (no pooler: add_pooling_layer=False)
 *
 * What differs from BERT is the position ids: they count the non-padding tokens, starting
 * after `padding_idx` (= pad_token_id), and padding tokens get `padding_idx` itself
 * (`create_position_ids_from_input_ids`). Token types are all 0 (type_vocab_size is 1).
 */
import type { GraphBuilder, Value } from '../engine/graph.ts';
import type { Architecture, ModelOptions } from './auto.ts';
import {
  CLASSIFIER_NAMES,
  type TokenClassifierForward,
  bertEmbeddings,
  bertEncoder,
  classifierParams,
  embeddingsParams,
  encoderParams,
  tokenClassificationHead,
  tokenClassifierModels,
} from './bert.ts';
import { type RobertaConfig, numLabelsOf } from './config.ts';
import { type ParamInfo, initParams } from './init.ts';

export function robertaParamShapes(c: RobertaConfig): ParamInfo[] {
  return [...embeddingsParams('roberta', c, c.hiddenSize), ...encoderParams('roberta', c), ...classifierParams(c.hiddenSize, numLabelsOf(c))];
}

/**
 * `create_position_ids_from_input_ids`: mask = (ids ≠ pad); positions = cumsum(mask)·mask + pad.
 * `[batch, seq]` int64, computed in the graph (no per-token work in JavaScript).
 */
export function robertaPositionIds(b: GraphBuilder, inputIds: Value, paddingIdx: number): Value {
  const mask = b.cast(b.not(b.equal(inputIds, b.scalar(paddingIdx, 'int64'))), 'int64');
  // CumSum has no static shape rule; reshaping to Shape(input_ids) restores [batch, sequence].
  const counted = b.reshape(b.op1('CumSum', [mask, b.scalar(1, 'int64')]), b.shape(inputIds));
  return b.add(b.mul(counted, mask), b.scalar(paddingIdx, 'int64'));
}

export function robertaForward(c: RobertaConfig): TokenClassifierForward {
  return (ctx, w, inputs) => {
    const positions = robertaPositionIds(ctx.b, inputs.inputIds, c.padTokenId);
    const embedded = bertEmbeddings(ctx, w, 'roberta', { ...inputs, tokenTypeIds: undefined }, positions, c.layerNormEps, c.hiddenDropoutProb);
    const sequenceOutput = bertEncoder(ctx, w, 'roberta', embedded, inputs.attentionMask, c);
    return tokenClassificationHead(ctx, w, sequenceOutput, c.classifierDropout ?? c.hiddenDropoutProb);
  };
}

export const roberta: Architecture<RobertaConfig> = {
  name: 'RoBERTa / XLM-RoBERTa',
  modelTypes: ['roberta', 'xlm-roberta'],
  baseModelPrefix: 'roberta',
  hasTokenTypes: false,
  headNames: CLASSIFIER_NAMES,
  ignoredBuffers: [/(^|\.)embeddings\.position_ids$/, /(^|\.)embeddings\.token_type_ids$/],
  paramShapes: robertaParamShapes,
  modelFn: (c, o?: ModelOptions) => tokenClassifierModels(robertaForward(c), o?.numLabels ?? numLabelsOf(c), false).modelFn,
  inferenceModel: (c, o?: ModelOptions) => tokenClassifierModels(robertaForward(c), o?.numLabels ?? numLabelsOf(c), false).inferenceModel,
  init: (c, seed = 42) => initParams(robertaParamShapes(c), c.initializerRange, seed),
};
