import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { HubError } from '../../src/errors.ts';
import { loadTokenClassifier, resolveModel, type ResolveModelOptions } from '../../src/hub/model.ts';
import { loadTokenClassifier as loadFromDir } from '../../src/models/checkpoint.ts';
import { loadTokenizer } from '../../src/tokenize/tokenizer.ts';
import { FIXTURE_MODELS, readTree, tinyModelFiles, writePythonCache } from '../helpers/hub-fixtures.ts';
import { gitBlobSha1, sha256Hex, startFakeHub, type FakeHub } from '../helpers/hub-server.ts';

let hub: FakeHub;
let root = '';
let tiny: Record<string, Uint8Array>;
let tinyCommit = '';
let cacheN = 0;
const newCache = () => path.join(root, `cache-${++cacheN}`);
const opts = (cacheDir: string, extra: ResolveModelOptions = {}): ResolveModelOptions => ({ endpoint: hub.url, cacheDir, token: null, ...extra });
const isHubError = (kind: string, pattern: RegExp) => (e: unknown) => e instanceof HubError && e.kind === kind && pattern.test(e.message);

before(async () => {
  hub = await startFakeHub();
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tokentag-hub-model-'));
  tiny = await tinyModelFiles({ onnx: true });
  tinyCommit = hub.addRepo('org/tiny', { ...tiny, 'pytorch_model.bin': new Uint8Array(50).fill(1), 'README.md': '# tiny\n' });
  hub.aliases.set('tiny', 'org/tiny');
});
after(async () => {
  await hub.close();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('resolveModel: a Hub id into Python\'s cache', () => {
  it('fetches only config, tokenizer and weights, in Python\'s layout; a second call makes no request', async () => {
    const cacheDir = newCache();
    const start = hub.requests.length;
    const r = await resolveModel('org/tiny', opts(cacheDir, { purpose: 'weights' }));
    assert.equal(r.source, 'hub');
    assert.equal(r.commit, tinyCommit);
    assert.equal(r.fromCache, false);
    assert.deepEqual([...r.files].sort(), ['config.json', 'model.safetensors', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json']);
    const folder = path.join(cacheDir, 'models--org--tiny');
    assert.equal(r.dir, path.join(folder, 'snapshots', tinyCommit));
    assert.equal(fs.readFileSync(path.join(folder, 'refs', 'main'), 'utf8'), tinyCommit); // no newline, as Python
    // Snapshot files are relative symlinks to blobs named by etag: sha256 for LFS, git sha1 otherwise.
    assert.equal(fs.readlinkSync(path.join(r.dir, 'model.safetensors')), `../../blobs/${sha256Hex(tiny['model.safetensors']!)}`);
    assert.equal(fs.readlinkSync(path.join(r.dir, 'config.json')), `../../blobs/${gitBlobSha1(tiny['config.json']!)}`);
    assert.ok(fs.existsSync(path.join(cacheDir, 'CACHEDIR.TAG')));
    assert.ok(!fs.existsSync(path.join(r.dir, 'pytorch_model.bin')) && !fs.existsSync(path.join(r.dir, 'onnx')) && !fs.existsSync(path.join(r.dir, 'README.md')));
    // The directory loads.
    const loaded = loadFromDir(r.dir);
    assert.equal(loaded.config.modelType, 'bert');
    assert.ok((await loadTokenizer(r.dir)).vocabSize > 10);
    // The token never goes to the CDN host; downloads of LFS files go there.
    assert.ok(hub.since(start).some((q) => q.url.startsWith('/cdn/')));

    const again = hub.requests.length;
    const r2 = await resolveModel('org/tiny', opts(cacheDir, { purpose: 'weights' }));
    assert.equal(r2.dir, r.dir);
    assert.equal(r2.fromCache, true);
    assert.deepEqual(hub.since(again), [], 'a cached model makes no request');
  });

  it('prediction prefers onnx/model.onnx; training takes the checkpoint weights', async () => {
    const cacheDir = newCache();
    const inf = await resolveModel('org/tiny', opts(cacheDir));
    assert.equal(inf.weights, 'onnx');
    assert.ok(inf.files.includes('onnx/model.onnx') && !inf.files.includes('model.safetensors'));
    assert.equal(fs.readlinkSync(path.join(inf.dir, 'onnx', 'model.onnx')), `../../../blobs/${sha256Hex(tiny['onnx/model.onnx']!)}`);
    // The ONNX-only cache does not satisfy training: the weights are fetched then.
    const w = await resolveModel('org/tiny', opts(cacheDir, { purpose: 'weights' }));
    assert.equal(w.weights, 'safetensors');
    assert.equal(w.fromCache, false);
  });

  it('HF_HUB_OFFLINE: works from the cache, fails clearly (naming what is missing) without it', async () => {
    const cacheDir = newCache();
    await assert.rejects(resolveModel('org/tiny', opts(cacheDir, { offline: true })), isHubError('offline', /HF_HUB_OFFLINE is set.*nothing for 'main'.*org\/tiny needs config\.json, a tokenizer/));
    await resolveModel('org/tiny', opts(cacheDir, { purpose: 'weights' }));
    const start = hub.requests.length;
    const r = await resolveModel('org/tiny', opts(cacheDir, { offline: true, purpose: 'weights' }));
    assert.equal(r.fromCache, true);
    // Offline, an ONNX-preferring call still uses the cached safetensors rather than failing.
    assert.equal((await resolveModel('org/tiny', opts(cacheDir, { offline: true }))).weights, 'safetensors');
    assert.deepEqual(hub.since(start), []);
    // A file the cached snapshot lacks is named.
    fs.rmSync(path.join(r.dir, 'tokenizer.json'));
    fs.rmSync(path.join(r.dir, 'vocab.txt'), { force: true });
    await assert.rejects(resolveModel('org/tiny', opts(cacheDir, { offline: true, purpose: 'weights' })), isHubError('offline', /lacks tokenizer\.json or vocab\.txt/));
  });

  it('a truncated blob is detected and fetched again (offline: a clear error)', async () => {
    const cacheDir = newCache();
    const r = await resolveModel('org/tiny', opts(cacheDir, { purpose: 'weights' }));
    const blob = fs.realpathSync(path.join(r.dir, 'model.safetensors'));
    fs.truncateSync(blob, 100);
    await assert.rejects(resolveModel('org/tiny', opts(cacheDir, { offline: true, purpose: 'weights' })), isHubError('corrupt', /model\.safetensors does not match its hash/));
    const start = hub.requests.length;
    const r2 = await resolveModel('org/tiny', opts(cacheDir, { purpose: 'weights' }));
    assert.ok(hub.since(start).some((q) => q.url.includes(sha256Hex(tiny['model.safetensors']!))), 'refetched');
    assert.deepEqual(fs.readFileSync(path.join(r2.dir, 'model.safetensors')), Buffer.from(tiny['model.safetensors']!));
  });

  it('an interrupted download resumes with a Range request (in the same run, and on the next one)', async () => {
    const sha = sha256Hex(tiny['model.safetensors']!);
    // Cut once: the download resumes by itself.
    let cacheDir = newCache();
    hub.interrupt(sha, 1000);
    let start = hub.requests.length;
    const r = await resolveModel('org/tiny', opts(cacheDir, { purpose: 'weights' }));
    assert.deepEqual(fs.readFileSync(path.join(r.dir, 'model.safetensors')), Buffer.from(tiny['model.safetensors']!));
    assert.ok(hub.since(start).some((q) => q.url === `/cdn/${sha}` && q.range === 'bytes=1000-'), 'resumed from byte 1000');

    // Cut on every attempt: the run fails, says so, and keeps the partial file; the next run resumes it.
    cacheDir = newCache();
    hub.interrupt(sha, 700, 3);
    await assert.rejects(resolveModel('org/tiny', opts(cacheDir, { purpose: 'weights' })), isHubError('network', /interrupted at 2100 of \d+ bytes.*run the command again to resume/));
    const incomplete = path.join(cacheDir, 'models--org--tiny', 'blobs', `${sha}.incomplete`);
    const have = fs.statSync(incomplete).size;
    assert.ok(have > 0 && have < tiny['model.safetensors']!.length);
    start = hub.requests.length;
    const r2 = await resolveModel('org/tiny', opts(cacheDir, { purpose: 'weights' }));
    assert.ok(hub.since(start).some((q) => q.range === `bytes=${have}-`));
    assert.deepEqual(fs.readFileSync(path.join(r2.dir, 'model.safetensors')), Buffer.from(tiny['model.safetensors']!));
    assert.ok(!fs.existsSync(incomplete));
  });

  it('reads a cache laid out by Python\'s huggingface_hub, with no request', async () => {
    const cacheDir = newCache();
    const commit = 'a'.repeat(40);
    const { 'onnx/model.onnx': _, ...files } = tiny;
    writePythonCache(cacheDir, { id: 'dslim/bert-base-NER', commit }, files);
    const start = hub.requests.length;
    const r = await resolveModel('dslim/bert-base-NER', opts(cacheDir));
    assert.deepEqual(hub.since(start), []);
    assert.equal(r.commit, commit);
    assert.equal(r.weights, 'safetensors');
    const loaded = await loadTokenClassifier('dslim/bert-base-NER', opts(cacheDir));
    assert.equal(loaded.config.id2label.length, 9);
  });

  it('org/name@revision: a branch, a commit; unknown revisions are named', async () => {
    const cacheDir = newCache();
    const v2 = hub.commit('org/tiny', { 'config.json': Buffer.from(tiny['config.json']!).toString().replace('"bert"', '"bert" ') }, { branch: 'v2' });
    const r = await resolveModel('org/tiny@v2', opts(cacheDir, { purpose: 'weights' }));
    assert.equal(r.commit, v2);
    assert.equal(fs.readFileSync(path.join(cacheDir, 'models--org--tiny', 'refs', 'v2'), 'utf8'), v2);
    const byCommit = await resolveModel(`org/tiny@${tinyCommit}`, opts(cacheDir, { purpose: 'weights' }));
    assert.equal(byCommit.commit, tinyCommit);
    await assert.rejects(resolveModel('org/tiny@nope', opts(cacheDir)), isHubError('revision-not-found', /org\/tiny has no revision 'nope'/));
  });

  it('a renamed repository follows the Hub\'s redirect; the cache folder is the id as typed (as Python)', async () => {
    const cacheDir = newCache();
    const r = await resolveModel('tiny', opts(cacheDir, { purpose: 'weights' }));
    assert.equal(r.dir, path.join(cacheDir, 'models--tiny', 'snapshots', tinyCommit));
  });

  it('a local directory wins over a Hub id', async () => {
    const r = await resolveModel(path.join(FIXTURE_MODELS, 'bert'), opts(newCache()));
    assert.equal(r.source, 'local');
  });
});

describe('resolveModel: weights and tokenizers repos have', () => {
  it('sharded safetensors: the index and every shard', async () => {
    hub.addRepo('org/sharded', await tinyModelFiles({ weights: 'sharded' }));
    const r = await resolveModel('org/sharded', opts(newCache(), { purpose: 'weights' }));
    assert.equal(r.weights, 'sharded-safetensors');
    assert.deepEqual(r.files.filter((f) => f.includes('safetensors')), ['model.safetensors.index.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
    assert.equal(loadFromDir(r.dir).params.size > 0, true);
  });

  it('only pytorch_model.bin: read through the safe reader; vocab.txt without tokenizer.json', async () => {
    const bin = fs.readFileSync(path.join(FIXTURE_MODELS, 'pytorch-bin', 'pytorch_model.bin'));
    const vocab = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...Array.from({ length: 95 }, (_, i) => `w${i}`)].join('\n') + '\n';
    hub.addRepo('org/bin-only', { 'config.json': fs.readFileSync(path.join(FIXTURE_MODELS, 'bert', 'config.json')), 'pytorch_model.bin': bin, 'vocab.txt': vocab, 'tf_model.h5': new Uint8Array(10) });
    const r = await resolveModel('org/bin-only', opts(newCache()));
    assert.equal(r.weights, 'pytorch');
    assert.equal(r.files.includes('tf_model.h5'), false);
    assert.equal(loadFromDir(r.dir).report.weightsFile.endsWith('pytorch_model.bin'), true);
  });

  it('unsupported repos say what is missing and why', async () => {
    hub.addRepo('org/slow-tokenizer', { 'config.json': '{}', 'model.safetensors': new Uint8Array(8), 'vocab.json': '{}', 'merges.txt': '' });
    await assert.rejects(resolveModel('org/slow-tokenizer', opts(newCache())), isHubError('entry-not-found', /has no tokenizer\.json or vocab\.txt \(it has vocab\.json, merges\.txt: a slow tokenizer/));
    hub.addRepo('org/tf-only', { 'config.json': '{}', 'tokenizer.json': '{}', 'tf_model.h5': new Uint8Array(8) });
    await assert.rejects(resolveModel('org/tf-only', opts(newCache())), isHubError('entry-not-found', /has no weights tokentag reads.*it has tf_model\.h5/));
  });
});

describe('resolveModel: errors a user can act on', () => {
  it('an unknown repo: not found, with how to log in for private ones', async () => {
    await assert.rejects(resolveModel('org/missing', opts(newCache())), isHubError('repo-not-found', /model 'org\/missing' was not found on http:\/\/127\.0\.0\.1:\d+.*not a local directory.*hf auth login.*HF_TOKEN/));
  });

  it('a private repo: 401 without a token, found with one', async () => {
    hub.addRepo('tester/private', tiny, { private: true });
    await assert.rejects(resolveModel('tester/private', opts(newCache())), isHubError('repo-not-found', /log in/));
    const r = await resolveModel('tester/private', opts(newCache(), { token: 'hf_testtoken', purpose: 'weights' }));
    assert.equal(r.source, 'hub');
    // The token went to the Hub, never to the CDN host.
    const sent = hub.requests.filter((q) => q.authorization === 'Bearer hf_testtoken');
    assert.ok(sent.length > 0 && sent.every((q) => !q.url.startsWith('/cdn/')));
  });

  it('a gated repo: where to accept the conditions, and how to log in', async () => {
    hub.addRepo('org/gated', tiny, { gated: true });
    await assert.rejects(resolveModel('org/gated', opts(newCache())), isHubError('gated', /org\/gated is gated: accept its conditions at http:\/\/127\.0\.0\.1:\d+\/org\/gated, then log in/));
    hub.tokens.set('hf_other', 'other');
    await assert.rejects(resolveModel('org/gated', opts(newCache(), { token: 'hf_other' })), isHubError('gated', /the current one has no access/));
    assert.equal((await resolveModel('org/gated', opts(newCache(), { token: 'hf_testtoken' }))).source, 'hub');
  });

  it('not a path and not an id', async () => {
    await assert.rejects(resolveModel('./no/such/dir', opts(newCache())), /no such model directory, and not a Hugging Face Hub id/);
  });
});

describe('two processes downloading the same model at once', () => {
  it('leave one correct blob per file', async () => {
    const cacheDir = newCache();
    const script = path.join(root, 'resolve.mts');
    fs.writeFileSync(
      script,
      `import { resolveModel } from ${JSON.stringify(path.resolve(import.meta.dirname, '../../src/hub/model.ts'))};\n` +
        `const r = await resolveModel('org/tiny', { endpoint: process.argv[2], cacheDir: process.argv[3], token: null, purpose: 'weights' });\n` +
        `console.log(r.dir);\n`,
    );
    const run = () => promisify(execFile)(process.execPath, ['--import', 'tsx', script, hub.url, cacheDir], { cwd: path.resolve(import.meta.dirname, '../..') });
    const [a, b] = await Promise.all([run(), run()]);
    assert.equal(a.stdout.trim(), b.stdout.trim());
    const dir = a.stdout.trim();
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json']) assert.deepEqual(readTree(dir)[f], Buffer.from(tiny[f]!), f);
    const blobs = fs.readdirSync(path.join(cacheDir, 'models--org--tiny', 'blobs'));
    assert.ok(blobs.every((b) => !b.endsWith('.incomplete')), blobs.join(', '));
  });
});
