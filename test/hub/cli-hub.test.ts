/**
 * The CLI against the fake Hub, as a user runs it with HF_ENDPOINT set: train a Hub model on a Hub
 * dataset, push it, predict with the pushed id, evaluate, inspect, export.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CONLL2003_NER } from '../../src/data/labels.ts';
import { cardMetadata } from '../../src/hub/card.ts';
import { runCli } from '../helpers/cli.ts';
import { datasetCard, nerParquet, syntheticRows, tinyModelFiles } from '../helpers/hub-fixtures.ts';
import { startFakeHub, type FakeHub } from '../helpers/hub-server.ts';

let hub: FakeHub;
let root = '';
const saved: Record<string, string | undefined> = {};
const ENV = ['HF_ENDPOINT', 'HF_HUB_CACHE', 'HF_HOME', 'HF_TOKEN', 'HF_HUB_OFFLINE', 'HUGGING_FACE_HUB_TOKEN', 'HF_TOKEN_PATH'];

before(async () => {
  hub = await startFakeHub();
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tokentag-hub-cli-'));
  for (const k of ENV) saved[k] = process.env[k];
  for (const k of ENV) delete process.env[k];
  process.env.HF_ENDPOINT = hub.url;
  process.env.HF_HOME = path.join(root, 'hf-home');
  process.env.HF_HUB_CACHE = path.join(root, 'cache');
  process.env.HF_TOKEN = 'hf_testtoken';
  hub.addRepo('org/tiny-bert', await tinyModelFiles());
  hub.addRepo(
    'org/ner',
    {
      'README.md': datasetCard({ configs: 'configs:\n- config_name: default\n  data_files:\n  - split: train\n    path: data/train-*\n  - split: validation\n    path: data/validation-*\n  - split: test\n    path: data/test-*' }),
      'data/train-00000-of-00001.parquet': nerParquet(syntheticRows('train', 64), CONLL2003_NER),
      'data/validation-00000-of-00001.parquet': nerParquet(syntheticRows('validation', 16), CONLL2003_NER),
      'data/test-00000-of-00001.parquet': nerParquet(syntheticRows('test', 16), CONLL2003_NER),
    },
    { type: 'dataset' },
  );
});
after(async () => {
  await hub.close();
  for (const k of ENV) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  fs.rmSync(root, { recursive: true, force: true });
});

const TEXT = 'Peter Blackburn visited the European Commission in Brussels .';

describe('tokentag with Hub ids', () => {
  const out = () => path.join(root, 'run');

  it('train --model <id> --dataset <id> fine-tunes, evaluates and writes a model card', async () => {
    const r = await runCli('train', '--model', 'org/tiny-bert', '--dataset', 'org/ner', '--output-dir', out(), '--max-steps', '16', '--batch-size', '8', '--learning-rate', '1e-3', '--json');
    assert.equal(r.code, 0, r.err);
    const res = JSON.parse(r.out) as { from_scratch: boolean; dataset: string; labels: string[]; test: { overall_f1: number } | null };
    assert.equal(res.from_scratch, false);
    assert.match(res.dataset, /^org\/ner \(Hub dataset, config default/);
    assert.deepEqual(res.labels, [...CONLL2003_NER]);
    assert.ok(res.test && Number.isFinite(res.test.overall_f1));
    assert.match(r.err, /model: org\/tiny-bert \(Hub, commit [0-9a-f]{8}\) \(bert\), fine-tuning/);
    const card = fs.readFileSync(path.join(out(), 'README.md'), 'utf8');
    const meta = cardMetadata(card);
    assert.equal(meta.pipeline_tag, 'token-classification');
    assert.equal(meta.library_name, 'transformers');
    assert.equal(meta.base_model, 'org/tiny-bert');
    assert.deepEqual(meta.datasets, ['org/ner']);
    const index = meta['model-index'] as { results: { dataset: { split: string }; metrics: { type: string; value: number }[] }[] }[];
    assert.equal(index[0]!.results[0]!.dataset.split, 'test');
    assert.equal(index[0]!.results[0]!.metrics.find((m) => m.type === 'f1')!.value, res.test!.overall_f1);
    assert.match(card, /\| Training Loss \| Epoch \| Step \| Validation Loss \| Precision \| Recall \| F1 \| Accuracy \|/);
    assert.match(card, /- learning_rate: 0\.001/);
    assert.match(card, /\| 0 \| `O` \|\n\| 1 \| `B-PER` \|/);
  });

  it('push, then predict --model <pushed id> gives the local directory\'s predictions', async () => {
    const start = hub.requests.length;
    const r = await runCli('push', '--model', out(), '--repo', 'tester/tiny-ner', '--commit-message', 'first model');
    assert.equal(r.code, 0, r.err);
    const uploads = hub.since(start).filter((q) => q.url.startsWith('/lfs-upload/'));
    assert.ok(uploads.length > 0 && uploads.every((q) => q.authorization === undefined), 'large files go to storage, without the token');
    assert.match(r.out, /^pushed \d+ files to http:\/\/127\.0\.0\.1:\d+\/tester\/tiny-ner \(commit [0-9a-f]{8}, new repository\)/);
    const files = hub.files('tester/tiny-ner');
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'README.md']) assert.deepEqual(files.get(f), f === 'README.md' ? files.get(f) : fs.readFileSync(path.join(out(), f)), f);
    assert.ok(![...files.keys()].some((f) => f.startsWith('checkpoint-')), 'checkpoints are not pushed');
    const card = files.get('README.md')!.toString();
    assert.match(card, /npx tokentag predict --model tester\/tiny-ner/);
    assert.match(card, /pipeline\("token-classification", model="tester\/tiny-ner"/);
    assert.match(card, /^# tiny-ner$/m);

    // Every token with its label and score: any difference in the weights would show.
    const local = await runCli('predict', '--model', out(), '--ignore-labels', '', TEXT);
    const remote = await runCli('predict', '--model', 'tester/tiny-ner', '--ignore-labels', '', TEXT);
    assert.equal(local.code, 0, local.err);
    assert.equal(remote.code, 0, remote.err);
    assert.ok((JSON.parse(local.out) as unknown[]).length >= 10, local.out);
    assert.equal(remote.out, local.out);
    // Pushing again is a new commit in the same repository.
    const again = await runCli('push', '--model', out(), '--repo', 'tester/tiny-ner', '--json');
    assert.equal(again.code, 0, again.err);
    assert.equal(JSON.parse(again.out).created, false);
  });

  it('train --push-to-hub uploads the run under --hub-model-id', async () => {
    const r = await runCli('train', '--model', 'org/tiny-bert', '--dataset', 'org/ner', '--output-dir', path.join(root, 'run2'), '--max-steps', '2', '--batch-size', '8', '--push-to-hub', '--hub-model-id', 'tester/pushed-from-train', '--hub-private-repo', '--json');
    assert.equal(r.code, 0, r.err);
    assert.equal(JSON.parse(r.out).pushed.repo, 'tester/pushed-from-train');
    assert.equal(hub.repo('tester/pushed-from-train').private, true);
    assert.ok(hub.files('tester/pushed-from-train').has('model.safetensors'));
  });

  it('evaluate, data inspect and export onnx take Hub ids', async () => {
    const ev = await runCli('evaluate', '--model', 'org/tiny-bert', '--dataset', 'org/ner', '--split', 'validation', '--json');
    assert.equal(ev.code, 0, ev.err);
    assert.ok('overall_f1' in JSON.parse(ev.out));
    const inspect = await runCli('data', 'inspect', '--dataset', 'org/ner', '--split', 'test');
    assert.equal(inspect.code, 0, inspect.err);
    assert.match(inspect.out, /test/);
    const noOut = await runCli('export', 'onnx', '--model', 'org/tiny-bert');
    assert.equal(noOut.code, 2);
    assert.match(noOut.err, /is a Hub model .*give --output FILE/);
    const file = path.join(root, 'tiny.onnx');
    const exp = await runCli('export', 'onnx', '--model', 'org/tiny-bert', '--output', file);
    assert.equal(exp.code, 0, exp.err);
    assert.ok(fs.statSync(file).size > 1000);
  });

  it('errors are one clear line, no stack', async () => {
    const missing = await runCli('predict', '--model', 'org/missing-model', 'x');
    assert.equal(missing.code, 1);
    assert.match(missing.err, /^tokentag predict: model 'org\/missing-model' was not found on http/);
    assert.doesNotMatch(missing.err, /\n\s+at /);
    const token = process.env.HF_TOKEN;
    delete process.env.HF_TOKEN;
    try {
      const push = await runCli('push', '--model', out(), '--repo', 'tester/x');
      assert.equal(push.code, 1);
      assert.match(push.err, /pushing needs a token with write access: log in with `hf auth login`/);
    } finally {
      process.env.HF_TOKEN = token;
    }
    process.env.HF_HUB_OFFLINE = '1';
    try {
      const off = await runCli('data', 'inspect', '--dataset', 'org/never-fetched');
      assert.equal(off.code, 1);
      assert.match(off.err, /HF_HUB_OFFLINE is set and the cache .* has nothing for 'main'/);
      // What was fetched before works offline.
      const cached = await runCli('predict', '--model', 'tester/tiny-ner', TEXT);
      assert.equal(cached.code, 0, cached.err);
    } finally {
      delete process.env.HF_HUB_OFFLINE;
    }
  });
});
