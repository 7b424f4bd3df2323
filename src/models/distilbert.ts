/**
 * DistilBERT for token classification (`DistilBertForTokenClassification`), written like
 * Hugging Face's `modeling_distilbert.py`, with its checkpoint names:
 *
 *     distilbert.embeddings.{word,position}_embeddings.weight, distilbert.embeddings.LayerNorm.*
 *     distilbert.transformer.layer.N.attention.{q_lin,k_lin,v_lin,out_lin}.*   (MultiHeadSelfAttention)
 *     distilbert.transformer.layer.N.sa_layer_norm.*
 *     distilbert.transformer.layer.N.ffn.{lin1,lin2}.*                          (FFN)
 *     distilbert.transformer.layer.N.output_layer_norm.*
 *     classifier.*
 *
 * Differences from BERT that matter: no token types; LayerNorm eps is fixed at 1e-12; no
 * dropout after the attention output projection (only on the attention probabilities, at
 * `attention_dropout`); the FFN's dropout and the head's dropout are both `config.dropout`
 * (`seq_classif_dropout` belongs to sequence classification).
 */
import { attention, dropout, embedding, extendedAttentionMask, gelu, layerNorm, linear } from '../engine/layers.ts';
import type { Architecture, ModelOptions } from './auto.ts';
import {
  CLASSIFIER_NAMES,
  type TokenClassifierForward,
  classifierParams,
  sequencePositions,
  tokenClassificationHead,
  tokenClassifierModels,
} from './bert.ts';
import { type DistilBertConfig, numLabelsOf } from './config.ts';
import { type ParamInfo, embeddingParams, initParams, layerNormParams, linearParams } from './init.ts';

/** DistilBERT's LayerNorms are built with `eps=1e-12`; the config has no field for it. */
export const DISTILBERT_LAYER_NORM_EPS = 1e-12;

export function distilbertParamShapes(c: DistilBertConfig): ParamInfo[] {
  const out: ParamInfo[] = [
    embeddingParams('distilbert.embeddings.word_embeddings.weight', c.vocabSize, c.dim, c.padTokenId),
    embeddingParams('distilbert.embeddings.position_embeddings.weight', c.maxPositionEmbeddings, c.dim),
    ...layerNormParams('distilbert.embeddings.LayerNorm', c.dim),
  ];
  for (let l = 0; l < c.nLayers; l++) {
    const p = `distilbert.transformer.layer.${l}`;
    out.push(
      ...linearParams(`${p}.attention.q_lin`, c.dim, c.dim),
      ...linearParams(`${p}.attention.k_lin`, c.dim, c.dim),
      ...linearParams(`${p}.attention.v_lin`, c.dim, c.dim),
      ...linearParams(`${p}.attention.out_lin`, c.dim, c.dim),
      ...layerNormParams(`${p}.sa_layer_norm`, c.dim),
      ...linearParams(`${p}.ffn.lin1`, c.dim, c.hiddenDim),
      ...linearParams(`${p}.ffn.lin2`, c.hiddenDim, c.dim),
      ...layerNormParams(`${p}.output_layer_norm`, c.dim),
    );
  }
  out.push(...classifierParams(c.dim, numLabelsOf(c)));
  return out;
}

export function distilbertForward(c: DistilBertConfig): TokenClassifierForward {
  const eps = DISTILBERT_LAYER_NORM_EPS;
  return (ctx, w, inputs) => {
    const b = ctx.b;
    // Embeddings: word + position, LayerNorm, dropout.
    const e = 'distilbert.embeddings';
    const positions = sequencePositions(b, inputs.inputIds);
    const sum = b.add(embedding(b, w(`${e}.word_embeddings.weight`), inputs.inputIds), embedding(b, w(`${e}.position_embeddings.weight`), positions));
    let h = dropout(ctx, layerNorm(b, sum, w(`${e}.LayerNorm.weight`), w(`${e}.LayerNorm.bias`), eps), c.dropout);
    // Transformer: masked positions get the dtype's minimum (masked_fill), i.e. the additive mask.
    const additive = extendedAttentionMask(b, inputs.attentionMask);
    for (let l = 0; l < c.nLayers; l++) {
      const p = `distilbert.transformer.layer.${l}`;
      const lin = (n: string) => ({ weight: w(`${p}.${n}.weight`), bias: w(`${p}.${n}.bias`) });
      const context = attention(ctx, h, { query: lin('attention.q_lin'), key: lin('attention.k_lin'), value: lin('attention.v_lin') }, additive, {
        heads: c.nHeads,
        hidden: c.dim,
        dropout: c.attentionDropout,
      });
      const saOutput = linear(b, context, w(`${p}.attention.out_lin.weight`), w(`${p}.attention.out_lin.bias`));
      const attended = layerNorm(b, b.add(saOutput, h), w(`${p}.sa_layer_norm.weight`), w(`${p}.sa_layer_norm.bias`), eps);
      // FFN: lin1, GELU, lin2, dropout.
      const inner = gelu(b, linear(b, attended, w(`${p}.ffn.lin1.weight`), w(`${p}.ffn.lin1.bias`)));
      const ffnOutput = dropout(ctx, linear(b, inner, w(`${p}.ffn.lin2.weight`), w(`${p}.ffn.lin2.bias`)), c.dropout);
      h = layerNorm(b, b.add(ffnOutput, attended), w(`${p}.output_layer_norm.weight`), w(`${p}.output_layer_norm.bias`), eps);
    }
    return tokenClassificationHead(ctx, w, h, c.dropout);
  };
}

export const distilbert: Architecture<DistilBertConfig> = {
  name: 'DistilBERT',
  modelTypes: ['distilbert'],
  baseModelPrefix: 'distilbert',
  hasTokenTypes: false,
  headNames: CLASSIFIER_NAMES,
  ignoredBuffers: [/(^|\.)embeddings\.position_ids$/],
  paramShapes: distilbertParamShapes,
  modelFn: (c, o?: ModelOptions) => tokenClassifierModels(distilbertForward(c), o?.numLabels ?? numLabelsOf(c), false).modelFn,
  inferenceModel: (c, o?: ModelOptions) => tokenClassifierModels(distilbertForward(c), o?.numLabels ?? numLabelsOf(c), false).inferenceModel,
  init: (c, seed = 42) => initParams(distilbertParamShapes(c), c.initializerRange, seed),
};
