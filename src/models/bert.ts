/**
 * BERT for token classification (`BertForTokenClassification`), written like Hugging Face's
 * `modeling_bert.py` and with its checkpoint names:
 *
 *     bert.embeddings.{word,position,token_type}_embeddings.weight, bert.embeddings.LayerNorm.*
 *     bert.encoder.layer.N.attention.self.{query,key,value}.*       (BertSelfAttention)
 *     bert.encoder.layer.N.attention.output.{dense,LayerNorm}.*     (BertSelfOutput)
 *     bert.encoder.layer.N.intermediate.dense.*                     (BertIntermediate)
 *     bert.encoder.layer.N.output.{dense,LayerNorm}.*               (BertOutput)
 *     classifier.*                                                  (the head; no pooler)
 *
 * The embeddings, the encoder layer and the head are exported: RoBERTa and ELECTRA reuse them
 * under their own prefixes, as Hugging Face's files copy them.
 */
import type { TensorData } from '../engine/dtype.ts';
import type { GraphBuilder, Value } from '../engine/graph.ts';
import { attention, dropout, embedding, extendedAttentionMask, gelu, type LayerContext, layerNorm, linear } from '../engine/layers.ts';
import type { ModelFn } from '../engine/optim.ts';
import type { Architecture, InferenceFn, ModelOptions } from './auto.ts';
import { type BertConfig, type ElectraConfig, type ModelConfig, type RobertaConfig, numLabelsOf } from './config.ts';
import { type ParamInfo, embeddingParams, initParams, layerNormParams, linearParams } from './init.ts';

/** The configs of the BERT-shaped encoders. */
export type BertLikeConfig = BertConfig | RobertaConfig | ElectraConfig;

// ---- shared plumbing -----------------------------------------------------------------------

/** Looks up a weight by its checkpoint name; a missing one is a bug in the caller's params. */
export type Weights = (name: string) => Value;

export function weightsOf(params: ReadonlyMap<string, Value>): Weights {
  return (name) => {
    const v = params.get(name);
    if (!v) throw new Error(`the model needs parameter '${name}', which the params do not contain`);
    return v;
  };
}

/** The batch inputs of a token classifier. `tokenTypeIds` is undefined when the graph does not take them. */
export interface EncoderInputs {
  readonly inputIds: Value;
  readonly attentionMask: Value;
  readonly tokenTypeIds: Value | undefined;
}

/** The encoder + head: from the inputs to `logits` `[batch, seq, numLabels]`. */
export type TokenClassifierForward = (ctx: LayerContext, w: Weights, inputs: EncoderInputs) => Value;

function declareInputs(b: GraphBuilder, tokenTypeIds: boolean): EncoderInputs {
  return {
    inputIds: b.input('input_ids', 'int64', ['batch', 'sequence']),
    attentionMask: b.input('attention_mask', 'int64', ['batch', 'sequence']),
    tokenTypeIds: tokenTypeIds ? b.input('token_type_ids', 'int64', ['batch', 'sequence']) : undefined,
  };
}

/**
 * The training model (inputs + `labels`, loss = mean cross-entropy over `[batch·seq, numLabels]`
 * ignoring -100, output `logits`) and the inference model (no labels, output `logits`) of a forward pass.
 */
export function tokenClassifierModels(forward: TokenClassifierForward, numLabels: number, tokenTypeIds: boolean): { modelFn: ModelFn; inferenceModel: InferenceFn } {
  const modelFn: ModelFn = (b, params, ctx) => {
    const inputs = declareInputs(b, tokenTypeIds);
    const labels = b.input('labels', 'int64', ['batch', 'sequence']);
    const logits = forward(ctx, weightsOf(params), inputs);
    const [loss] = b.softmaxCrossEntropyLoss(b.reshape(logits, [-1, numLabels]), b.reshape(labels, [-1]));
    return { loss, outputs: { logits } };
  };
  const inferenceModel: InferenceFn = (b, params, ctx) => {
    const inputs = declareInputs(b, tokenTypeIds);
    return { outputs: { logits: forward(ctx, weightsOf(params), inputs) } };
  };
  return { modelFn, inferenceModel };
}

/** `[0, 1, …, seq−1]` for the sequence axis of `ids`, kept dynamic (BERT's `position_ids` buffer, sliced). */
export function sequencePositions(b: GraphBuilder, ids: Value): Value {
  const seqLen = b.squeeze(b.slice(b.shape(ids), [1], [2], [0]), [0]);
  const positions = b.op1('Range', [b.scalar(0, 'int64'), seqLen, b.scalar(1, 'int64')]);
  // Range's length is the sequence axis of `ids`; saying so keeps that axis symbolic downstream
  // (the logits stay [batch, sequence, labels] instead of [batch, ?, labels]).
  return ids.shape ? b.refineShape(positions, [ids.shape[1] ?? null]) : positions;
}

// ---- parameters ----------------------------------------------------------------------------

/** `BertEmbeddings` (also RoBERTa's and, at `embeddingSize`, ELECTRA's). */
export function embeddingsParams(prefix: string, c: BertLikeConfig, size: number): ParamInfo[] {
  const roberta = c.modelType === 'roberta' || c.modelType === 'xlm-roberta';
  return [
    embeddingParams(`${prefix}.embeddings.word_embeddings.weight`, c.vocabSize, size, c.padTokenId),
    // RoBERTa's position table has padding_idx too (its row is never read, and initialised to zero).
    embeddingParams(`${prefix}.embeddings.position_embeddings.weight`, c.maxPositionEmbeddings, size, roberta ? c.padTokenId : null),
    embeddingParams(`${prefix}.embeddings.token_type_embeddings.weight`, c.typeVocabSize, size),
    ...layerNormParams(`${prefix}.embeddings.LayerNorm`, size),
  ];
}

/** One `BertLayer`: self-attention, its output projection + LayerNorm, the feed-forward block. */
export function encoderLayerParams(p: string, c: BertLikeConfig): ParamInfo[] {
  const h = c.hiddenSize;
  return [
    ...linearParams(`${p}.attention.self.query`, h, h),
    ...linearParams(`${p}.attention.self.key`, h, h),
    ...linearParams(`${p}.attention.self.value`, h, h),
    ...linearParams(`${p}.attention.output.dense`, h, h),
    ...layerNormParams(`${p}.attention.output.LayerNorm`, h),
    ...linearParams(`${p}.intermediate.dense`, h, c.intermediateSize),
    ...linearParams(`${p}.output.dense`, c.intermediateSize, h),
    ...layerNormParams(`${p}.output.LayerNorm`, h),
  ];
}

export function encoderParams(prefix: string, c: BertLikeConfig): ParamInfo[] {
  const out: ParamInfo[] = [];
  for (let l = 0; l < c.numHiddenLayers; l++) out.push(...encoderLayerParams(`${prefix}.encoder.layer.${l}`, c));
  return out;
}

/** The token-classification head: `classifier = Linear(hidden, numLabels)`. */
export function classifierParams(hidden: number, numLabels: number): ParamInfo[] {
  return linearParams('classifier', hidden, numLabels);
}

export const CLASSIFIER_NAMES = ['classifier.weight', 'classifier.bias'] as const;

export function bertParamShapes(c: BertConfig): ParamInfo[] {
  return [...embeddingsParams('bert', c, c.hiddenSize), ...encoderParams('bert', c), ...classifierParams(c.hiddenSize, numLabelsOf(c))];
}

// ---- the forward pass ----------------------------------------------------------------------

/**
 * `BertEmbeddings.forward`: word + token type + position embeddings, LayerNorm, dropout.
 * `positions` are `[seq]` (BERT: 0..seq−1) or `[batch, seq]` (RoBERTa). Without token type ids
 * every token has type 0 (Hugging Face's zero `token_type_ids` buffer): row 0 is broadcast.
 */
export function bertEmbeddings(
  ctx: LayerContext,
  w: Weights,
  prefix: string,
  inputs: EncoderInputs,
  positions: Value,
  eps: number,
  dropoutProb: number,
): Value {
  const b = ctx.b;
  const p = `${prefix}.embeddings`;
  const words = embedding(b, w(`${p}.word_embeddings.weight`), inputs.inputIds);
  const types = inputs.tokenTypeIds
    ? embedding(b, w(`${p}.token_type_embeddings.weight`), inputs.tokenTypeIds)
    : b.gather(w(`${p}.token_type_embeddings.weight`), b.int64s([0]), 0);
  const sum = b.add(b.add(words, types), embedding(b, w(`${p}.position_embeddings.weight`), positions));
  return dropout(ctx, layerNorm(b, sum, w(`${p}.LayerNorm.weight`), w(`${p}.LayerNorm.bias`), eps), dropoutProb);
}

/** `BertLayer.forward` (post-LayerNorm residual blocks). */
export function bertLayer(ctx: LayerContext, w: Weights, p: string, h: Value, additiveMask: Value, c: BertLikeConfig): Value {
  const b = ctx.b;
  // BertSelfAttention
  const context = attention(
    ctx,
    h,
    {
      query: { weight: w(`${p}.attention.self.query.weight`), bias: w(`${p}.attention.self.query.bias`) },
      key: { weight: w(`${p}.attention.self.key.weight`), bias: w(`${p}.attention.self.key.bias`) },
      value: { weight: w(`${p}.attention.self.value.weight`), bias: w(`${p}.attention.self.value.bias`) },
    },
    additiveMask,
    { heads: c.numAttentionHeads, hidden: c.hiddenSize, dropout: c.attentionProbsDropoutProb },
  );
  // BertSelfOutput: dense, dropout, LayerNorm(· + input)
  const attnOut = dropout(ctx, linear(b, context, w(`${p}.attention.output.dense.weight`), w(`${p}.attention.output.dense.bias`)), c.hiddenDropoutProb);
  const attended = layerNorm(b, b.add(attnOut, h), w(`${p}.attention.output.LayerNorm.weight`), w(`${p}.attention.output.LayerNorm.bias`), c.layerNormEps);
  // BertIntermediate: dense, GELU
  const inter = gelu(b, linear(b, attended, w(`${p}.intermediate.dense.weight`), w(`${p}.intermediate.dense.bias`)));
  // BertOutput: dense, dropout, LayerNorm(· + attended)
  const out = dropout(ctx, linear(b, inter, w(`${p}.output.dense.weight`), w(`${p}.output.dense.bias`)), c.hiddenDropoutProb);
  return layerNorm(b, b.add(out, attended), w(`${p}.output.LayerNorm.weight`), w(`${p}.output.LayerNorm.bias`), c.layerNormEps);
}

/** `BertEncoder.forward` over all layers, with the additive mask built once. */
export function bertEncoder(ctx: LayerContext, w: Weights, prefix: string, h: Value, attentionMask: Value, c: BertLikeConfig): Value {
  const additive = extendedAttentionMask(ctx.b, attentionMask);
  for (let l = 0; l < c.numHiddenLayers; l++) h = bertLayer(ctx, w, `${prefix}.encoder.layer.${l}`, h, additive, c);
  return h;
}

/** `…ForTokenClassification`: dropout (classifier_dropout, else hidden dropout), then `classifier`. */
export function tokenClassificationHead(ctx: LayerContext, w: Weights, sequenceOutput: Value, dropoutProb: number): Value {
  return linear(ctx.b, dropout(ctx, sequenceOutput, dropoutProb), w('classifier.weight'), w('classifier.bias'));
}

export function bertForward(c: BertConfig): TokenClassifierForward {
  return (ctx, w, inputs) => {
    const positions = sequencePositions(ctx.b, inputs.inputIds);
    const embedded = bertEmbeddings(ctx, w, 'bert', inputs, positions, c.layerNormEps, c.hiddenDropoutProb);
    const sequenceOutput = bertEncoder(ctx, w, 'bert', embedded, inputs.attentionMask, c);
    return tokenClassificationHead(ctx, w, sequenceOutput, c.classifierDropout ?? c.hiddenDropoutProb);
  };
}

// ---- the architecture ----------------------------------------------------------------------

export const bert: Architecture<BertConfig> = {
  name: 'BERT',
  modelTypes: ['bert'],
  baseModelPrefix: 'bert',
  hasTokenTypes: true,
  headNames: CLASSIFIER_NAMES,
  // Older checkpoints saved the position/token-type id buffers; they are not weights.
  ignoredBuffers: [/(^|\.)embeddings\.position_ids$/, /(^|\.)embeddings\.token_type_ids$/],
  paramShapes: bertParamShapes,
  modelFn: (c, o?: ModelOptions) => tokenClassifierModels(bertForward(c), o?.numLabels ?? numLabelsOf(c), o?.tokenTypeIds ?? true).modelFn,
  inferenceModel: (c, o?: ModelOptions) => tokenClassifierModels(bertForward(c), o?.numLabels ?? numLabelsOf(c), o?.tokenTypeIds ?? true).inferenceModel,
  init: (c, seed = 42): Map<string, TensorData<'float32'>> => initParams(bertParamShapes(c), c.initializerRange, seed),
};

/** For callers holding a union config that they know is BERT-shaped. */
export function isBertLike(c: ModelConfig): c is BertLikeConfig {
  return c.modelType !== 'distilbert';
}
