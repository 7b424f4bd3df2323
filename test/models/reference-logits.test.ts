/**
 * The forward pass of each architecture against reference logits from an independent PyTorch
 * implementation of Hugging Face's modeling code (transformers itself cannot run on the torch
 * available here; see test/fixtures/models/README.md). The fixtures under
 * test/fixtures/models/<name>/ (config.json, model.safetensors, expected.json with input_ids,
 * attention_mask, optional token_type_ids and the reference logits) are made by
 * scripts/make-model-fixtures.py. The logits must match to 1e-4 (absolute), padded positions included.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { type TensorData, serializeModel, tensor } from '../../src/engine/index.ts';
import { type ModelConfig, buildInferenceGraph, loadTokenClassifier, readSafetensors } from '../../src/models/index.ts';
import { FIXTURES, TOLERANCE, type ReferenceLogits, readReferenceLogits } from './reference-fixtures.ts';
import { requireFixtures } from '../helpers/fixtures.ts';


const i64 = (rows: number[][]) => tensor('int64', [rows.length, rows[0]!.length], BigInt64Array.from(rows.flat().map(BigInt)));

async function forward(config: ModelConfig, params: ReadonlyMap<string, TensorData<'float32'>>, e: ReferenceLogits): Promise<ort.Tensor> {
  const graph = buildInferenceGraph(config, params, { tokenTypeIds: e.token_type_ids !== undefined });
  const session = await ort.InferenceSession.create(serializeModel(graph).model);
  try {
    const batch: Record<string, TensorData> = { input_ids: i64(e.input_ids), attention_mask: i64(e.attention_mask) };
    if (e.token_type_ids) batch.token_type_ids = i64(e.token_type_ids);
    const feeds: Record<string, ort.Tensor> = {};
    for (const v of graph.inputs) feeds[v.name] = new ort.Tensor('int64', batch[v.name]!.data as BigInt64Array, batch[v.name]!.dims);
    return (await session.run(feeds)).logits!;
  } finally {
    await session.release();
  }
}

/** Every architecture's reference fixture; all are committed, so a missing one fails. */
const fixtureDirs = ['bert', 'distilbert', 'electra', 'roberta', 'xlm-roberta', 'roberta-legacy-position-ids'];
const HOW = 'regenerate with /usr/bin/python3 scripts/make-model-fixtures.py (needs Debian python3-torch; see test/fixtures/models/README.md)';

describe('reference logits (independent PyTorch implementation)', () => {
  it('every fixture directory with expected.json is listed here', () => {
    const onDisk = fs.readdirSync(FIXTURES).filter((d) => fs.existsSync(path.join(FIXTURES, d, 'expected.json')) && fs.existsSync(path.join(FIXTURES, d, 'config.json')));
    assert.deepEqual(onDisk.sort(), [...fixtureDirs].sort());
  });
  for (const name of fixtureDirs) {
    it(`${name}: logits match to ${TOLERANCE}`, async () => {
      const dir = path.join(FIXTURES, name);
      requireFixtures(HOW, path.join(dir, 'config.json'), path.join(dir, 'expected.json'));
      const expected = readReferenceLogits(dir);
      const { config, params, report } = loadTokenClassifier(dir);
      assert.deepEqual(report.newlyInitialized, [], 'a reference model has its head');
      assert.deepEqual(report.unused, []);
      const logits = await forward(config, params, expected);
      const want = expected.logits.flat(2);
      assert.deepEqual(logits.dims, [expected.logits.length, expected.logits[0]!.length, expected.logits[0]![0]!.length]);
      let worst = 0;
      const data = logits.data as Float32Array;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(data[i]! - want[i]!));
      assert.ok(worst <= TOLERANCE, `${name}: max |logit difference| ${worst} > ${TOLERANCE}`);
    });
  }

  const legacy = path.join(FIXTURES, 'roberta-legacy-position-ids');
  it('a RoBERTa checkpoint with the old position_ids buffer loads, the buffer ignored', () => {
    requireFixtures(HOW, legacy);
    const { report } = loadTokenClassifier(legacy);
    assert.deepEqual(report.ignoredBuffers, ['roberta.embeddings.position_ids']);
  });

  const base = path.join(FIXTURES, 'bert-base-checkpoint');
  it('a BertModel checkpoint (no prefix, with pooler) loads with a new head', () => {
    requireFixtures(HOW, path.join(base, 'model.safetensors'));
    const { config, params, report } = loadTokenClassifier(base, { id2label: ['O', 'B-MISC', 'I-MISC'] });
    assert.deepEqual(report.newlyInitialized, ['classifier.weight', 'classifier.bias']);
    assert.deepEqual(report.unused.sort(), ['pooler.dense.bias', 'pooler.dense.weight']);
    assert.deepEqual(params.get('classifier.weight')!.dims, [3, config.modelType === 'distilbert' ? config.dim : config.hiddenSize]);
    const raw = readSafetensors(path.join(base, 'model.safetensors')).tensors;
    assert.deepEqual(params.get('bert.embeddings.word_embeddings.weight')!.data, raw.get('embeddings.word_embeddings.weight')!.data);
  });

  const bin = path.join(FIXTURES, 'pytorch-bin', 'pytorch_model.bin');
  const bertDir = path.join(FIXTURES, 'bert');
  it('pytorch_model.bin loads to the same weights as model.safetensors', () => {
    requireFixtures(HOW, bin, path.join(bertDir, 'model.safetensors'));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokentag-bin-'));
    try {
      fs.copyFileSync(path.join(bertDir, 'config.json'), path.join(dir, 'config.json'));
      fs.copyFileSync(bin, path.join(dir, 'pytorch_model.bin'));
      const fromBin = loadTokenClassifier(dir);
      const fromSafetensors = loadTokenClassifier(bertDir);
      assert.match(fromBin.report.weightsFile, /pytorch_model\.bin$/);
      assert.deepEqual([...fromBin.params.keys()], [...fromSafetensors.params.keys()]);
      for (const [k, t] of fromSafetensors.params) assert.deepEqual(fromBin.params.get(k)!.data, t.data, k);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
