/**
 * The page (web/) in a real browser: Debian's chromium, headless, driven by playwright-core (see
 * test/helpers/browser.ts). The page is built here by `buildWeb` (what `npm run build:web` runs)
 * into a temporary folder and served with the cross-origin isolation headers, so onnxruntime-web
 * runs on two WebAssembly threads.
 *
 * - Training: bert-tiny from scratch on a small built-in corpus for a fixed number of steps; the
 *   loss falls, the per-epoch table and the test F1 appear; the downloaded archive loads in Node
 *   with tokentag and tags as the page does (scores within 1e-4); with dropout 0 and the same seed
 *   and batches, the page's losses are Node's step for step (web/job.ts run in Node).
 * - Inference only: a model exported by `tokentag export onnx`, opened in the page, tags as
 *   tokentag in Node does with every aggregation strategy.
 * - Bad files: the page shows the readers' messages (file, line, what was expected).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { unzipSync } from 'fflate';
import type { Browser, Page } from 'playwright-core';
import { pipeline } from '../../src/index.ts';
import type { LogRecord } from '../../src/train/checkpoint.ts';
import { buildWeb } from '../../web/build.ts';
import { createJob, syntheticData } from '../../web/job.ts';
import { serveStatic, type WebServer } from '../../web/serve.ts';
import { launchChromium, skipWithoutBrowser } from '../helpers/browser.ts';
import { runCli } from '../helpers/cli.ts';
import { makeTinyModel } from '../helpers/tiny-model.ts';

const skip = skipWithoutBrowser;
/** The README's screenshot: the training test takes it every run, and writes it there with UPDATE_SCREENSHOT=1. */
const SCREENSHOT = path.join(import.meta.dirname, '..', '..', 'docs', 'images', 'web-training.png');

// 400 training sentences in batches of 16: 25 steps an epoch, 2 epochs, 50 steps in all.
const SIZES = { train: 400, validation: 48, test: 48 };
const STEPS = 50;
const RECIPE = { epochs: 2, batchSize: 16, learningRate: 0.001, seed: 42, wordDropout: 0, dropout: 0 };
const THREADS = 2;
const TEXT = 'Angela Merkel met Emmanuel Macron in Paris on Monday, and Siemens signed a deal with Airbus.';
/** A sentence of the corpus' test split (unseen in training), which the briefly trained model tags. */
const CORPUS_TEXT = (syntheticData(SIZES).dataset.get('test').column('tokens') as string[][]).slice(0, 3).map((t) => t.join(' ')).join(' ');

let root = '';
let server: WebServer;
let browser: Browser;

before(async () => {
  if (skip) return;
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tokentag-web-'));
  const built = await buildWeb(path.join(root, 'site'));
  server = await serveStatic(built.outDir, { port: 0 });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await server?.close();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

async function openPage(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1100 }, acceptDownloads: true });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(`${server.url}?threads=${THREADS}`);
  await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state ?? ''), null, { timeout: 60_000 });
  assert.equal(await page.textContent('#error'), '', 'the page started without an error');
  return page;
}

const state = (page: Page) => page.evaluate(() => document.body.dataset.state);
const waitFor = (page: Page, states: string[], timeout = 300_000) =>
  page.waitForFunction((s) => s.includes(document.body.dataset.state ?? ''), states, { timeout });

async function fill(page: Page, values: Record<string, string | number>): Promise<void> {
  for (const [id, v] of Object.entries(values)) await page.fill(`#${id}`, String(v));
}

interface Entity {
  entity_group?: string;
  entity?: string;
  score: number;
  start: number;
  end: number;
  word: string;
}

/** The page's entities and Node's are the same spans and labels, with scores within 1e-4. */
function assertSameEntities(browserOut: Entity[], nodeOut: Entity[], what: string): void {
  assert.equal(browserOut.length, nodeOut.length, `${what}: as many entities (${JSON.stringify(browserOut)} vs ${JSON.stringify(nodeOut)})`);
  for (let i = 0; i < nodeOut.length; i++) {
    const [b, n] = [browserOut[i]!, nodeOut[i]!];
    assert.deepEqual([b.entity_group ?? b.entity, b.start, b.end, b.word], [n.entity_group ?? n.entity, n.start, n.end, n.word], `${what}: entity ${i}`);
    assert.ok(Math.abs(b.score - n.score) <= 1e-4, `${what}: entity ${i} score ${b.score} vs ${n.score}`);
  }
}

/** Tags `text` in the page; with `everything`, O tokens too (ignore_labels=[]). */
async function tagInPage(page: Page, strategy: string, text = TEXT, everything = false): Promise<Entity[]> {
  await page.fill('#text', text);
  await page.setChecked('#show-o', everything);
  await page.selectOption('#strategy', strategy);
  await page.click('#tag');
  await waitFor(page, ['tagged', 'error'], 60_000);
  assert.equal(await page.textContent('#error'), '');
  return JSON.parse((await page.textContent('#json')) ?? '[]') as Entity[];
}

describe('training in the page', { skip }, () => {
  let page: Page;
  let browserLosses: LogRecord[] = [];
  let stoppedAt: string | undefined;

  before(async () => {
    if (skip) return;
    page = await openPage();
    assert.match((await page.textContent('#runtime')) ?? '', /2 threads/, 'two WebAssembly threads (the page is cross-origin isolated)');
    await page.check('input[name=model][value=bert-tiny]');
    await page.check('input[name=data][value=synthetic]');
    await fill(page, {
      'train-size': SIZES.train, 'validation-size': SIZES.validation, 'test-size': SIZES.test,
      epochs: RECIPE.epochs, 'batch-size': RECIPE.batchSize, 'learning-rate': RECIPE.learningRate, seed: RECIPE.seed,
      'word-dropout': RECIPE.wordDropout, dropout: RECIPE.dropout, 'max-steps': 0,
    });
    await page.click('#train');
    // Stop once the first epoch's row is in (mid-training: the README's screenshot), then resume:
    // the run goes on from the checkpoint the stop kept in memory, to the same losses as Node's.
    await page.waitForFunction(() => document.querySelectorAll('#table tbody tr').length >= 1 || ['trained', 'error'].includes(document.body.dataset.state ?? ''), null, { timeout: 300_000 });
    await page.click('#stop');
    await waitFor(page, ['stopped', 'trained', 'error']);
    stoppedAt = `${await state(page)} with ${await page.$$eval('#table tbody tr', (r) => r.length)} row(s)`;
    if (stoppedAt.startsWith('stopped')) {
      const file = process.env.UPDATE_SCREENSHOT === '1' ? SCREENSHOT : path.join(root, 'web-training.png');
      await page.screenshot({ path: file, clip: { x: 0, y: 0, width: 1280, height: 1000 }, type: 'png' });
    }
    if (stoppedAt.startsWith('stopped')) {
      await page.click('#resume');
      await waitFor(page, ['trained', 'error', 'stopped']);
    }
    assert.equal(await page.textContent('#error'), '');
    browserLosses = await page.evaluate(() => (window as unknown as { tokentag: { logHistory: LogRecord[] } }).tokentag.logHistory.filter((r) => 'loss' in r));
  });
  after(async () => page?.close());

  it('trains for the fixed number of steps (stopped and resumed on the way), the loss falls, and the per-epoch table and the test F1 appear', async () => {
    assert.equal(stoppedAt, 'stopped with 1 row(s)', 'Stop stopped the run in the second epoch');
    assert.equal(await state(page), 'trained', 'Resume ran it to the end');
    assert.equal(browserLosses.length, STEPS, 'one loss per step: 2 epochs of 25 steps');
    const first = browserLosses.slice(0, 3).reduce((s, r) => s + r.loss!, 0) / 3;
    const last = browserLosses.slice(-3).reduce((s, r) => s + r.loss!, 0) / 3;
    assert.ok(last < 0.75 * first, `the loss falls: the first steps average ${first}, the last ${last}`);
    const rows = await page.$$eval('#table tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    assert.equal(rows.length, 2, 'one evaluation row per epoch');
    assert.deepEqual(rows.map((r) => r[0]), ['1', '2']);
    for (const r of rows) assert.ok(Number(r[5]) >= 0 && Number(r[5]) <= 1, `an F1 in the table: ${r.join(' | ')}`);
    const f1 = /^test split: F1 (\d\.\d{4})/.exec((await page.textContent('#test-result')) ?? '');
    assert.ok(f1, 'the test F1 is shown');
    console.log(`# the page: ${STEPS} steps, test F1 ${f1[1]}`);
    assert.match((await page.textContent('#report')) ?? '', /precision\s+recall\s+f1-score\s+support/);
    assert.ok((await page.$$eval('#chart path.loss', (p) => p.length)) === 1, 'the loss curve is drawn');
  });

  it('with dropout 0 and the same seed and batches, its losses are Node\'s step for step (within 1e-4)', async () => {
    const job = await createJob({ preset: 'bert-tiny' }, syntheticData(SIZES), { ...RECIPE, threads: THREADS });
    const nodeLosses: LogRecord[] = [];
    try {
      await job.train({ onLog: (r) => 'loss' in r && nodeLosses.push(r) });
    } finally {
      await job.dispose();
    }
    assert.equal(browserLosses.length, nodeLosses.length);
    for (let i = 0; i < nodeLosses.length; i++) {
      const [b, n] = [browserLosses[i]!, nodeLosses[i]!];
      assert.equal(b.step, n.step);
      // Logged losses are rounded to 4 decimals (as Hugging Face logs them); the gradient norm is not.
      assert.ok(Math.abs(b.loss! - n.loss!) <= 1e-4 + 1e-9, `step ${n.step}: loss ${b.loss} in the browser, ${n.loss} in Node`);
      assert.ok(Math.abs(b.grad_norm! - n.grad_norm!) <= 1e-3 * Math.max(1, n.grad_norm!), `step ${n.step}: gradient norm ${b.grad_norm} in the browser, ${n.grad_norm} in Node`);
    }
  });

  it('downloads the model as one archive that tokentag loads in Node and that tags as the page does', async () => {
    const downloading = page.waitForEvent('download', { timeout: 60_000 });
    await page.click('#download');
    await page.waitForFunction(() => document.body.dataset.state !== 'training');
    const download = await Promise.race([downloading, page.waitForFunction(() => document.body.dataset.state === 'error').then(async () => assert.fail(`download failed: ${await page.textContent('#error')}`))]);
    assert.equal(download.suggestedFilename(), 'tokentag-model.zip');
    const zipFile = path.join(root, 'model.zip');
    await download.saveAs(zipFile);
    const entries = unzipSync(new Uint8Array(fs.readFileSync(zipFile)));
    const names = Object.keys(entries).sort();
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx']) {
      assert.ok(names.includes(`tokentag-model/${f}`), `the archive holds ${f} (it has ${names.join(', ')})`);
    }
    const dir = path.join(root, 'downloaded');
    for (const [name, bytes] of Object.entries(entries)) {
      if (name.endsWith('/')) continue;
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), bytes);
    }
    const model = path.join(dir, 'tokentag-model');
    // Once from onnx/model.onnx, once from the weights (the archive without its ONNX export).
    const tagger = await pipeline('token-classification', model, { sessions: 1 });
    const fromWeights = path.join(root, 'weights-only');
    fs.cpSync(model, fromWeights, { recursive: true });
    fs.rmSync(path.join(fromWeights, 'onnx'), { recursive: true });
    const weightsTagger = await pipeline('token-classification', fromWeights, { sessions: 1 });
    try {
      for (const strategy of ['simple', 'none'] as const) {
        // Every token (O included: 50 steps teach little), so that every score is compared.
        const inPage = await tagInPage(page, strategy, CORPUS_TEXT, true);
        assert.ok(inPage.length >= (strategy === 'none' ? CORPUS_TEXT.split(' ').length : 1), `a prediction per token, or spans (${strategy}): ${inPage.length}`);
        const options = { aggregationStrategy: strategy, ignoreLabels: [] };
        assertSameEntities(inPage, (await tagger(CORPUS_TEXT, options)) as Entity[], `${strategy}, onnx/model.onnx`);
        assertSameEntities(inPage, (await weightsTagger(CORPUS_TEXT, options)) as Entity[], `${strategy}, model.safetensors`);
      }
    } finally {
      await tagger.dispose();
      await weightsTagger.dispose();
    }
  });
});

describe('the page with an onnx/ export, for tagging only', { skip }, () => {
  it('tags as tokentag in Node does, with every aggregation strategy', async () => {
    const exported = await makeTinyModel(path.join(root, 'exported'));
    const r = await runCli('export', 'onnx', '--model', exported);
    assert.equal(r.code, 0, r.err);
    // The page gets the export without the weights, so it can only run onnx/model.onnx.
    fs.rmSync(path.join(exported, 'model.safetensors'));
    assert.ok(fs.existsSync(path.join(exported, 'onnx', 'model.onnx')));
    const page = await openPage();
    const tagger = await pipeline('token-classification', exported, { sessions: 1 });
    try {
      await page.check('input[name=model][value=folder]');
      await page.setInputFiles('#model-folder', exported);
      await page.click('#open');
      await waitFor(page, ['opened', 'error'], 60_000);
      assert.equal(await page.textContent('#error'), '');
      for (const strategy of ['none', 'simple', 'first', 'average', 'max'] as const) {
        const expected = (await tagger(TEXT, { aggregationStrategy: strategy })) as Entity[];
        assert.ok(expected.length > 0, `the tiny model tags something (${strategy})`);
        assertSameEntities(await tagInPage(page, strategy), expected, strategy);
      }
    } finally {
      await tagger.dispose();
      await page.close();
    }
  });
});

describe('bad files in the page', { skip }, () => {
  it('names the file, the line and what was expected, as the CLI does', async () => {
    const page = await openPage();
    try {
      await page.check('input[name=data][value=files]');
      await page.setInputFiles('#data-files', [
        { name: 'train.txt', mimeType: 'text/plain', buffer: Buffer.from('EU B-ORG\nrejects O\n\nGerman\n') },
      ]);
      await page.click('#train');
      await waitFor(page, ['error'], 60_000);
      assert.match((await page.textContent('#error')) ?? '', /train\.txt:4\b.*/);
      await page.check('input[name=data][value=synthetic]');
      await page.check('input[name=model][value=folder]');
      const bad = path.join(root, 'bad-model');
      fs.mkdirSync(bad, { recursive: true });
      fs.writeFileSync(path.join(bad, 'config.json'), '{"model_type": "bert",');
      await page.setInputFiles('#model-folder', bad);
      await page.evaluate(() => (document.body.dataset.state = 'waiting'));
      await page.click('#open');
      await waitFor(page, ['error'], 60_000);
      assert.match((await page.textContent('#error')) ?? '', /config\.json/);
    } finally {
      await page.close();
    }
  });
});
