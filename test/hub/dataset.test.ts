import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HubError, InputError } from '../../src/errors.ts';
import { classLabelOf } from '../../src/data/features.ts';
import { CONLL2003_NER } from '../../src/data/labels.ts';
import { loadDataset, type LoadOptions } from '../../src/data/load.ts';
import { layoutByConvention, layoutFromCard, parseCard, resolveHubDataset, splitOfPath } from '../../src/hub/dataset.ts';
import { datasetCard, nerFeatures, nerParquet, syntheticRows } from '../helpers/hub-fixtures.ts';
import { startFakeHub, type FakeHub } from '../helpers/hub-server.ts';

let hub: FakeHub;
let root = '';
let n = 0;
const hubOpts = (extra: Record<string, unknown> = {}) => ({ endpoint: hub.url, cacheDir: path.join(root, `cache-${++n}`), token: null, ...extra });
const load = (id: string, extra: LoadOptions = {}, hubExtra: Record<string, unknown> = {}) => loadDataset(id, { ...extra, hub: hubOpts(hubExtra) });

/** Labels in an order no data would show first: ids mean these names, whatever appears first. */
const SHUFFLED = ['O', 'B-MISC', 'I-MISC', 'B-PER', 'I-PER', 'B-ORG', 'I-ORG', 'B-LOC', 'I-LOC'];
const remap = (rows: ReturnType<typeof syntheticRows>) => rows.map((r) => ({ tokens: r.tokens, ner_tags: r.ner_tags.map((t) => SHUFFLED.indexOf(CONLL2003_NER[t]!)) }));
const train = remap(syntheticRows('train', 30));
const test = remap(syntheticRows('test', 10));

before(async () => {
  hub = await startFakeHub();
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tokentag-hub-data-'));
  // A dataset pushed with datasets' push_to_hub: Parquet in the repo, configs in the card, features in the files.
  hub.addRepo(
    'org/ner',
    {
      'README.md': datasetCard({ configs: 'configs:\n- config_name: default\n  data_files:\n  - split: train\n    path: data/train-*\n  - split: test\n    path: data/test-*' }),
      'data/train-00000-of-00002.parquet': nerParquet(train.slice(0, 20), SHUFFLED),
      'data/train-00001-of-00002.parquet': nerParquet(train.slice(20), SHUFFLED, { idOffset: 20 }),
      'data/test-00000-of-00001.parquet': nerParquet(test, SHUFFLED),
    },
    { type: 'dataset' },
  );
  // A script dataset: no Parquet in the repo, the Hub's conversion in refs/convert/parquet (datasets 2.x features), a legacy short name.
  hub.addRepo('eriktks/conll2003', { 'README.md': datasetCard({ names: SHUFFLED, configName: 'conll2003' }), 'conll2003.py': '# a loading script\n' }, { type: 'dataset' });
  hub.commit(
    'eriktks/conll2003',
    {
      'conll2003/train/0000.parquet': nerParquet(train, SHUFFLED, { features: nerFeatures(SHUFFLED, 'v2') }),
      'conll2003/validation/0000.parquet': nerParquet(test.slice(0, 5), SHUFFLED, { features: nerFeatures(SHUFFLED, 'v2') }),
      'conll2003/test/0000.parquet': nerParquet(test, SHUFFLED, { features: nerFeatures(SHUFFLED, 'v2') }),
    },
    { type: 'dataset', branch: 'refs/convert/parquet' },
  );
  hub.aliases.set('conll2003', 'eriktks/conll2003');
});
after(async () => {
  await hub.close();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('loadDataset with a Hub id', () => {
  it("the repo's own Parquet shards, label names from the files' declared features", async () => {
    const d = await load('org/ner');
    assert.deepEqual(d.names, ['train', 'test']);
    assert.equal(d.get('train').length, 30);
    assert.deepEqual(classLabelOf(d.get('train').features, 'ner_tags').names, SHUFFLED);
    const row = d.get('train').get(0) as unknown as { tokens: string[]; ner_tags: number[] };
    assert.deepEqual(row.ner_tags, train[0]!.ner_tags);
    assert.deepEqual(row.tokens, train[0]!.tokens);
    assert.equal((d.get('train').get(25) as unknown as { id: string }).id, '25');
  });

  it("no Parquet in the repo: the Hub's refs/convert/parquet conversion, through a renamed id; cached afterwards", async () => {
    const opts = hubOpts();
    const d = await loadDataset('conll2003', { hub: opts });
    assert.deepEqual(d.names, ['train', 'validation', 'test']);
    assert.deepEqual(classLabelOf(d.get('test').features, 'ner_tags').names, SHUFFLED);
    const folder = path.join(opts.cacheDir as string, 'datasets--conll2003');
    assert.ok(fs.existsSync(path.join(folder, 'refs', 'refs', 'convert', 'parquet')), 'the ref of refs/convert/parquet nests, as Python');
    const start = hub.requests.length;
    const again = await loadDataset('conll2003', { hub: opts, splits: ['test'] });
    assert.deepEqual(again.names, ['test']);
    assert.deepEqual(hub.since(start), [], 'a cached dataset makes no request');
    const offline = await loadDataset('conll2003', { hub: { ...opts, offline: true } });
    assert.equal(offline.get('train').length, 30);
    await assert.rejects(loadDataset('conll2003', { hub: { ...hubOpts(), offline: true } }), (e: unknown) => e instanceof HubError && e.kind === 'offline' && /HF_HUB_OFFLINE is set.*nothing for 'main'.*Parquet files/.test(e.message));
  });

  it("files without metadata take the card's dataset_info labels; string tags are read too", async () => {
    hub.addRepo(
      'org/card-labels',
      {
        'README.md': datasetCard({ names: SHUFFLED, style: 'list' }),
        'data/train.parquet': nerParquet(train, SHUFFLED, { features: null }),
        'data/validation.parquet': nerParquet(test, SHUFFLED, { features: null }),
      },
      { type: 'dataset' },
    );
    const d = await load('org/card-labels');
    assert.deepEqual(d.names, ['train', 'validation']);
    assert.deepEqual(classLabelOf(d.get('train').features, 'ner_tags').names, SHUFFLED);

    hub.addRepo('org/no-names', { 'train.parquet': nerParquet(train, SHUFFLED, { features: null }) }, { type: 'dataset' });
    await assert.rejects(load('org/no-names'), (e: unknown) => e instanceof InputError && /'ner_tags' holds label ids but the dataset declares no label names/.test(e.message));

    hub.addRepo('org/string-tags', { 'train.parquet': nerParquet(train, SHUFFLED, { features: null, stringTags: true }) }, { type: 'dataset' });
    const s = await load('org/string-tags', { labels: { ner_tags: SHUFFLED } });
    assert.deepEqual((s.get('train').get(0) as unknown as { ner_tags: number[] }).ner_tags, train[0]!.ner_tags);
  });

  it('configurations: chosen with config, listed when ambiguous', async () => {
    hub.addRepo(
      'org/two-configs',
      {
        'README.md': datasetCard({ configs: 'configs:\n- config_name: en\n  data_files: en/*.parquet\n- config_name: de\n  data_files: de/*.parquet' }),
        'en/train.parquet': nerParquet(train, SHUFFLED),
        'de/train.parquet': nerParquet(test, SHUFFLED),
      },
      { type: 'dataset' },
    );
    await assert.rejects(load('org/two-configs'), (e: unknown) => e instanceof HubError && /several configurations \(en, de\); choose one with --dataset-config/.test(e.message));
    assert.equal((await load('org/two-configs', { config: 'de' })).get('train').length, 10);
    await assert.rejects(load('org/two-configs', { config: 'fr' }), /has no configuration 'fr' with Parquet files \(it has: en, de\)/);
  });

  it('a dataset without Parquet files says so', async () => {
    hub.addRepo('org/script-only', { 'README.md': '# x\n', 'script.py': '' }, { type: 'dataset' });
    await assert.rejects(load('org/script-only'), (e: unknown) => e instanceof HubError && e.kind === 'unsupported' && /has no Parquet files: none in its repository and no Hub conversion/.test(e.message));
    await assert.rejects(load('org/none-such'), (e: unknown) => e instanceof HubError && e.kind === 'repo-not-found' && /dataset 'org\/none-such' was not found/.test(e.message));
  });

  it('resolveHubDataset names the source for the CLI', async () => {
    const r = await resolveHubDataset('org/ner', { hub: hubOpts() });
    assert.equal(r.config, 'default');
    assert.match(r.description, /^org\/ner \(Hub dataset, config default, Parquet files at [0-9a-f]{8}\)$/);
    assert.equal(r.files.train!.length, 2);
  });
});

describe('local Parquet files', () => {
  it('a directory of shards, and a single file', async () => {
    const dir = path.join(root, 'local');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'train-00000-of-00002.parquet'), nerParquet(train.slice(0, 20), SHUFFLED));
    fs.writeFileSync(path.join(dir, 'train-00001-of-00002.parquet'), nerParquet(train.slice(20), SHUFFLED, { idOffset: 20 }));
    fs.writeFileSync(path.join(dir, 'test.parquet'), nerParquet(test, SHUFFLED));
    const d = await loadDataset(dir);
    assert.deepEqual(d.names, ['train', 'test']);
    assert.equal(d.get('train').length, 30);
    assert.deepEqual(classLabelOf(d.get('train').features, 'ner_tags').names, SHUFFLED);
    const one = await loadDataset(path.join(dir, 'test.parquet'));
    assert.deepEqual(one.names, ['test']);
    await assert.rejects(loadDataset(path.join(dir, 'test.parquet'), { labels: 'conll2003' }), /the labels given for 'ner_tags' .* differ from the ones the dataset declares/);
  });
});

describe('cards and layouts', () => {
  it('parses the front matter; globs and split names as datasets reads them', () => {
    assert.deepEqual(parseCard('---\nconfigs:\n- config_name: a\n---\n# t'), { configs: [{ config_name: 'a' }] });
    assert.deepEqual(parseCard('# no metadata'), {});
    assert.equal(splitOfPath('data/train-00000-of-00001.parquet'), 'train');
    assert.equal(splitOfPath('dev.parquet'), 'validation');
    assert.equal(splitOfPath('data/testing/x.parquet'), 'test');
    const layout = layoutFromCard([{ config_name: 'default', data_files: [{ split: 'train', path: 'data/train-*' }, { split: 'test', path: ['data/test-*'] }] }], ['data/train-0.parquet', 'data/test-0.parquet', 'data/x/train-1.parquet']);
    assert.deepEqual([...layout.get('default')!], [['train', ['data/train-0.parquet']], ['test', ['data/test-0.parquet']]]);
    assert.deepEqual([...layoutByConvention(['a/validation.parquet', 'b.parquet']).get('default')!.keys()], ['validation', 'train']);
  });
});
