/**
 * A BERT-shaped encoder with a token-classification head, written with the layer helpers.
 * The benchmarks use it until the models issue brings the real architecture files; the
 * parameter names already follow the Hugging Face checkpoint.
 */
import { type DType, type TensorData, tensor } from '../src/engine/dtype.ts';
import type { GraphBuilder, Value } from '../src/engine/graph.ts';
import { attention, dropout, embedding, extendedAttentionMask, gelu, type LayerContext, layerNorm, linear } from '../src/engine/layers.ts';

export interface EncoderShape {
  vocab: number;
  hidden: number;
  layers: number;
  heads: number;
  intermediate: number;
  maxPositions: number;
  labels: number;
  dropout: number;
}

export const bertBase: EncoderShape = { vocab: 28996, hidden: 768, layers: 12, heads: 12, intermediate: 3072, maxPositions: 512, labels: 9, dropout: 0.1 };

/** Parameter names and shapes, in checkpoint order. */
export function encoderParamShapes(s: EncoderShape): [string, number[]][] {
  const out: [string, number[]][] = [
    ['bert.embeddings.word_embeddings.weight', [s.vocab, s.hidden]],
    ['bert.embeddings.position_embeddings.weight', [s.maxPositions, s.hidden]],
    ['bert.embeddings.token_type_embeddings.weight', [2, s.hidden]],
    ['bert.embeddings.LayerNorm.weight', [s.hidden]],
    ['bert.embeddings.LayerNorm.bias', [s.hidden]],
  ];
  for (let l = 0; l < s.layers; l++) {
    const p = `bert.encoder.layer.${l}`;
    for (const n of ['query', 'key', 'value']) {
      out.push([`${p}.attention.self.${n}.weight`, [s.hidden, s.hidden]], [`${p}.attention.self.${n}.bias`, [s.hidden]]);
    }
    out.push(
      [`${p}.attention.output.dense.weight`, [s.hidden, s.hidden]],
      [`${p}.attention.output.dense.bias`, [s.hidden]],
      [`${p}.attention.output.LayerNorm.weight`, [s.hidden]],
      [`${p}.attention.output.LayerNorm.bias`, [s.hidden]],
      [`${p}.intermediate.dense.weight`, [s.intermediate, s.hidden]],
      [`${p}.intermediate.dense.bias`, [s.intermediate]],
      [`${p}.output.dense.weight`, [s.hidden, s.intermediate]],
      [`${p}.output.dense.bias`, [s.hidden]],
      [`${p}.output.LayerNorm.weight`, [s.hidden]],
      [`${p}.output.LayerNorm.bias`, [s.hidden]],
    );
  }
  out.push(['classifier.weight', [s.labels, s.hidden]], ['classifier.bias', [s.labels]]);
  return out;
}

/** Seeded initial weights: normal(0, 0.02) matrices, zero biases, unit LayerNorm weights. */
export function initEncoderParams(s: EncoderShape, seed = 42): Map<string, TensorData<'float32'>> {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const params = new Map<string, TensorData<'float32'>>();
  for (const [name, dims] of encoderParamShapes(s)) {
    const t = tensor('float32', dims);
    if (name.endsWith('LayerNorm.weight')) t.data.fill(1);
    else if (!name.endsWith('bias')) {
      for (let i = 0; i < t.data.length; i += 2) {
        const r = Math.sqrt(-2 * Math.log(1 - uniform())) * 0.02;
        const th = 2 * Math.PI * uniform();
        t.data[i] = r * Math.cos(th);
        if (i + 1 < t.data.length) t.data[i + 1] = r * Math.sin(th);
      }
    }
    params.set(name, t);
  }
  return params;
}

/** Parameters that are not embedding tables: the ones the 6·N·tokens FLOP rule counts. */
export function nonEmbeddingParams(s: EncoderShape): number {
  return encoderParamShapes(s)
    .filter(([n]) => !n.includes('_embeddings.'))
    .reduce((a, [, d]) => a + d.reduce((p, x) => p * x, 1), 0);
}

/** The encoder + head: declares inputs `input_ids`, `attention_mask`, `labels`; returns logits and loss. */
export function encoderModel(s: EncoderShape, dtype: DType = 'float32') {
  return (b: GraphBuilder, p: ReadonlyMap<string, Value>, ctx: LayerContext) => {
    const w = (n: string) => {
      const v = p.get(n);
      if (!v) throw new Error(`missing parameter ${n}`);
      return v;
    };
    const ids = b.input('input_ids', 'int64', ['batch', 'sequence']);
    const mask = b.input('attention_mask', 'int64', ['batch', 'sequence']);
    const labels = b.input('labels', 'int64', ['batch', 'sequence']);
    // Position ids 0..T-1, sliced from a constant range so the graph keeps a dynamic sequence axis.
    const seqLen = b.slice(b.shape(ids), [1], [2], [0]);
    const positions = b.op1('Range', [b.scalar(0, 'int64'), b.squeeze(seqLen, [0]), b.scalar(1, 'int64')]);
    let h = b.add(embedding(b, w('bert.embeddings.word_embeddings.weight'), ids), embedding(b, w('bert.embeddings.position_embeddings.weight'), positions));
    h = b.add(h, b.gather(w('bert.embeddings.token_type_embeddings.weight'), b.int64s([0]), 0));
    h = dropout(ctx, layerNorm(b, h, w('bert.embeddings.LayerNorm.weight'), w('bert.embeddings.LayerNorm.bias'), 1e-12), s.dropout);
    const additive = extendedAttentionMask(b, mask, dtype === 'float64' ? 'float64' : 'float32');
    for (let l = 0; l < s.layers; l++) {
      const q = (n: string) => w(`bert.encoder.layer.${l}.${n}`);
      const ctxOut = attention(
        ctx,
        h,
        {
          query: { weight: q('attention.self.query.weight'), bias: q('attention.self.query.bias') },
          key: { weight: q('attention.self.key.weight'), bias: q('attention.self.key.bias') },
          value: { weight: q('attention.self.value.weight'), bias: q('attention.self.value.bias') },
        },
        additive,
        { heads: s.heads, hidden: s.hidden, dropout: s.dropout },
      );
      const attnOut = dropout(ctx, linear(b, ctxOut, q('attention.output.dense.weight'), q('attention.output.dense.bias')), s.dropout);
      h = layerNorm(b, b.add(attnOut, h), q('attention.output.LayerNorm.weight'), q('attention.output.LayerNorm.bias'), 1e-12);
      const inter = gelu(b, linear(b, h, q('intermediate.dense.weight'), q('intermediate.dense.bias')));
      const out = dropout(ctx, linear(b, inter, q('output.dense.weight'), q('output.dense.bias')), s.dropout);
      h = layerNorm(b, b.add(out, h), q('output.LayerNorm.weight'), q('output.LayerNorm.bias'), 1e-12);
    }
    const logits = linear(b, dropout(ctx, h, s.dropout), w('classifier.weight'), w('classifier.bias'));
    const [loss] = b.softmaxCrossEntropyLoss(b.reshape(logits, [-1, s.labels]), b.reshape(labels, [-1]));
    return { loss: loss!, outputs: { logits } };
  };
}
