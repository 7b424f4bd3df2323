import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { GraphBuilder, type TensorData, TrainingSession, serializeModel, tensor } from '../../src/engine/index.ts';
import {
  type ModelConfig,
  type ModelType,
  architectureFor,
  buildInferenceGraph,
  createConfig,
  hiddenSizeOf,
  robertaPositionIds,
} from '../../src/models/index.ts';

// ---- helpers -------------------------------------------------------------------------------

const LABELS = ['O', 'B-X', 'I-X'];

/** A tiny config of each architecture (vocab 20, hidden 8, 2 heads, 16 inner, 12 positions, 3 labels). */
function tiny(type: ModelType, layers = 1, extra: Record<string, unknown> = {}): ModelConfig {
  const common = { vocab_size: 20, max_position_embeddings: 12, id2label: LABELS, hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1 };
  if (type === 'distilbert') return createConfig(type, { vocab_size: 20, max_position_embeddings: 12, id2label: LABELS, dim: 8, n_heads: 2, hidden_dim: 16, n_layers: layers, ...extra });
  return createConfig(type, { ...common, hidden_size: 8, num_attention_heads: 2, intermediate_size: 16, num_hidden_layers: layers, embedding_size: 8, ...extra });
}

const i64 = (rows: number[][]) => tensor('int64', [rows.length, rows[0]!.length], BigInt64Array.from(rows.flat().map(BigInt)));

/** Runs the exported inference graph (weights as initializers) in ONNX Runtime. */
async function logitsOf(config: ModelConfig, params: ReadonlyMap<string, TensorData<'float32'>>, batch: Record<string, TensorData>, tokenTypeIds?: boolean): Promise<{ dims: readonly number[]; data: Float32Array }> {
  const graph = buildInferenceGraph(config, params, { tokenTypeIds });
  const session = await ort.InferenceSession.create(serializeModel(graph).model);
  try {
    const feeds: Record<string, ort.Tensor> = {};
    for (const v of graph.inputs) feeds[v.name] = new ort.Tensor('int64', batch[v.name]!.data as BigInt64Array, batch[v.name]!.dims);
    const out = (await session.run(feeds)).logits!;
    return { dims: out.dims, data: out.data as Float32Array };
  } finally {
    await session.release();
  }
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: lengths differ`);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  assert.ok(worst <= tol, `${what}: max |difference| ${worst} > ${tol}`);
}

const nameDims = (c: ModelConfig) => architectureFor(c).paramShapes(c).map((p) => [p.name, [...p.dims]]);

// ---- parameter names and shapes (written out from the Hugging Face modules) -----------------

function bertLayer(p: string, h: number, inner: number): [string, number[]][] {
  return [
    [`${p}.attention.self.query.weight`, [h, h]],
    [`${p}.attention.self.query.bias`, [h]],
    [`${p}.attention.self.key.weight`, [h, h]],
    [`${p}.attention.self.key.bias`, [h]],
    [`${p}.attention.self.value.weight`, [h, h]],
    [`${p}.attention.self.value.bias`, [h]],
    [`${p}.attention.output.dense.weight`, [h, h]],
    [`${p}.attention.output.dense.bias`, [h]],
    [`${p}.attention.output.LayerNorm.weight`, [h]],
    [`${p}.attention.output.LayerNorm.bias`, [h]],
    [`${p}.intermediate.dense.weight`, [inner, h]],
    [`${p}.intermediate.dense.bias`, [inner]],
    [`${p}.output.dense.weight`, [h, inner]],
    [`${p}.output.dense.bias`, [h]],
    [`${p}.output.LayerNorm.weight`, [h]],
    [`${p}.output.LayerNorm.bias`, [h]],
  ];
}

describe('architectures: parameter names and shapes', () => {
  it('BERT (BertForTokenClassification, no pooler)', () => {
    assert.deepEqual(nameDims(tiny('bert', 2)), [
      ['bert.embeddings.word_embeddings.weight', [20, 8]],
      ['bert.embeddings.position_embeddings.weight', [12, 8]],
      ['bert.embeddings.token_type_embeddings.weight', [2, 8]],
      ['bert.embeddings.LayerNorm.weight', [8]],
      ['bert.embeddings.LayerNorm.bias', [8]],
      ...bertLayer('bert.encoder.layer.0', 8, 16),
      ...bertLayer('bert.encoder.layer.1', 8, 16),
      ['classifier.weight', [3, 8]],
      ['classifier.bias', [3]],
    ]);
  });

  it('RoBERTa and XLM-R (type_vocab_size 1 as in the released checkpoints)', () => {
    for (const type of ['roberta', 'xlm-roberta'] as const) {
      assert.deepEqual(nameDims(tiny(type, 1, { type_vocab_size: 1 })), [
        ['roberta.embeddings.word_embeddings.weight', [20, 8]],
        ['roberta.embeddings.position_embeddings.weight', [12, 8]],
        ['roberta.embeddings.token_type_embeddings.weight', [1, 8]],
        ['roberta.embeddings.LayerNorm.weight', [8]],
        ['roberta.embeddings.LayerNorm.bias', [8]],
        ...bertLayer('roberta.encoder.layer.0', 8, 16),
        ['classifier.weight', [3, 8]],
        ['classifier.bias', [3]],
      ]);
    }
  });

  it('ELECTRA, with embeddings_project only when embedding_size differs', () => {
    assert.deepEqual(nameDims(tiny('electra', 1, { embedding_size: 4 })), [
      ['electra.embeddings.word_embeddings.weight', [20, 4]],
      ['electra.embeddings.position_embeddings.weight', [12, 4]],
      ['electra.embeddings.token_type_embeddings.weight', [2, 4]],
      ['electra.embeddings.LayerNorm.weight', [4]],
      ['electra.embeddings.LayerNorm.bias', [4]],
      ['electra.embeddings_project.weight', [8, 4]],
      ['electra.embeddings_project.bias', [8]],
      ...bertLayer('electra.encoder.layer.0', 8, 16),
      ['classifier.weight', [3, 8]],
      ['classifier.bias', [3]],
    ]);
    assert.equal(nameDims(tiny('electra', 1)).some(([n]) => String(n).includes('embeddings_project')), false);
  });

  it('DistilBERT', () => {
    const p = 'distilbert.transformer.layer.0';
    assert.deepEqual(nameDims(tiny('distilbert')), [
      ['distilbert.embeddings.word_embeddings.weight', [20, 8]],
      ['distilbert.embeddings.position_embeddings.weight', [12, 8]],
      ['distilbert.embeddings.LayerNorm.weight', [8]],
      ['distilbert.embeddings.LayerNorm.bias', [8]],
      [`${p}.attention.q_lin.weight`, [8, 8]],
      [`${p}.attention.q_lin.bias`, [8]],
      [`${p}.attention.k_lin.weight`, [8, 8]],
      [`${p}.attention.k_lin.bias`, [8]],
      [`${p}.attention.v_lin.weight`, [8, 8]],
      [`${p}.attention.v_lin.bias`, [8]],
      [`${p}.attention.out_lin.weight`, [8, 8]],
      [`${p}.attention.out_lin.bias`, [8]],
      [`${p}.sa_layer_norm.weight`, [8]],
      [`${p}.sa_layer_norm.bias`, [8]],
      [`${p}.ffn.lin1.weight`, [16, 8]],
      [`${p}.ffn.lin1.bias`, [16]],
      [`${p}.ffn.lin2.weight`, [8, 16]],
      [`${p}.ffn.lin2.bias`, [8]],
      [`${p}.output_layer_norm.weight`, [8]],
      [`${p}.output_layer_norm.bias`, [8]],
      ['classifier.weight', [3, 8]],
      ['classifier.bias', [3]],
    ]);
  });

  it('BERT-base has the published parameter count (less the pooler)', () => {
    const c = createConfig('bert', { vocab_size: 28996, num_labels: 9 });
    const n = architectureFor(c).paramShapes(c).reduce((a, p) => a + p.dims.reduce((x, y) => x * y, 1), 0);
    // bert-base-cased: 108,310,272 parameters with the pooler (768·768 + 768); plus the 9-label head.
    assert.equal(n, 108_310_272 - (768 * 768 + 768) + (9 * 768 + 9));
  });
});

// ---- initialisation ------------------------------------------------------------------------

describe('architectures: initialisation', () => {
  it('follows _init_weights: normal(0, initializer_range), zero biases, unit LayerNorm, zero padding rows', () => {
    const c = createConfig('roberta', { vocab_size: 400, hidden_size: 64, num_attention_heads: 4, intermediate_size: 128, num_hidden_layers: 1, initializer_range: 0.05 });
    const params = architectureFor(c).init(c, 7);
    const word = params.get('roberta.embeddings.word_embeddings.weight')!;
    assert.ok(word.data.subarray(64, 128).every((x) => x === 0), 'padding row (pad_token_id 1) is zero');
    assert.ok(params.get('roberta.embeddings.position_embeddings.weight')!.data.subarray(64, 128).every((x) => x === 0), 'RoBERTa position padding row is zero');
    assert.ok(params.get('roberta.embeddings.LayerNorm.weight')!.data.every((x) => x === 1));
    assert.ok(params.get('roberta.encoder.layer.0.output.dense.bias')!.data.every((x) => x === 0));
    const w = params.get('roberta.encoder.layer.0.intermediate.dense.weight')!.data;
    const mean = w.reduce((a, x) => a + x, 0) / w.length;
    const std = Math.sqrt(w.reduce((a, x) => a + (x - mean) ** 2, 0) / w.length);
    assert.ok(Math.abs(mean) < 0.003, `mean ${mean}`);
    assert.ok(Math.abs(std - 0.05) < 0.002, `std ${std}`);
  });

  it('is seeded: the same seed gives the same weights, another seed others', () => {
    const c = tiny('bert');
    const a = architectureFor(c).init(c, 1);
    const b = architectureFor(c).init(c, 1);
    const d = architectureFor(c).init(c, 2);
    for (const [k, t] of a) assert.deepEqual(t.data, b.get(k)!.data);
    assert.notDeepEqual(a.get('classifier.weight')!.data, d.get('classifier.weight')!.data);
  });
});

// ---- training ------------------------------------------------------------------------------

const TYPES: ModelType[] = ['bert', 'roberta', 'xlm-roberta', 'electra', 'distilbert'];

describe('architectures: training', () => {
  for (const type of TYPES) {
    it(`${type} learns a tiny batch (loss decreases over 20 steps)`, async () => {
      const c = tiny(type, 2, type === 'electra' ? { embedding_size: 4 } : {});
      const arch = architectureFor(c);
      const session = await TrainingSession.create({ params: arch.init(c, 3), model: arch.modelFn(c), seed: 5 });
      try {
        const B = 3;
        const T = 7;
        const ids = Array.from({ length: B }, (_, r) => Array.from({ length: T }, (_, t) => 2 + ((r * 5 + t * 3) % 17)));
        const labels = ids.map((row, r) => row.map((id, t) => (r === 0 && t === 0 ? -100 : id % 3)));
        const mask = ids.map((row, r) => row.map((_, t) => (r === 2 && t >= 5 ? 0 : 1)));
        const batch: Record<string, TensorData> = { input_ids: i64(ids), attention_mask: i64(mask), labels: i64(labels) };
        if (arch.hasTokenTypes) batch.token_type_ids = i64(ids.map((row) => row.map((_, t) => (t >= 4 ? 1 : 0))));
        const losses: number[] = [];
        for (let i = 0; i < 20; i++) losses.push((await session.step(batch, { lr: 3e-3 })).loss);
        assert.ok(losses.every(Number.isFinite));
        assert.ok(losses[19]! < losses[0]! * 0.7, `${type}: loss ${losses[0]} → ${losses[19]}`);
        // Evaluation (dropout off) on the training weights agrees with the exported inference graph.
        const { outputs } = await session.evaluate(batch, { outputs: ['logits'] });
        assert.deepEqual(outputs.logits!.dims, [B, T, 3]);
        const weights = new Map([...session.weights()].map(([k, v]) => [k, tensor('float32', v.dims, Float32Array.from(v.data as Float32Array))]));
        const { labels: _labels, ...inputs } = batch;
        const exported = await logitsOf(c, weights, inputs);
        assertClose(exported.data, outputs.logits!.data as Float32Array, 1e-5, `${type} exported vs evaluate`);
      } finally {
        await session.dispose();
      }
    });
  }
});

// ---- forward-pass properties ---------------------------------------------------------------

describe('architectures: forward pass', () => {
  it('BERT and ELECTRA: omitted token_type_ids equal all-zero ones; other types change the logits', async () => {
    for (const type of ['bert', 'electra'] as const) {
      const c = tiny(type, 1);
      const params = architectureFor(c).init(c, 11);
      const input_ids = i64([[2, 5, 7, 9, 3]]);
      const attention_mask = i64([[1, 1, 1, 1, 1]]);
      const without = await logitsOf(c, params, { input_ids, attention_mask }, false);
      const zeros = await logitsOf(c, params, { input_ids, attention_mask, token_type_ids: i64([[0, 0, 0, 0, 0]]) }, true);
      const ones = await logitsOf(c, params, { input_ids, attention_mask, token_type_ids: i64([[0, 0, 1, 1, 1]]) }, true);
      assert.deepEqual(without.dims, [1, 5, 3]);
      assertClose(without.data, zeros.data, 1e-6, `${type} without vs zero token types`);
      assert.ok(without.data.some((x, i) => Math.abs(x - ones.data[i]!) > 1e-4), `${type}: token types are used`);
    }
  });

  it('RoBERTa position ids follow create_position_ids_from_input_ids', async () => {
    const b = new GraphBuilder('positions');
    const ids = b.input('input_ids', 'int64', ['batch', 'sequence']);
    b.output(robertaPositionIds(b, ids, 1), 'position_ids');
    const session = await ort.InferenceSession.create(serializeModel(b.build()).model);
    const input = i64([
      [0, 5, 6, 7, 2, 1, 1],
      [0, 9, 2, 1, 1, 1, 1],
      [0, 1, 5, 2, 8, 9, 4],
    ]);
    const out = (await session.run({ input_ids: new ort.Tensor('int64', input.data as BigInt64Array, input.dims) })).position_ids!;
    assert.deepEqual(Array.from(out.data as BigInt64Array, Number), [2, 3, 4, 5, 6, 1, 1, 2, 3, 4, 1, 1, 1, 1, 2, 1, 3, 4, 5, 6, 7]);
    await session.release();
  });

  for (const type of TYPES) {
    it(`${type}: a padded sequence gives the unpadded logits for its real tokens`, async () => {
      const c = tiny(type, 2);
      const params = architectureFor(c).init(c, 13);
      const pad = c.padTokenId ?? 0;
      const real = [3, 8, 4, 12, 6];
      const short = await logitsOf(c, params, { input_ids: i64([real]), attention_mask: i64([real.map(() => 1)]) }, false);
      // Batched with a longer row, so the padding is real batch padding.
      const long = [3, 8, 4, 12, 6, 9, 10, 11];
      const padded = await logitsOf(
        c,
        params,
        {
          input_ids: i64([[...real, pad, pad, pad], long]),
          attention_mask: i64([[1, 1, 1, 1, 1, 0, 0, 0], long.map(() => 1)]),
        },
        false,
      );
      assert.deepEqual(padded.dims, [2, 8, 3]);
      assertClose(padded.data.subarray(0, 5 * 3), short.data, 1e-5, `${type} padded vs unpadded`);
      assert.equal(hiddenSizeOf(c), 8);
    });
  }

  it('the training graph rejects a batch without labels with a clear message; the inference graph needs none', async () => {
    const c = tiny('distilbert');
    const arch = architectureFor(c);
    const session = await TrainingSession.create({ params: arch.init(c), model: arch.modelFn(c) });
    try {
      await assert.rejects(session.step({ input_ids: i64([[1, 2]]), attention_mask: i64([[1, 1]]) }, { lr: 1e-3 }), /input 'labels' is missing/);
      const { outputs } = await session.evaluate({ input_ids: i64([[1, 2]]), attention_mask: i64([[1, 1]]) }, { outputs: ['logits'] });
      assert.deepEqual(outputs.logits!.dims, [1, 2, 3]);
    } finally {
      await session.dispose();
    }
  });
});
