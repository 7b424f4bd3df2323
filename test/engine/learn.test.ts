/**
 * End to end: models written with layers.ts, trained by the TrainingSession (forward,
 * backward, clipping and AdamW in ONNX Runtime), learn a small synthetic tagging task:
 * each token's tag is (token + previous token) mod 3, the previous token of the first being 0.
 * Both must reach a training loss near zero within a few hundred steps.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type TensorBatch,
  type ModelFn,
  type TensorData,
  TrainingSession,
  attention,
  dropout,
  embedding,
  extendedAttentionMask,
  gelu,
  layerNorm,
  linear,
  tensor,
} from '../../src/engine/index.ts';
import { mulberry32 } from './gradcheck.ts';

const VOCAB = 8; // 0 is padding, tokens are 1..7
const TAGS = 3;
const SEQ = 8;
const tagOf = (tok: number, prev: number) => (tok + prev) % TAGS;


/** Uniform(−1/√fan_in, 1/√fan_in), like torch.nn.Linear's default init. */
function init(r: () => number, dims: number[], fanIn = dims[dims.length - 1]!): TensorData<'float32'> {
  const a = 1 / Math.sqrt(fanIn);
  return tensor('float32', dims, Float32Array.from({ length: dims.reduce((x, y) => x * y, 1) }, () => (2 * r() - 1) * a));
}
const fill = (dims: number[], v: number) => tensor('float32', dims, new Float32Array(dims.reduce((x, y) => x * y, 1)).fill(v));

describe('learning a synthetic tagging task', () => {
  it('a 2-layer MLP (linear → gelu → linear) on one-hot (token, previous token) features', async () => {
    const HID = 32;
    const IN = 2 * VOCAB;
    const model: ModelFn = (b, p) => {
      const x = b.input('features', 'float32', ['n', IN]);
      const labels = b.input('labels', 'int64', ['n']);
      const h = gelu(b, linear(b, x, p.get('fc1.weight')!, p.get('fc1.bias')!));
      const logits = linear(b, h, p.get('fc2.weight')!, p.get('fc2.bias')!);
      const [loss] = b.softmaxCrossEntropyLoss(logits, labels);
      return { loss, outputs: { logits } };
    };
    const r = mulberry32(3);
    const params = new Map([
      ['fc1.weight', init(r, [HID, IN])],
      ['fc1.bias', init(r, [HID], IN)],
      ['fc2.weight', init(r, [TAGS, HID])],
      ['fc2.bias', init(r, [TAGS], HID)],
    ]);
    // Every (token, previous) pair, the previous being 0 for a sentence's first token.
    const rows: [number, number][] = [];
    for (let tok = 1; tok < VOCAB; tok++) for (let prev = 0; prev < VOCAB; prev++) rows.push([tok, prev]);
    const features = new Float32Array(rows.length * IN);
    rows.forEach(([tok, prev], i) => {
      features[i * IN + tok] = 1;
      features[i * IN + VOCAB + prev] = 1;
    });
    const batch: TensorBatch = {
      features: tensor('float32', [rows.length, IN], features),
      labels: tensor('int64', [rows.length], BigInt64Array.from(rows.map(([t, p]) => BigInt(tagOf(t, p))))),
    };
    const s = await TrainingSession.create({ params, model, adamw: { weightDecay: 0.01 }, maxGradNorm: 1, threads: 2 });
    let loss = Infinity;
    const first = (await s.step(batch, { lr: 0.02 })).loss;
    for (let i = 1; i < 300 && loss >= 0.02; i++) loss = (await s.step(batch, { lr: 0.02 })).loss;
    const evalLoss = (await s.evaluate(batch)).loss!;
    assert.ok(first > 0.8, `starts near ln 3 (${first})`);
    assert.ok(evalLoss < 0.05, `training loss ${evalLoss} after ${s.stepCount} steps`);
    await s.dispose();
  });

  it('a 1-layer transformer encoder with a padding mask', async () => {
    const H = 32;
    const HEADS = 2;
    const FF = 64;
    const DROPOUT = 0.1;
    const model: ModelFn = (b, p, ctx) => {
      const w = (n: string) => p.get(n)!;
      const ids = b.input('input_ids', 'int64', ['batch', SEQ]);
      const mask = b.input('attention_mask', 'int64', ['batch', SEQ]);
      const labels = b.input('labels', 'int64', ['batch', SEQ]);
      const emb = b.add(embedding(b, w('embeddings.word'), ids), w('embeddings.position'));
      const x = dropout(ctx, layerNorm(b, emb, w('embeddings.ln.weight'), w('embeddings.ln.bias'), 1e-12), DROPOUT);
      const att = attention(
        ctx,
        x,
        {
          query: { weight: w('attn.q.weight'), bias: w('attn.q.bias') },
          key: { weight: w('attn.k.weight'), bias: w('attn.k.bias') },
          value: { weight: w('attn.v.weight'), bias: w('attn.v.bias') },
        },
        extendedAttentionMask(b, mask),
        { heads: HEADS, hidden: H, dropout: DROPOUT },
      );
      const attOut = dropout(ctx, linear(b, att, w('attn.o.weight'), w('attn.o.bias')), DROPOUT);
      const h1 = layerNorm(b, b.add(x, attOut), w('attn.ln.weight'), w('attn.ln.bias'), 1e-12);
      const ff = linear(b, gelu(b, linear(b, h1, w('ffn.in.weight'), w('ffn.in.bias'))), w('ffn.out.weight'), w('ffn.out.bias'));
      const h2 = layerNorm(b, b.add(h1, dropout(ctx, ff, DROPOUT)), w('ffn.ln.weight'), w('ffn.ln.bias'), 1e-12);
      const logits = linear(b, h2, w('classifier.weight'), w('classifier.bias'));
      const [loss] = b.softmaxCrossEntropyLoss(b.reshape(logits, [-1, TAGS]), b.reshape(labels, [-1]));
      return { loss, outputs: { logits } };
    };
    const r = mulberry32(11);
    const params = new Map<string, TensorData<'float32'>>([
      ['embeddings.word', init(r, [VOCAB, H], 1)],
      ['embeddings.position', init(r, [SEQ, H], 1)],
      ['embeddings.ln.weight', fill([H], 1)],
      ['embeddings.ln.bias', fill([H], 0)],
    ]);
    for (const n of ['q', 'k', 'v', 'o']) {
      params.set(`attn.${n}.weight`, init(r, [H, H]));
      params.set(`attn.${n}.bias`, fill([H], 0));
    }
    params.set('attn.ln.weight', fill([H], 1));
    params.set('attn.ln.bias', fill([H], 0));
    params.set('ffn.in.weight', init(r, [FF, H]));
    params.set('ffn.in.bias', fill([FF], 0));
    params.set('ffn.out.weight', init(r, [H, FF]));
    params.set('ffn.out.bias', fill([H], 0));
    params.set('ffn.ln.weight', fill([H], 1));
    params.set('ffn.ln.bias', fill([H], 0));
    params.set('classifier.weight', init(r, [TAGS, H]));
    params.set('classifier.bias', fill([TAGS], 0));

    // 48 sentences of 2..8 tokens, padded to 8 (labels −100, mask 0 on padding).
    const N = 48;
    const ids = new BigInt64Array(N * SEQ);
    const mask = new BigInt64Array(N * SEQ);
    const labels = new BigInt64Array(N * SEQ).fill(-100n);
    const dr = mulberry32(5);
    for (let i = 0; i < N; i++) {
      const len = 2 + Math.floor(dr() * (SEQ - 1));
      let prev = 0;
      for (let j = 0; j < len; j++) {
        const tok = 1 + Math.floor(dr() * (VOCAB - 1));
        ids[i * SEQ + j] = BigInt(tok);
        mask[i * SEQ + j] = 1n;
        labels[i * SEQ + j] = BigInt(tagOf(tok, prev));
        prev = tok;
      }
    }
    const batch: TensorBatch = {
      input_ids: tensor('int64', [N, SEQ], ids),
      attention_mask: tensor('int64', [N, SEQ], mask),
      labels: tensor('int64', [N, SEQ], labels),
    };
    const s = await TrainingSession.create({ params, model, adamw: { weightDecay: 0.01 }, maxGradNorm: 1, seed: 1, threads: 2 });
    const steps = 400;
    const peak = 5e-3;
    let evalLoss = Infinity;
    for (let i = 0; i < steps; i++) {
      // linear warm-up over 20 steps, then linear decay (HF's default schedule)
      const lr = i < 20 ? (peak * i) / 20 : (peak * (steps - i)) / (steps - 20);
      const { loss } = await s.step(batch, { lr });
      assert.ok(Number.isFinite(loss));
      if (i % 50 === 49) {
        evalLoss = (await s.evaluate(batch)).loss!;
        if (evalLoss < 0.02) break;
      }
    }
    // Padding must not matter: changing the padded ids leaves the real tokens' logits unchanged.
    const { outputs } = await s.evaluate(batch, { outputs: ['logits'] });
    const ids2 = ids.map((v, i) => (mask[i] === 0n ? 5n : v));
    const { outputs: outputs2 } = await s.evaluate({ input_ids: tensor('int64', [N, SEQ], ids2), attention_mask: batch.attention_mask! }, { outputs: ['logits'] });
    const l1 = outputs.logits!.data as Float32Array;
    const l2 = outputs2.logits!.data as Float32Array;
    for (let t = 0; t < N * SEQ; t++) {
      if (mask[t] === 0n) continue;
      for (let c = 0; c < TAGS; c++) assert.ok(Math.abs(l1[t * TAGS + c]! - l2[t * TAGS + c]!) < 1e-4, 'the padding mask hides padded tokens');
    }
    assert.ok(evalLoss < 0.05, `training loss (evaluation mode) ${evalLoss} after ${s.stepCount} steps`);
    await s.dispose();
  });
});
