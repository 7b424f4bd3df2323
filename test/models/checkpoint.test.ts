import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { type TensorData, tensor } from '../../src/engine/index.ts';
import {
  CheckpointError,
  type ModelConfig,
  type ModelType,
  architectureFor,
  configToJson,
  createConfig,
  loadTokenClassifier,
  readSafetensors,
  saveTokenClassifier,
  writeSafetensors,
} from '../../src/models/index.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tokentag-ckpt-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (name: string) => path.join(root, `${name}-${n++}`);

const LABELS = ['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC'];

function tiny(type: ModelType, labels = LABELS): ModelConfig {
  if (type === 'distilbert') return createConfig(type, { vocab_size: 30, max_position_embeddings: 16, dim: 8, n_heads: 2, hidden_dim: 16, n_layers: 2, id2label: labels });
  return createConfig(type, { vocab_size: 30, max_position_embeddings: 16, hidden_size: 8, num_attention_heads: 2, intermediate_size: 16, num_hidden_layers: 2, embedding_size: 4, id2label: labels });
}

const bits = (t: TensorData) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);

function assertSameParams(a: ReadonlyMap<string, TensorData>, b: ReadonlyMap<string, TensorData>): void {
  assert.deepEqual([...a.keys()], [...b.keys()]);
  for (const [k, t] of a) {
    assert.deepEqual(b.get(k)!.dims, t.dims, k);
    assert.ok(bits(t).equals(bits(b.get(k)!)), `${k} differs`);
  }
}

function writeDir(dir: string, config: Record<string, unknown>, tensors: ReadonlyMap<string, TensorData>): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  writeSafetensors(path.join(dir, 'model.safetensors'), tensors, { format: 'pt' });
}

describe('checkpoint: save and load', () => {
  for (const type of ['bert', 'roberta', 'xlm-roberta', 'electra', 'distilbert'] as const) {
    it(`${type}: load → save → load is bit-identical`, () => {
      const config = tiny(type);
      const params = architectureFor(config).init(config, 3);
      const a = fresh(type);
      saveTokenClassifier(a, config, params, { tokenizerFiles: { 'tokenizer.json': '{"version":"1.0"}', 'vocab.txt': new Uint8Array([65, 10]) } });
      assert.deepEqual(fs.readdirSync(a).sort(), ['config.json', 'model.safetensors', 'tokenizer.json', 'vocab.txt']);
      const first = loadTokenClassifier(a);
      assert.deepEqual(first.config, config);
      assertSameParams(params, first.params);
      assert.deepEqual(first.report.newlyInitialized, []);
      assert.deepEqual(first.report.unused, []);
      assert.deepEqual(first.report.mismatched, []);
      const b = fresh(type);
      saveTokenClassifier(b, first.config, first.params);
      const second = loadTokenClassifier(b);
      assertSameParams(first.params, second.params);
      assert.ok(fs.readFileSync(path.join(a, 'model.safetensors')).equals(fs.readFileSync(path.join(b, 'model.safetensors'))));
      assert.equal(fs.readFileSync(path.join(a, 'config.json'), 'utf8'), fs.readFileSync(path.join(b, 'config.json'), 'utf8'));
    });
  }

  it('writes what from_pretrained expects: safetensors format metadata, the ForTokenClassification class, string label ids', () => {
    const config = tiny('bert');
    const dir = fresh('layout');
    saveTokenClassifier(dir, config, architectureFor(config).init(config));
    const st = readSafetensors(path.join(dir, 'model.safetensors'));
    assert.deepEqual(st.metadata, { format: 'pt' });
    assert.ok(st.tensors.has('bert.encoder.layer.1.output.LayerNorm.bias'));
    assert.equal(st.tensors.get('classifier.weight')!.dtype, 'float32');
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    assert.deepEqual(json.architectures, ['BertForTokenClassification']);
    assert.equal(json.id2label['3'], 'B-LOC');
    assert.equal(json.label2id['I-LOC'], 4);
    assert.equal(json.torch_dtype, 'float32');
  });

  it('saves over an existing model, removing a stale sharded index, and leaves other files', () => {
    const config = tiny('bert');
    const dir = fresh('overwrite');
    saveTokenClassifier(dir, config, architectureFor(config).init(config, 1));
    fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { 'classifier.bias': 'model-00001-of-00002.safetensors' } }));
    fs.writeFileSync(path.join(dir, 'model-00001-of-00002.safetensors'), 'stale');
    fs.writeFileSync(path.join(dir, 'README.md'), 'mine');
    const params = architectureFor(config).init(config, 2);
    saveTokenClassifier(dir, config, params);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['README.md', 'config.json', 'model.safetensors']);
    assertSameParams(params, loadTokenClassifier(dir).params);
  });

  it('leaves nothing behind when saving fails', () => {
    const config = tiny('bert');
    const params = architectureFor(config).init(config);
    const dir = fresh('fails');
    assert.throws(() => saveTokenClassifier(dir, config, params, { tokenizerFiles: { '../escape.json': '{}' } }), /must be a plain file name/);
    assert.throws(() => saveTokenClassifier(dir, config, params, { tokenizerFiles: { 'bad.json': 42 as unknown as string } }), /must be a string or bytes/);
    assert.equal(fs.existsSync(dir), false);
    assert.deepEqual(fs.readdirSync(root).filter((f) => f.includes('.tokentag-')), []);
    const broken = new Map(params);
    broken.set('classifier.weight', tensor('float32', [2, 8]));
    assert.throws(() => saveTokenClassifier(dir, config, broken), /parameter 'classifier.weight' has shape \[2, 8\] but the config needs \[5, 8\]/);
    broken.delete('classifier.bias');
    broken.set('classifier.weight', params.get('classifier.weight')!);
    assert.throws(() => saveTokenClassifier(dir, config, broken), /needs parameter 'classifier.bias'/);
    assert.equal(fs.existsSync(dir), false);
    // A failure while the weights are being written: a tensor whose data does not fill its dims.
    const short = new Map(params);
    short.set('classifier.weight', { dtype: 'float32', dims: [5, 8], data: new Float32Array(3) });
    assert.throws(() => saveTokenClassifier(dir, config, short), /need 40 elements but the data has 3/);
    assert.equal(fs.existsSync(dir), false);
    // Into an existing model: the old files stay as they were.
    saveTokenClassifier(dir, config, params);
    const before = fs.readFileSync(path.join(dir, 'model.safetensors'));
    assert.throws(() => saveTokenClassifier(dir, config, short), /need 40 elements/);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['config.json', 'model.safetensors']);
    assert.ok(before.equals(fs.readFileSync(path.join(dir, 'model.safetensors'))));
    assert.deepEqual(fs.readdirSync(root).filter((f) => f.includes('.tokentag-')), []);
  });

  it('reads a sharded safetensors checkpoint', () => {
    const config = tiny('distilbert');
    const params = architectureFor(config).init(config, 4);
    const dir = fresh('sharded');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(configToJson(config)));
    const names = [...params.keys()];
    const half = Math.floor(names.length / 2);
    const shards = [names.slice(0, half), names.slice(half)];
    const weightMap: Record<string, string> = {};
    shards.forEach((group, i) => {
      const file = `model-0000${i + 1}-of-00002.safetensors`;
      writeSafetensors(path.join(dir, file), new Map(group.map((k) => [k, params.get(k)!])), { format: 'pt' });
      for (const k of group) weightMap[k] = file;
    });
    fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
    const loaded = loadTokenClassifier(dir);
    assert.match(loaded.report.weightsFile, /model\.safetensors\.index\.json$/);
    assertSameParams(params, loaded.params);
  });

  it('explains a directory without weights or config', () => {
    const dir = fresh('empty');
    fs.mkdirSync(dir);
    assert.throws(() => loadTokenClassifier(dir), /config\.json: cannot read: no such file/);
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ model_type: 'bert' }));
    fs.writeFileSync(path.join(dir, 'tf_model.h5'), '');
    assert.throws(() => loadTokenClassifier(dir), /no model weights found .*tf_model\.h5 is TensorFlow\/Flax weights/);
    assert.throws(() => loadTokenClassifier(path.join(dir, 'nope')), /no such directory/);
  });
});

describe('checkpoint: from a pre-trained (base) checkpoint', () => {
  /** A BertForMaskedLM-style save of the base model: no `bert.` prefix, pooler, MLM head, position_ids buffer, legacy gamma/beta. */
  function baseCheckpoint(dir: string) {
    const config = tiny('bert', ['LABEL_0', 'LABEL_1']);
    const params = architectureFor(config).init(config, 9);
    const tensors = new Map<string, TensorData>();
    for (const [k, t] of params) {
      if (k.startsWith('classifier.')) continue;
      let name = k.slice('bert.'.length);
      if (name === 'embeddings.LayerNorm.weight') name = 'embeddings.LayerNorm.gamma';
      if (name === 'embeddings.LayerNorm.bias') name = 'embeddings.LayerNorm.beta';
      tensors.set(name, t);
    }
    tensors.set('pooler.dense.weight', tensor('float32', [8, 8]));
    tensors.set('pooler.dense.bias', tensor('float32', [8]));
    tensors.set('cls.predictions.bias', tensor('float32', [30]));
    tensors.set('embeddings.position_ids', tensor('int64', [1, 16], BigInt64Array.from({ length: 16 }, (_, i) => BigInt(i))));
    const raw = { ...configToJson(config), architectures: ['BertForMaskedLM'] };
    delete (raw as Record<string, unknown>).id2label;
    delete (raw as Record<string, unknown>).label2id;
    writeDir(dir, raw, tensors);
    return params;
  }

  it('adds the base model prefix, initialises the head and reports unused weights', () => {
    const dir = fresh('base');
    const original = baseCheckpoint(dir);
    const loaded = loadTokenClassifier(dir, { id2label: LABELS, seed: 1 });
    assert.deepEqual(loaded.config.id2label, LABELS);
    assert.deepEqual(loaded.report.newlyInitialized, ['classifier.weight', 'classifier.bias']);
    assert.deepEqual(loaded.report.unused.sort(), ['cls.predictions.bias', 'pooler.dense.bias', 'pooler.dense.weight']);
    assert.deepEqual(loaded.report.ignoredBuffers, ['embeddings.position_ids']);
    assert.deepEqual(loaded.report.mismatched, []);
    assert.ok(loaded.report.renamed.some(([from, to]) => from === 'embeddings.LayerNorm.gamma' && to === 'bert.embeddings.LayerNorm.weight'));
    for (const [k, t] of original) if (!k.startsWith('classifier.')) assert.ok(bits(t).equals(bits(loaded.params.get(k)!)), k);
    const head = loaded.params.get('classifier.weight')!;
    assert.deepEqual(head.dims, [5, 8]);
    assert.ok(loaded.params.get('classifier.bias')!.data.every((x) => x === 0));
    const std = Math.sqrt(head.data.reduce((a, x) => a + x * x, 0) / head.data.length);
    assert.ok(std > 0.005 && std < 0.05, `head std ${std}`);
    // Same seed, same head.
    assertSameParams(loaded.params, loadTokenClassifier(dir, { id2label: LABELS, seed: 1 }).params);
  });

  it('reports a prefixed pooler and MLM head as unused', () => {
    const config = tiny('bert');
    const params = architectureFor(config).init(config, 2);
    const tensors = new Map<string, TensorData>(params);
    tensors.set('bert.pooler.dense.weight', tensor('float32', [8, 8]));
    tensors.set('cls.predictions.transform.dense.weight', tensor('float32', [8, 8]));
    const dir = fresh('pooler');
    writeDir(dir, configToJson(config), tensors);
    const loaded = loadTokenClassifier(dir);
    assert.deepEqual(loaded.report.unused, ['bert.pooler.dense.weight', 'cls.predictions.transform.dense.weight']);
    assert.deepEqual(loaded.report.newlyInitialized, []);
    assertSameParams(params, loaded.params);
  });

  it('a head with another label count is an error naming both shapes, unless ignoreMismatchedSizes', () => {
    const config = tiny('roberta');
    const dir = fresh('mismatch');
    saveTokenClassifier(dir, config, architectureFor(config).init(config, 5));
    assert.throws(
      () => loadTokenClassifier(dir, { numLabels: 3 }),
      (e: unknown) =>
        e instanceof CheckpointError &&
        /tensor "classifier.weight": the checkpoint's head has shape \[5, 8\] but the model needs \[3, 8\] \(3 labels\); pass ignoreMismatchedSizes/.test(e.message),
    );
    const loaded = loadTokenClassifier(dir, { numLabels: 3, ignoreMismatchedSizes: true });
    assert.deepEqual(loaded.config.id2label, ['LABEL_0', 'LABEL_1', 'LABEL_2']);
    assert.deepEqual(loaded.report.mismatched, [
      { name: 'classifier.weight', checkpoint: [5, 8], model: [3, 8] },
      { name: 'classifier.bias', checkpoint: [5], model: [3] },
    ]);
    assert.deepEqual(loaded.params.get('classifier.weight')!.dims, [3, 8]);
    assert.deepEqual(loaded.report.newlyInitialized, []);
    assert.throws(() => loadTokenClassifier(dir, { numLabels: 3, id2label: ['a', 'b'] }), /numLabels 3 does not match the 2 labels/);
  });

  it('missing or mis-shaped encoder weights are errors', () => {
    const config = tiny('electra');
    const params = architectureFor(config).init(config, 6);
    const missing = new Map(params);
    missing.delete('electra.encoder.layer.1.output.dense.weight');
    missing.delete('electra.embeddings_project.bias');
    const dir = fresh('missing');
    writeDir(dir, configToJson(config), missing);
    assert.throws(() => loadTokenClassifier(dir), /lacks 2 weights of the electra encoder: electra\.embeddings_project\.bias, electra\.encoder\.layer\.1\.output\.dense\.weight/);
    const wrong = new Map(params);
    wrong.set('electra.embeddings.word_embeddings.weight', tensor('float32', [31, 4]));
    const dir2 = fresh('wrong');
    writeDir(dir2, configToJson(config), wrong);
    assert.throws(() => loadTokenClassifier(dir2, { ignoreMismatchedSizes: true }), /has shape \[31, 4\] but the config \(electra\) needs \[30, 4\]/);
    const foreign = fresh('foreign');
    writeDir(foreign, configToJson(config), new Map([['transformer.h.0.attn.weight', tensor('float32', [2])]]));
    assert.throws(() => loadTokenClassifier(foreign), /none of its tensors matched; is it a electra checkpoint\?/);
  });
});
