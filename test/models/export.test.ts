/**
 * `exportOnnx`: the exported `onnx/model.onnx` of every reference fixture runs in ONNX Runtime
 * and loads in transformers.js (`AutoModelForTokenClassification`, local files only), both giving
 * the Hugging Face reference logits of `expected.json` to 1e-4. Fixtures are copied to a temporary
 * directory first; nothing is written under test/fixtures.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AutoModelForTokenClassification, Tensor as HfTensor, env, pipeline } from '@huggingface/transformers';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { ExportError, exportOnnx } from '../../src/models/export.ts';
import { FIXTURES, TOLERANCE, type ReferenceLogits, readReferenceLogits } from './reference-fixtures.ts';

const { onnx } = onnxProto;
const ARCHITECTURES = ['bert', 'distilbert', 'roberta', 'xlm-roberta', 'electra'] as const;
const WITH_TOKEN_TYPES = new Set(['bert', 'electra']);

let root = '';
before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tokentag-export-'));
  // transformers.js: never the network, model ids resolve under `root`.
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = root;
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

/** A fresh copy of a fixture directory under the temporary root; returns its name and path. */
function copyFixture(name: string, as = name): { id: string; dir: string } {
  const dir = path.join(root, as);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.cpSync(path.join(FIXTURES, name), dir, { recursive: true });
  return { id: as, dir };
}

const flat64 = (rows: number[][]) => BigInt64Array.from(rows.flat().map(BigInt));
const dimsOf = (rows: number[][]) => [rows.length, rows[0]!.length];

function maxDiff(got: ArrayLike<number>, want: number[][][]): number {
  const w = want.flat(2);
  assert.equal(got.length, w.length);
  let worst = 0;
  for (let i = 0; i < w.length; i++) worst = Math.max(worst, Math.abs(got[i]! - w[i]!));
  return worst;
}

async function runOrt(file: string, e: ReferenceLogits, feedTokenTypes = true): Promise<ort.Tensor> {
  const session = await ort.InferenceSession.create(file);
  try {
    const all: Record<string, number[][] | undefined> = { input_ids: e.input_ids, attention_mask: e.attention_mask, token_type_ids: e.token_type_ids };
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of session.inputNames) {
      const rows = name === 'token_type_ids' && !feedTokenTypes ? e.input_ids.map((r) => r.map(() => 0)) : all[name];
      assert.ok(rows, `the model declares input '${name}', which expected.json lacks`);
      feeds[name] = new ort.Tensor('int64', flat64(rows), dimsOf(rows));
    }
    return (await session.run(feeds)).logits!;
  } finally {
    await session.release();
  }
}

async function runTransformersJs(id: string, e: ReferenceLogits, withTokenTypes = true): Promise<{ logits: HfTensor; className: string }> {
  const model = await AutoModelForTokenClassification.from_pretrained(id, { local_files_only: true, dtype: 'fp32' });
  try {
    const t = (rows: number[][]) => new HfTensor('int64', flat64(rows), dimsOf(rows));
    const inputs: Record<string, HfTensor> = { input_ids: t(e.input_ids), attention_mask: t(e.attention_mask) };
    if (e.token_type_ids && withTokenTypes) inputs.token_type_ids = t(e.token_type_ids);
    const out = (await model(inputs)) as { logits: HfTensor };
    return { logits: out.logits, className: model.constructor.name };
  } finally {
    await model.dispose();
  }
}

type Dims = (number | string)[];
function declared(file: string): { inputs: Map<string, { elemType: number; dims: Dims }>; outputs: Map<string, { elemType: number; dims: Dims }>; opset: number } {
  const m = onnx.ModelProto.decode(fs.readFileSync(file));
  const info = (vs: onnxProto.onnx.IValueInfoProto[]) =>
    new Map(
      vs.map((v) => [
        v.name!,
        {
          elemType: v.type!.tensorType!.elemType!,
          dims: (v.type!.tensorType!.shape!.dim ?? []).map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue))),
        },
      ]),
    );
  return { inputs: info(m.graph!.input!), outputs: info(m.graph!.output!), opset: Number(m.opsetImport![0]!.version) };
}

const tmpLeftovers = (dir: string) => fs.readdirSync(dir).filter((f) => f.endsWith('.tmp') || f.includes('.tmp-'));
/** The files of an export directory, without the weights-hash cache checkExport keeps there. */
const exportFiles = (dir: string) => fs.readdirSync(dir).filter((f) => f !== '.tokentag-hashes.json');

describe('exportOnnx: reference fixtures', () => {
  for (const name of ARCHITECTURES) {
    describe(name, () => {
      let id = '';
      let dir = '';
      let file = '';
      before(() => {
        ({ id, dir } = copyFixture(name));
        const result = exportOnnx(dir);
        file = path.join(dir, 'onnx', 'model.onnx');
        assert.equal(result.file, file);
        assert.equal(result.bytes, fs.statSync(file).size);
        assert.equal(result.externalData, undefined);
        assert.equal(result.modelType, name);
        assert.equal(result.numLabels, 5);
        assert.deepEqual(result.unusedWeights, []);
      });

      it('declares exactly the inputs and output, with dynamic batch_size / sequence_length axes', () => {
        const INT64 = onnx.TensorProto.DataType.INT64;
        const FLOAT = onnx.TensorProto.DataType.FLOAT;
        const d = declared(file);
        const names = ['input_ids', 'attention_mask', ...(WITH_TOKEN_TYPES.has(name) ? ['token_type_ids'] : [])];
        assert.deepEqual([...d.inputs.keys()], names);
        for (const n of names) assert.deepEqual(d.inputs.get(n), { elemType: INT64, dims: ['batch_size', 'sequence_length'] }, n);
        assert.deepEqual([...d.outputs.entries()], [['logits', { elemType: FLOAT, dims: ['batch_size', 'sequence_length', 5] }]]);
        assert.equal(d.opset, 17);
        const r = exportOnnx(dir); // and the result describes the same
        assert.deepEqual(r.inputs.map((i) => [i.name, i.dtype, i.dims]), names.map((n) => [n, 'int64', ['batch_size', 'sequence_length']]));
        assert.deepEqual(r.outputs, [{ name: 'logits', dtype: 'float32', dims: ['batch_size', 'sequence_length', 5] }]);
      });

      it(`onnxruntime-node gives the reference logits (${TOLERANCE})`, async () => {
        const e = readReferenceLogits(dir);
        const logits = await runOrt(file, e);
        assert.deepEqual(logits.dims, [2, 7, 5]);
        const worst = maxDiff(logits.data as Float32Array, e.logits);
        assert.ok(worst <= TOLERANCE, `max |logit difference| ${worst}`);
      });

      it(`transformers.js AutoModelForTokenClassification loads it and gives the reference logits (${TOLERANCE})`, async () => {
        const e = readReferenceLogits(dir);
        const { logits, className } = await runTransformersJs(id, e);
        assert.equal(className, JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')).architectures[0]);
        assert.deepEqual(logits.dims, [2, 7, 5]);
        const worst = maxDiff(logits.data as Float32Array, e.logits);
        assert.ok(worst <= TOLERANCE, `max |logit difference| ${worst}`);
      });
    });
  }
});

describe('exportOnnx: files', () => {
  it('transformers.js fills an omitted token_type_ids with zeros, as onnxruntime does when fed zeros', async () => {
    const { id, dir } = copyFixture('bert', 'bert-no-types');
    exportOnnx(dir);
    const e = readReferenceLogits(dir);
    const viaOrt = await runOrt(path.join(dir, 'onnx', 'model.onnx'), e, false);
    const { logits } = await runTransformersJs(id, e, false);
    assert.deepEqual(logits.dims, viaOrt.dims);
    const a = logits.data as Float32Array;
    const b = viaOrt.data as Float32Array;
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= 1e-6, `logit ${i}: ${a[i]} vs ${b[i]}`);
    // …and differs from the reference, which used non-zero token types: the input is really read.
    assert.ok(maxDiff(a, e.logits) > 1e-3);
  });

  it('the transformers.js token-classification pipeline runs on the export (given a tokenizer.json)', async () => {
    const { id, dir } = copyFixture('bert', 'bert-pipeline');
    exportOnnx(dir);
    // A word-level tokenizer over the fixture's 100 ids: [PAD] [UNK] [CLS] [SEP] w4 … w99.
    const vocab: Record<string, number> = { '[PAD]': 0, '[UNK]': 1, '[CLS]': 2, '[SEP]': 3 };
    for (let i = 4; i < 100; i++) vocab[`w${i}`] = i;
    const special = (content: string, tokenId: number) => ({ id: tokenId, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
    fs.writeFileSync(
      path.join(dir, 'tokenizer.json'),
      JSON.stringify({
        version: '1.0',
        truncation: null,
        padding: null,
        added_tokens: ['[PAD]', '[UNK]', '[CLS]', '[SEP]'].map(special),
        normalizer: null,
        pre_tokenizer: { type: 'WhitespaceSplit' },
        post_processor: {
          type: 'TemplateProcessing',
          single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
          pair: [],
          special_tokens: { '[CLS]': { id: '[CLS]', ids: [2], tokens: ['[CLS]'] }, '[SEP]': { id: '[SEP]', ids: [3], tokens: ['[SEP]'] } },
        },
        decoder: null,
        model: { type: 'WordLevel', vocab, unk_token: '[UNK]' },
      }),
    );
    fs.writeFileSync(
      path.join(dir, 'tokenizer_config.json'),
      JSON.stringify({ tokenizer_class: 'PreTrainedTokenizerFast', unk_token: '[UNK]', pad_token: '[PAD]', cls_token: '[CLS]', sep_token: '[SEP]', model_max_length: 64 }),
    );
    const ner = await pipeline('token-classification', id, { local_files_only: true, dtype: 'fp32' });
    try {
      const got = (await ner('w5 w17 w33 w90', { ignore_labels: [] })) as { entity: string; score: number; index: number; word: string }[];
      // The same ids through onnxruntime directly: [CLS] w5 w17 w33 w90 [SEP], token types 0.
      const ids = [[2, 5, 17, 33, 90, 3]];
      const logits = await runOrt(path.join(dir, 'onnx', 'model.onnx'), { input_ids: ids, attention_mask: [ids[0]!.map(() => 1)], token_type_ids: [ids[0]!.map(() => 0)], logits: [] });
      const data = logits.data as Float32Array;
      const labels = ['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC'];
      const want = [1, 2, 3, 4].map((pos) => {
        const row = Array.from(data.subarray(pos * 5, pos * 5 + 5));
        const max = Math.max(...row);
        const exp = row.map((x) => Math.exp(x - max));
        const best = row.indexOf(max);
        return { entity: labels[best]!, score: exp[best]! / exp.reduce((a, b) => a + b, 0), index: pos, word: `w${ids[0]![pos]}` };
      });
      assert.deepEqual(got.map(({ entity, index, word }) => ({ entity, index, word })), want.map(({ entity, index, word }) => ({ entity, index, word })));
      for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i]!.score - want[i]!.score) <= 1e-5, `score ${i}`);
    } finally {
      await ner.dispose();
    }
  });

  it('re-export overwrites the model atomically: identical bytes, no temporary file left', () => {
    const { dir } = copyFixture('distilbert', 'distilbert-reexport');
    const file = path.join(dir, 'onnx', 'model.onnx');
    exportOnnx(dir);
    const first = fs.readFileSync(file);
    const before = fs.statSync(file);
    fs.writeFileSync(path.join(dir, 'onnx', 'unrelated.txt'), 'kept');
    const r = exportOnnx(dir);
    const afterStat = fs.statSync(file);
    assert.notEqual(afterStat.ino, before.ino, 'a new file renamed into place, not written in place');
    assert.deepEqual(fs.readFileSync(file), first, 'export is deterministic');
    assert.equal(r.bytes, first.byteLength);
    assert.deepEqual(exportFiles(path.join(dir, 'onnx')).sort(), ['model.onnx', 'unrelated.txt']);
    assert.deepEqual(tmpLeftovers(path.join(dir, 'onnx')), []);
  });

  it('a failed write leaves the previous export intact and no temporary file', () => {
    const { dir } = copyFixture('roberta', 'roberta-failed-write');
    const onnxDir = path.join(dir, 'onnx');
    exportOnnx(dir);
    const first = fs.readFileSync(path.join(onnxDir, 'model.onnx'));
    // A directory where the external data file must go: both files are written, the first rename fails.
    fs.mkdirSync(path.join(onnxDir, 'model.onnx_data', 'occupied'), { recursive: true });
    assert.throws(() => exportOnnx(dir, { externalData: true }), (e: unknown) => e instanceof ExportError && e.message.includes('cannot write'));
    assert.deepEqual(fs.readFileSync(path.join(onnxDir, 'model.onnx')), first);
    assert.deepEqual(exportFiles(onnxDir).sort(), ['model.onnx', 'model.onnx_data']);
    assert.deepEqual(tmpLeftovers(onnxDir), []);
    // Without external data the export succeeds and leaves the unrelated directory alone.
    exportOnnx(dir);
    assert.ok(fs.statSync(path.join(onnxDir, 'model.onnx_data', 'occupied')).isDirectory());
  });

  it('externalData: weights in model.onnx_data (Optimum / transformers.js naming), loadable by both runtimes', async () => {
    const { id, dir } = copyFixture('electra', 'electra-external');
    const onnxDir = path.join(dir, 'onnx');
    const r = exportOnnx(dir, { externalData: true });
    assert.deepEqual(r.externalData, { file: path.join(onnxDir, 'model.onnx_data'), bytes: fs.statSync(path.join(onnxDir, 'model.onnx_data')).size });
    assert.ok(r.bytes < 20_000, `model.onnx holds the graph only (${r.bytes} bytes)`);
    assert.deepEqual(exportFiles(onnxDir).sort(), ['model.onnx', 'model.onnx_data']);
    const e = readReferenceLogits(dir);
    assert.ok(maxDiff((await runOrt(path.join(onnxDir, 'model.onnx'), e)).data as Float32Array, e.logits) <= TOLERANCE);
    assert.ok(maxDiff((await runTransformersJs(id, e)).logits.data as Float32Array, e.logits) <= TOLERANCE);
    // A later export that fits in one file removes the stale data file.
    const again = exportOnnx(dir);
    assert.equal(again.externalData, undefined);
    assert.deepEqual(exportFiles(onnxDir), ['model.onnx']);
    assert.ok(maxDiff((await runOrt(path.join(onnxDir, 'model.onnx'), e)).data as Float32Array, e.logits) <= TOLERANCE);
  });

  it('output: writes elsewhere, creating the directory', async () => {
    const { dir } = copyFixture('xlm-roberta', 'xlmr-output');
    const out = path.join(root, 'elsewhere', 'deep', 'tagger.onnx');
    const r = exportOnnx(dir, { output: out });
    assert.equal(r.file, out);
    assert.ok(fs.existsSync(out));
    assert.ok(!fs.existsSync(path.join(dir, 'onnx')));
    const e = readReferenceLogits(dir);
    assert.ok(maxDiff((await runOrt(out, e)).data as Float32Array, e.logits) <= TOLERANCE);
  });
});

describe('exportOnnx: errors', () => {
  it('a directory without config.json: names the missing file', () => {
    const dir = path.join(root, 'no-config');
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(path.join(FIXTURES, 'bert', 'model.safetensors'), path.join(dir, 'model.safetensors'));
    assert.throws(
      () => exportOnnx(dir),
      (e: unknown) => e instanceof ExportError && e.message.startsWith(path.join(dir, 'config.json')) && /no such file/.test(e.message),
    );
    assert.ok(!fs.existsSync(path.join(dir, 'onnx')));
  });

  it('a model directory without weights: says which files were looked for', () => {
    const dir = path.join(root, 'no-weights');
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(path.join(FIXTURES, 'bert', 'config.json'), path.join(dir, 'config.json'));
    assert.throws(() => exportOnnx(dir), (e: unknown) => e instanceof Error && e.name === 'CheckpointError' && e.message.includes(dir) && /no model weights found.*model\.safetensors/.test(e.message));
    assert.ok(!fs.existsSync(path.join(dir, 'onnx')));
  });

  it('a missing directory, and a file instead of a directory', () => {
    const missing = path.join(root, 'does-not-exist');
    assert.throws(() => exportOnnx(missing), (e: unknown) => e instanceof ExportError && e.message === `${missing}: no such directory`);
    const file = path.join(root, 'a-file');
    fs.writeFileSync(file, '');
    assert.throws(() => exportOnnx(file), (e: unknown) => e instanceof ExportError && e.message.startsWith(`${file}: not a directory`));
  });

  it('a base checkpoint without a classifier head is refused (its head would be random)', () => {
    const { dir } = copyFixture('bert-base-checkpoint');
    // Give it labels so that the config itself is fine.
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    config.id2label = { 0: 'O', 1: 'B-PER', 2: 'I-PER' };
    config.label2id = { O: 0, 'B-PER': 1, 'I-PER': 2 };
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
    assert.throws(() => exportOnnx(dir), (e: unknown) => e instanceof ExportError && /no token-classification head \(classifier\.weight, classifier\.bias missing\)/.test(e.message));
    assert.ok(!fs.existsSync(path.join(dir, 'onnx')));
  });
});
