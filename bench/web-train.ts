/**
 * Training in a browser tab against training in Node, in the same run on the same machine.
 *
 * 1. **Throughput on the same batches.** The page (web/, built by web/build.ts, served with the
 *    cross-origin isolation headers) in headless Debian chromium (playwright-core; never a
 *    downloaded browser), onnxruntime-web on WebAssembly (SIMD, `--threads` threads), against
 *    tokentag in Node (onnxruntime-node, the same number of intra-op threads) running the very
 *    same job (web/job.ts: corpus, tokenizer, initial weights, batches, recipe). Dropout 0, so the
 *    two must log the same losses step for step (checked: the run fails otherwise). Both report
 *    the Trainer's `train_tokens_per_second` (real tokens, not padding; the run's wall time,
 *    which includes one small evaluation at the end). After one untimed warm-up run each, the
 *    sides alternate, `--rounds` times each; the medians are compared.
 * 2. **Time to F1 ≥ 0.85 in the tab** (`--f1`, on by default): bert-tiny from scratch on the
 *    synthetic corpus with the main job's recipe (the preset's defaults: lr 1e-3, batch 32, word
 *    dropout 0.3, 3 epochs; `--f1-train` sentences, default the CLI's 16,000), trained in the
 *    page; prints the training seconds at each epoch's validation F1, the first to reach 0.85,
 *    and the test F1 at the end.
 *
 * Usage: `npm run bench:web-train [-- --threads 2 --rounds 3 --train 2000 --steps 60 --batch 32
 *   --f1-train 16000 --no-f1]`. Needs chromium (`apt-get install chromium`).
 */
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { chromiumPath, launchChromium } from '../test/helpers/browser.ts';
import { ensureMallocEnv } from './common.ts';

ensureMallocEnv('bench/web-train');

const { buildWeb } = await import('../web/build.ts');
const { serveStatic } = await import('../web/serve.ts');
const { createJob, syntheticData } = await import('../web/job.ts');
type LogRecord = import('../src/train/checkpoint.ts').LogRecord;

const { values } = parseArgs({
  options: {
    threads: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
    train: { type: 'string', default: '2000' },
    steps: { type: 'string', default: '60' },
    batch: { type: 'string', default: '32' },
    'f1-train': { type: 'string', default: '16000' },
    'no-f1': { type: 'boolean', default: false },
  },
});
const threads = Number(values.threads);
const steps = Number(values.steps);
const sizes = { train: Number(values.train), validation: 16, test: 16 };
const recipe = { epochs: 100, maxSteps: steps, batchSize: Number(values.batch), learningRate: 0.001, seed: 42, wordDropout: 0, dropout: 0 };

if (!chromiumPath) throw new Error('chromium is not installed (apt-get install -y chromium); this benchmark drives the page in it');

const out = mkdtempSync(path.join(os.tmpdir(), 'tokentag-bench-web-'));
const built = await buildWeb(path.join(out, 'site'));
const server = await serveStatic(built.outDir, { port: 0 });
const browser = await launchChromium();

console.log(`bench/web-train: load ${os.loadavg()[0]!.toFixed(1)}, ${os.cpus().length} cores, chromium ${browser.version()}, ${threads} thread(s) on each side, node ${process.version}`);

interface Run {
  tokensPerSecond: number;
  seconds: number;
  losses: number[];
}

async function openPage(): Promise<Page> {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(`${server.url}?threads=${threads}`);
  await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state ?? ''), null, { timeout: 120_000 });
  const runtime = await page.textContent('#runtime');
  if (!runtime?.includes(`${threads} thread`)) throw new Error(`the page did not get ${threads} threads: ${runtime}`);
  return page;
}

async function trainInPage(page: Page, s: { train: number; validation: number; test: number }, r: Record<string, number>): Promise<void> {
  await page.check('input[name=model][value=bert-tiny]');
  await page.check('input[name=data][value=synthetic]');
  const fields: Record<string, number> = {
    'train-size': s.train, 'validation-size': s.validation, 'test-size': s.test, epochs: r.epochs!, 'max-steps': r.maxSteps ?? 0,
    'batch-size': r.batchSize!, 'learning-rate': r.learningRate!, seed: r.seed!, 'word-dropout': r.wordDropout!, dropout: r.dropout!,
  };
  for (const [id, v] of Object.entries(fields)) await page.fill(`#${id}`, String(v));
  await page.click('#train');
  // The page's progress line every 30 s, so a long run shows it is alive.
  const ticker = setInterval(() => void page.textContent('#progress').then((t) => t && console.log(`    … ${t}`), () => {}), 30_000);
  try {
    await page.waitForFunction(() => ['trained', 'error', 'stopped'].includes(document.body.dataset.state ?? ''), null, { timeout: 3_600_000, polling: 500 });
  } finally {
    clearInterval(ticker);
  }
  const error = await page.textContent('#error');
  if (error) throw new Error(`the page failed: ${error}`);
}

async function browserRun(): Promise<Run> {
  const page = await openPage();
  try {
    await trainInPage(page, sizes, recipe);
    return await page.evaluate(() => {
      const s = (window as unknown as { tokentag: { logHistory: Record<string, number>[]; lastTrain: { result: { metrics: Record<string, number> } } } }).tokentag;
      const m = s.lastTrain.result.metrics;
      return { tokensPerSecond: m.train_tokens_per_second!, seconds: m.train_runtime!, losses: s.logHistory.filter((r) => 'loss' in r).map((r) => r.loss!) };
    });
  } finally {
    await page.close();
  }
}

async function nodeRun(): Promise<Run> {
  const job = await createJob({ preset: 'bert-tiny' }, syntheticData(sizes), { ...recipe, threads });
  const losses: number[] = [];
  try {
    const r = await job.train({ onLog: (rec: LogRecord) => void ('loss' in rec && losses.push(rec.loss!)) });
    return { tokensPerSecond: r.metrics.train_tokens_per_second, seconds: r.metrics.train_runtime, losses };
  } finally {
    await job.dispose();
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const runs: { node: Run[]; browser: Run[] } = { node: [], browser: [] };
console.log(`\n1. throughput: bert-tiny from scratch, ${sizes.train} synthetic sentences, batch ${recipe.batchSize}, ${steps} steps, dropout 0, sides alternating`);
// One untimed run each first: the page's WebAssembly compile, V8's and ONNX Runtime's warm-up.
await nodeRun();
await browserRun();
for (let round = 1; round <= Number(values.rounds); round++) {
  for (const side of round % 2 === 1 ? (['node', 'browser'] as const) : (['browser', 'node'] as const)) {
    const r = side === 'node' ? await nodeRun() : await browserRun();
    runs[side].push(r);
    console.log(`  round ${round} ${side.padEnd(7)} ${Math.round(r.tokensPerSecond).toLocaleString('en').padStart(7)} tokens/s  (${r.seconds.toFixed(1)} s, ${r.losses.length} losses, last ${r.losses.at(-1)})`);
  }
}
const [a, b] = [runs.node[0]!.losses, runs.browser[0]!.losses];
const maxDiff = a.reduce((m, l, i) => Math.max(m, Math.abs(l - (b[i] ?? Infinity))), 0);
if (a.length !== b.length || maxDiff > 1e-4 + 1e-9) throw new Error(`the browser's losses are not Node's (largest difference ${maxDiff}, ${b.length} vs ${a.length} steps)`);
const tn = median(runs.node.map((r) => r.tokensPerSecond));
const tb = median(runs.browser.map((r) => r.tokensPerSecond));
console.log(`  same losses step for step (largest difference ${maxDiff.toExponential(1)}, rounded to 4 decimals as logged)`);
console.log(`  median: Node ${Math.round(tn).toLocaleString('en')} tokens/s, browser ${Math.round(tb).toLocaleString('en')} tokens/s: the browser at ${(tb / tn).toFixed(2)}× Node (target ≥ 0.33×)`);

if (!values['no-f1']) {
  const f1Sizes = { train: Number(values['f1-train']), validation: 500, test: 500 };
  console.log(`\n2. time to F1 ≥ 0.85 in the tab: bert-tiny from scratch, the main job's recipe (lr 1e-3, batch 32, word dropout 0.3, dropout 0.1, 3 epochs), ${f1Sizes.train} training sentences`);
  const page = await openPage();
  await trainInPage(page, f1Sizes, { epochs: 3, batchSize: 32, learningRate: 0.001, seed: 42, wordDropout: 0.3, dropout: 0.1 });
  const r = await page.evaluate(() => {
    const s = (window as unknown as { tokentag: { logHistory: Record<string, number>[]; logSeconds: number[]; trainSeconds: number; lastTrain: { test: { f1: number }; result: { metrics: Record<string, number> } } } }).tokentag;
    return { evals: s.logHistory.map((rec, i) => ({ rec, t: s.logSeconds[i]! })).filter((x) => 'eval_f1' in x.rec), test: s.lastTrain.test.f1, seconds: s.trainSeconds, tps: s.lastTrain.result.metrics.train_tokens_per_second! };
  });
  for (const e of r.evals) console.log(`  epoch ${e.rec.epoch!.toFixed(0)}: validation F1 ${e.rec.eval_f1!.toFixed(4)} at ${e.t.toFixed(0)} s`);
  const hit = r.evals.find((e) => e.rec.eval_f1! >= 0.85);
  console.log(`  ${hit ? `validation F1 ≥ 0.85 after ${hit.t.toFixed(0)} s` : 'validation F1 never reached 0.85'}; test F1 ${r.test.toFixed(4)}; ${r.seconds.toFixed(0)} s in all (${Math.round(r.tps).toLocaleString('en')} tokens/s; target: F1 ≥ 0.85 in under 300 s)`);
  await page.close();
}

await browser.close();
await server.close();
rmSync(out, { recursive: true, force: true });
