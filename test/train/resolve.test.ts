import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SYNTHETIC_DEFAULT_SIZES } from '../../src/data/synthetic.ts';
import { writeSyntheticConll } from '../../src/data/synthetic-files.ts';
import { TokentagError } from '../../src/errors.ts';
import { DEFAULT_PRESET, MODEL_PRESETS, presetNames } from '../../src/train/presets.ts';
import { labelNamesOf, requireSplit, resolveDataset, resolveModel } from '../../src/train/resolve.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'models');
const root = fs.mkdtempSync(join(tmpdir(), 'tokentag-resolve-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

test('presets: the small BERT shapes, max positions 512', () => {
  assert.deepEqual(presetNames(), ['bert-tiny', 'bert-mini', 'bert-small']);
  const shape = (n: string) => {
    const c = MODEL_PRESETS[n].config;
    return [c.hidden_size, c.num_hidden_layers, c.num_attention_heads, c.intermediate_size, c.max_position_embeddings];
  };
  assert.deepEqual(shape('bert-tiny'), [128, 2, 2, 512, 512]);
  assert.deepEqual(shape('bert-mini'), [256, 4, 4, 1024, 512]);
  assert.deepEqual(shape('bert-small'), [512, 4, 8, 2048, 512]);
});

test('resolveModel: no model → the default preset; a preset name → that preset', async () => {
  const d = await resolveModel(undefined);
  assert.equal(d.kind, 'preset');
  assert.equal(d.name, DEFAULT_PRESET);
  const m = await resolveModel('bert-mini');
  assert.ok(m.kind === 'preset' && m.preset.config.hidden_size === 256);
});

test('resolveModel: an unknown name — not a preset, not cached, offline — lists the presets', async () => {
  const hub = { offline: true, cacheDir: join(root, 'empty-cache') };
  await assert.rejects(resolveModel('bert-huge', { hub }), (e: Error) => e instanceof TokentagError && /bert-tiny/.test(e.message) && /bert-small/.test(e.message) && /bert-huge/.test(e.message));
  await assert.rejects(resolveModel(join(root, 'nope')), /no such directory/);
  await assert.rejects(resolveModel('./nope'), /no such directory/);
});

test('resolveModel: directories — no config, config only, weights without tokenizer, weights with tokenizer', async () => {
  const empty = join(root, 'empty');
  fs.mkdirSync(empty);
  await assert.rejects(resolveModel(empty), /no config\.json/);

  const cfgOnly = join(root, 'cfg-only');
  fs.mkdirSync(cfgOnly);
  fs.copyFileSync(join(FIXTURES, 'bert', 'config.json'), join(cfgOnly, 'config.json'));
  const c = await resolveModel(cfgOnly);
  assert.equal(c.kind, 'config');
  assert.ok(c.kind === 'config' && !c.hasTokenizer && c.config.modelType === 'bert');

  await assert.rejects(resolveModel(join(FIXTURES, 'bert')), /no tokenizer/);

  const full = join(root, 'full');
  fs.cpSync(join(FIXTURES, 'bert'), full, { recursive: true });
  fs.writeFileSync(join(full, 'vocab.txt'), '[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\na\n');
  const p = await resolveModel(full);
  assert.equal(p.kind, 'pretrained');
  assert.equal(p.name, 'full');

  const file = join(full, 'config.json');
  await assert.rejects(resolveModel(file), /got a file/);
});

test('resolveDataset: none → the synthetic corpus; a directory; a missing path', async () => {
  const s = await resolveDataset(undefined);
  assert.ok(s.synthetic);
  assert.deepEqual(s.dataset.names, ['train', 'validation', 'test']);
  assert.equal(s.dataset.get('train').length, SYNTHETIC_DEFAULT_SIZES.train);
  assert.match(s.description, /synthetic.*16000 \/ 500 \/ 500/);
  // the main job's schedule: fewer passes over a larger corpus than the presets' twelve, no masked
  // copy, and batches not grouped by length (the templates' sentences would fill a batch alike)
  assert.deepEqual(s.trainingDefaults, { numTrainEpochs: 3, groupByLength: false });
  assert.equal(s.wordDropout, 0);

  const dir = join(root, 'data');
  await writeSyntheticConll(dir, { train: 5, validation: 2, test: 2 });
  const d = await resolveDataset(dir);
  assert.equal(d.trainingDefaults, undefined);
  assert.equal(d.wordDropout, undefined);
  assert.deepEqual(d.dataset.names, ['train', 'validation', 'test']);
  assert.equal(labelNamesOf(d.dataset, 'ner_tags')[0], 'O');
  assert.throws(() => labelNamesOf(d.dataset, 'pos_tags'), /label column 'pos_tags'.*ner_tags.*--label-column/);
  assert.throws(() => requireSplit(d.dataset, 'dev', 'choose one'), /no dev split \(it has: train, validation, test\)/);

  await assert.rejects(resolveDataset(join(root, 'missing')), /no such file or directory/);
  await assert.rejects(resolveDataset(''), /must not be empty/);
});
