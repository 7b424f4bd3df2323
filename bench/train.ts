/**
 * Training throughput of tokentag against PyTorch and the Hugging Face Trainer, on the same
 * machine, in the same run. Two comparisons:
 *
 * 1. **The engine, on identical batches** (`--configs mini:8,mini:32,base:8`): tokentag's
 *    `TrainingSession` and `bench/train_torch.py` (an eager `torch.nn` BERT with
 *    `torch.optim.AdamW`) train on the very same padded batches of the synthetic CoNLL-sized
 *    corpus (seeded shuffle), from the same initial weights, with the same hyperparameters
 *    (AdamW lr 5e-5, weight decay 0.01 with the HF no-decay groups, max grad norm 1, dropout 0.1)
 *    and thread count. Their losses agree step for step (to float rounding with `--dropout 0`).
 * 2. **The product, on CoNLL-shaped data** (`--product-steps`, bert-mini, batch 8): the same
 *    corpus re-cut to CoNLL-2003's sentence-length distribution (bench/conll-shape.ts).
 *    tokentag's `Trainer` with its defaults (length-grouped batches, default threads) against the
 *    eager PyTorch script on plain shuffled, dynamically padded batches (what the HF Trainer does
 *    by default) and against the real HF `Trainer` with the course's recipe (`bench/train_hf.py`,
 *    skipped with a message when transformers is not installed).
 * 3. **F1 with and without length grouping** (`--f1-epochs N`, off by default): the main job's
 *    from-scratch recipe (bert-tiny) trained N epochs on the CoNLL-shaped corpus both ways, per
 *    seed of `--f1-seeds`, and scored on a CoNLL-shaped validation split.
 *
 * Every side reports tokens/s counting real tokens (attention mask 1), not padding. The PyTorch
 * and Hugging Face sides run after tokentag's session is released, never at the same time.
 * Threads wait the same way on both sides: `passive` (OMP_WAIT_POLICY=PASSIVE for PyTorch, ONNX
 * Runtime's spinning off) and `active` (ACTIVE, spinning on); `--wait-policy both` (the default)
 * runs the engine comparison both ways, the product comparison passively.
 *
 * Usage: `npm run bench:train [-- --configs mini:8,mini:32,base:8 --mini-steps 60 --base-steps 6
 *   --warmup 2 --threads 2 --wait-policy both --product-steps 150 --f1-epochs 0 --dropout 0.1
 *   --python auto --hf-python /work/venv/bin/python --no-torch --no-hf --keep]`.
 *
 * Needs glibc's malloc tuned as docs/engine.md "Memory" explains; the script re-executes itself
 * with `MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=68719476736` when they are missing.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BERT_SHAPES, MALLOC_ENV, ensureMallocEnv } from './common.ts';
import { LENGTH_CDF, conllShaped } from './conll-shape.ts';

ensureMallocEnv('bench/train');

const { sizeOf } = await import('../src/engine/dtype.ts');
const { TrainingSession } = await import('../src/engine/runtime.ts');
const { Dataset, syntheticNer } = await import('../src/data/index.ts');
const { architectureFor, createConfig } = await import('../src/models/index.ts');
const { writeSafetensors } = await import('../src/models/safetensors.ts');
const { alignLabels, encodeWords, saveTokenizerFiles, trainWordPiece } = await import('../src/tokenize/index.ts');
const { FROM_SCRATCH_TRAINING, Trainer, batches, prepareSplit } = await import('../src/train/index.ts');
type CollatedBatch = import('../src/train/index.ts').CollatedBatch;
type EncodedFeature = import('../src/train/index.ts').EncodedFeature;
type ModelConfig = import('../src/models/config.ts').BertConfig;

const { values } = parseArgs({
  options: {
    configs: { type: 'string', default: 'mini:8,mini:32,base:8' },
    'mini-steps': { type: 'string', default: '60' },
    'base-steps': { type: 'string', default: '6' },
    warmup: { type: 'string', default: '2' },
    threads: { type: 'string', default: '2' },
    'wait-policy': { type: 'string', default: 'both' },
    'product-steps': { type: 'string', default: '150' },
    'f1-epochs': { type: 'string', default: '0' },
    'f1-seeds': { type: 'string', default: '42' },
    vocab: { type: 'string', default: '8000' },
    dropout: { type: 'string', default: '0.1' },
    seed: { type: 'string', default: '42' },
    python: { type: 'string', default: 'auto' },
    'hf-python': { type: 'string', default: '/work/venv/bin/python' },
    'no-torch': { type: 'boolean', default: false },
    'no-hf': { type: 'boolean', default: false },
    'separate-init': { type: 'boolean', default: false },
    'torch-default-malloc': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
const int = (name: keyof typeof values): number => {
  const v = Number(values[name]);
  if (!Number.isInteger(v) || v < 0) throw new Error(`--${name} must be a non-negative integer, got ${values[name]}`);
  return v;
};
const WARMUP = int('warmup');
const THREADS = int('threads');
const SEED = int('seed');
const DROPOUT = Number(values.dropout);
const PRODUCT_STEPS = int('product-steps');
const F1_EPOCHS = int('f1-epochs');
type Wait = 'passive' | 'active';
const WAITS: readonly Wait[] = values['wait-policy'] === 'both' ? ['passive', 'active'] : [values['wait-policy'] as Wait];
if (!WAITS.every((w) => w === 'passive' || w === 'active')) throw new Error(`--wait-policy must be passive, active or both, got ${values['wait-policy']}`);
/** The product comparison and the F1 runs use the first policy given (passive with `both`). */
const WAIT: Wait = WAITS[0]!;
const LR = 5e-5;
const WEIGHT_DECAY = 0.01;
const MAX_GRAD_NORM = 1.0;

const fmt = (x: number, d = 0): string => x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
const gib = (bytes: number): string => (bytes / 2 ** 30).toFixed(2);
const ms = (t0: number): number => performance.now() - t0;
const load = (): string => loadavg().map((x) => x.toFixed(2)).join(', ');
const realTokens = (bs: readonly CollatedBatch[]) => bs.reduce((n, b) => n + b.attention_mask.data.reduce((a, m) => a + Number(m), 0), 0);
const paddedTokens = (bs: readonly CollatedBatch[]) => bs.reduce((n, b) => n + b.attention_mask.data.length, 0);

console.log(`bench/train: Node ${process.version}, ${THREADS} threads per side, threads waiting ${WAITS.join(' and ')} on both sides, load average ${load()}`);

// ---- 1. data -------------------------------------------------------------------------------

let t0 = performance.now();
const corpus = syntheticNer({ seed: SEED, train: 14_000, validation: 2_000, test: 0 });
const rows = corpus.get('train').toArray();
const sentences = rows.map((r) => r.tokens);
const labelNames = corpus.get('train').labels('ner_tags').names;
const words = sentences.reduce((n, s) => n + s.length, 0);
console.log(`\ndata: synthetic NER, ${fmt(sentences.length)} sentences / ${fmt(words)} words, generated in ${ms(t0).toFixed(0)} ms`);

t0 = performance.now();
const tok = await trainWordPiece(sentences, { vocabSize: int('vocab'), lowercase: false });
const tVocab = ms(t0);
console.log(`  train WordPiece (asked ${values.vocab}, got ${fmt(tok.vocabSize)} pieces): ${tVocab.toFixed(0)} ms`);

async function encodeRows(rs: readonly { tokens: readonly string[]; ner_tags: readonly number[] }[]): Promise<EncodedFeature[]> {
  const encs = await encodeWords(tok, rs.map((r) => r.tokens), { maxLength: 512 });
  return encs.map((e) => ({ inputIds: e.inputIds, labels: alignLabels(e, rs[e.sentence]!.ner_tags, labelNames, { strategy: 'first' }) }));
}
t0 = performance.now();
const features = await encodeRows(rows);
const tEncode = ms(t0);
const epochAt = (batchSize: number) => [...batches(features, { batchSize, shuffle: true, seed: SEED })].map((b) => b.tensors);
t0 = performance.now();
const epoch8 = epochAt(8);
const tBatch = ms(t0);
const tokensTotal = features.reduce((n, f) => n + f.inputIds.length, 0);
console.log(
  `  encode + align (first) ${tEncode.toFixed(0)} ms + batch (${fmt(epoch8.length)} batches of 8, collated) ${tBatch.toFixed(0)} ms = ${fmt(tEncode + tBatch)} ms (target < 2000 ms); with the vocabulary ${fmt(tEncode + tBatch + tVocab)} ms`,
);
console.log(`  ${fmt(tokensTotal)} tokens (with [CLS]/[SEP]), ${fmt(paddedTokens(epoch8))} padded cells at batch 8 (${((paddedTokens(epoch8) / tokensTotal - 1) * 100).toFixed(1)}% padding, shuffled order)`);

// ---- the baselines' interpreters -------------------------------------------------------------

function probe(python: string, code: string): { ok: true; out: string } | { ok: false; why: string } {
  const r = spawnSync(python, ['-c', code], { encoding: 'utf8' });
  if (r.status === 0) return { ok: true, out: r.stdout.trim() };
  const why = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT' ? `${python} not found` : `${python}: ${(r.stderr || '').trim().split('\n').at(-1)}`;
  return { ok: false, why };
}

let torchPython: string | undefined;
let torchLabel = '';
if (values['no-torch']) console.log('\nPyTorch: skipped (--no-torch)');
else {
  const candidates = values.python === 'auto' ? ['/usr/bin/python3', '/work/venv/bin/python'] : [values.python!];
  const whys: string[] = [];
  for (const py of candidates) {
    const p = probe(py, 'import torch, numpy; print(torch.__version__)');
    if (p.ok) {
      torchPython = py;
      torchLabel = `PyTorch ${p.out.replace(/a0$/, '')} (${py === '/usr/bin/python3' ? "Debian's python3-torch" : 'pip wheel'}, ${py})`;
      break;
    }
    whys.push(p.why);
  }
  console.log(torchPython ? `\nPyTorch baseline: ${torchLabel}` : `\nPyTorch: skipped (${whys.join('; ')}); install it with \`apt-get install python3-torch\``);
}
let hfPython: string | undefined;
let hfLabel = '';
if (values['no-hf']) console.log('Hugging Face Trainer: skipped (--no-hf)');
else {
  const p = probe(values['hf-python']!, 'import transformers, torch; print(transformers.__version__, torch.__version__)');
  if (p.ok) {
    hfPython = values['hf-python'];
    const [tv, pv] = p.out.split(' ');
    hfLabel = `HF Trainer (transformers ${tv}, PyTorch ${pv})`;
    console.log(`Hugging Face baseline: ${hfLabel}, ${hfPython}`);
  } else console.log(`Hugging Face Trainer: skipped (${p.why}); a Python with transformers and torch is needed (--hf-python)`);
}

// ---- the sides -----------------------------------------------------------------------------

interface Side {
  readonly who: string;
  readonly steps: number;
  readonly elapsedS: number;
  readonly realTokens: number;
  readonly paddedTokens: number;
  readonly peakRss?: number;
  readonly setupS?: number;
  readonly losses?: readonly number[];
}
interface TorchOut {
  torch_version: string;
  setup_s: number;
  elapsed_s: number;
  tokens_per_s: number;
  padded_tokens_per_s: number;
  peak_rss: number;
  losses: number[];
  blas: string;
  phase_ms_per_step: { forward: number; backward: number; clip: number; optimizer: number };
}

const work = mkdtempSync(join(tmpdir(), 'tokentag-bench-train-'));
const here = fileURLToPath(new URL('.', import.meta.url));
const tps = (s: Side) => s.realTokens / s.elapsedS;

function report(s: Side): void {
  console.log(
    `  ${s.who}: ${s.setupS !== undefined ? `setup ${s.setupS.toFixed(1)} s; ` : ''}${s.steps} steps in ${s.elapsedS.toFixed(2)} s: ${(s.steps / s.elapsedS).toFixed(2)} steps/s, ` +
      `${fmt(tps(s))} tokens/s (${fmt(s.paddedTokens / s.elapsedS)} padded)${s.peakRss ? `, peak RSS ${gib(s.peakRss)} GiB` : ''}`,
  );
}

function bertConfig(shape: (typeof BERT_SHAPES)[keyof typeof BERT_SHAPES], dropout = DROPOUT): ModelConfig {
  return createConfig('bert', {
    vocab_size: tok.vocabSize,
    ...shape,
    max_position_embeddings: 512,
    hidden_dropout_prob: dropout,
    attention_probs_dropout_prob: dropout,
    id2label: [...labelNames],
  }) as ModelConfig;
}

function torchConfigJson(config: ModelConfig) {
  return {
    vocab_size: config.vocabSize,
    hidden_size: config.hiddenSize,
    num_hidden_layers: config.numHiddenLayers,
    num_attention_heads: config.numAttentionHeads,
    intermediate_size: config.intermediateSize,
    max_position_embeddings: config.maxPositionEmbeddings,
    type_vocab_size: config.typeVocabSize,
    layer_norm_eps: config.layerNormEps,
    hidden_dropout_prob: config.hiddenDropoutProb,
    attention_probs_dropout_prob: config.attentionProbsDropoutProb,
    initializer_range: config.initializerRange,
    pad_token_id: config.padTokenId,
    num_labels: config.id2label.length,
  };
}

function pythonEnv(wait: Wait): NodeJS.ProcessEnv {
  // Same malloc settings as this process (unless --torch-default-malloc), threads pinned to ours, same waiting.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    OMP_WAIT_POLICY: wait.toUpperCase(),
    OPENBLAS_NUM_THREADS: String(THREADS),
    OMP_NUM_THREADS: String(THREADS),
    MKL_NUM_THREADS: String(THREADS),
  };
  if (values['torch-default-malloc']) for (const k of Object.keys(MALLOC_ENV)) delete env[k];
  return env;
}

function runPython<T>(python: string, script: string, specFile: string, what: string, wait: Wait = WAIT): Promise<T | undefined> {
  return new Promise((resolve) => {
    const child = spawn(python, [join(here, script), '--spec', specFile], { stdio: ['ignore', 'pipe', 'inherit'], env: pythonEnv(wait) });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('close', (code) => {
      if (code !== 0) {
        console.log(`  ${what}: ${script} exited with ${code}; skipped`);
        resolve(undefined);
        return;
      }
      try {
        resolve(JSON.parse(out.trim().split('\n').at(-1)!) as T);
      } catch {
        console.log(`  ${what}: could not read ${script}'s output: ${out.slice(0, 200)}`);
        resolve(undefined);
      }
    });
  });
}

/** tokentag's TrainingSession on `run` (warm-up first), timed. */
async function tokentagSession(config: ModelConfig, run: readonly CollatedBatch[], weightsFile: string | undefined, wait: Wait): Promise<Side> {
  const arch = architectureFor(config);
  let t = performance.now();
  let init: ReturnType<typeof arch.init> | undefined = arch.init(config, SEED);
  if (weightsFile) writeSafetensors(weightsFile, init);
  const session = await TrainingSession.create({
    params: init,
    model: arch.modelFn(config, { tokenTypeIds: false }),
    adamw: { weightDecay: WEIGHT_DECAY },
    maxGradNorm: MAX_GRAD_NORM,
    seed: SEED,
    threads: THREADS,
    spinning: wait === 'active',
  });
  init = undefined; // the session holds its own copy
  const setupS = ms(t) / 1000;
  const losses: number[] = [];
  const toBatch = (b: CollatedBatch) => ({ input_ids: b.input_ids, attention_mask: b.attention_mask, labels: b.labels! });
  for (const b of run.slice(0, WARMUP)) losses.push((await session.step(toBatch(b), { lr: LR })).loss);
  t = performance.now();
  for (const b of run.slice(WARMUP)) losses.push((await session.step(toBatch(b), { lr: LR })).loss);
  const elapsedS = ms(t) / 1000;
  await session.dispose();
  const timed = run.slice(WARMUP);
  return { who: 'tokentag', steps: timed.length, elapsedS, realTokens: realTokens(timed), paddedTokens: paddedTokens(timed), peakRss: process.resourceUsage().maxRSS * 1024, setupS, losses };
}

/** bench/train_torch.py on the same batches (and tokentag's initial weights). */
async function torchEager(key: string, config: ModelConfig, run: readonly CollatedBatch[], weightsFile: string | undefined, wait: Wait = WAIT): Promise<(Side & { raw: TorchOut }) | undefined> {
  const batchesFile = join(work, `${key}-batches.bin`);
  const fd = openSync(batchesFile, 'w');
  for (const b of run) for (const t of [b.input_ids, b.attention_mask, b.labels!]) writeSync(fd, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  closeSync(fd);
  const specFile = join(work, `${key}-spec.json`);
  writeFileSync(
    specFile,
    JSON.stringify({
      config: torchConfigJson(config),
      hyper: { lr: LR, weight_decay: WEIGHT_DECAY, max_grad_norm: MAX_GRAD_NORM, warmup: WARMUP, steps: run.length - WARMUP, threads: THREADS, seed: SEED },
      batches_file: batchesFile,
      batch_dims: run.map((b) => b.input_ids.dims),
      weights_file: weightsFile ?? null,
    }),
  );
  const pt = await runPython<TorchOut>(torchPython!, 'train_torch.py', specFile, 'PyTorch', wait);
  if (!values.keep) rmSync(batchesFile, { force: true });
  if (!pt) return undefined;
  const reference = /\/blas\/libblas\.so/.test(pt.blas);
  console.log(`  PyTorch BLAS: ${pt.blas}${reference ? ' — the REFERENCE BLAS (netlib): PyTorch is many times slower than it should be; install OpenBLAS (apt-get install libopenblas0-pthread)' : ''}`);
  return {
    who: `PyTorch ${pt.torch_version.replace(/a0$/, '')}`,
    steps: run.length - WARMUP,
    elapsedS: pt.elapsed_s,
    realTokens: pt.tokens_per_s * pt.elapsed_s,
    paddedTokens: pt.padded_tokens_per_s * pt.elapsed_s,
    peakRss: pt.peak_rss,
    setupS: pt.setup_s,
    losses: pt.losses,
    raw: pt,
  };
}

function lossLine(who: string, losses: readonly number[]): string {
  const timed = losses.slice(WARMUP);
  const mean = timed.reduce((a, b) => a + b, 0) / Math.max(1, timed.length);
  return `  ${who} loss: step 1 ${losses[0]!.toFixed(4)}, last (step ${losses.length}) ${losses.at(-1)!.toFixed(4)}, mean of the timed steps ${mean.toFixed(4)}`;
}

// ---- 2. the engine: identical batches ------------------------------------------------------

const summary: string[] = [];
const row = (what: string, s: Side, ratio?: string) =>
  summary.push(`| ${what} | ${s.who} | ${(s.steps / s.elapsedS).toFixed(2)} | ${fmt(tps(s))} | ${Number.isNaN(s.paddedTokens) ? '—' : fmt(s.paddedTokens / s.elapsedS)} | ${s.peakRss ? gib(s.peakRss) : '—'} | ${ratio ?? ''} |`);

for (const spec of values.configs!.split(',').map((s) => s.trim()).filter(Boolean)) {
  const [key, bs] = spec.split(':');
  const shape = BERT_SHAPES[key as keyof typeof BERT_SHAPES];
  const batchSize = Number(bs);
  if (!shape || !Number.isInteger(batchSize) || batchSize < 1) throw new Error(`--configs: '${spec}' is not SHAPE:BATCH with SHAPE mini or base`);
  const config = bertConfig(shape);
  const steps = key === 'base' ? int('base-steps') : int('mini-steps');
  const run = (batchSize === 8 ? epoch8 : epochAt(batchSize)).slice(0, WARMUP + steps);
  const nParams = architectureFor(config).paramShapes(config).reduce((n, p) => n + sizeOf(p.dims), 0);
  console.log(
    `\n${shape.label}, batch ${batchSize}, identical batches: hidden ${config.hiddenSize}, ${config.numHiddenLayers} layers, FFN ${config.intermediateSize}, ` +
      `vocabulary ${fmt(config.vocabSize)}: ${(nParams / 1e6).toFixed(1)}M parameters; ${WARMUP} warm-up + ${steps} timed steps`,
  );
  for (const wait of WAITS) {
    const weightsFile = torchPython && !values['separate-init'] ? join(work, `${key}-init.safetensors`) : undefined;
    console.log(`  threads waiting ${wait === 'passive' ? 'passively (PyTorch OMP_WAIT_POLICY=PASSIVE, ONNX Runtime spinning off)' : 'actively (OMP_WAIT_POLICY=ACTIVE, spinning on)'}:`);
    const tt = await tokentagSession(config, run, weightsFile, wait);
    report(tt);
    const what = `${shape.label}, batch ${batchSize}, threads wait ${wait}`;
    if (!torchPython) {
      row(what, tt);
      continue;
    }
    const pt = await torchEager(key!, config, run, weightsFile, wait);
    if (weightsFile && !values.keep) rmSync(weightsFile, { force: true });
    if (!pt) continue;
    report(pt);
    const ph = pt.raw.phase_ms_per_step;
    const total = ph.forward + ph.backward + ph.clip + ph.optimizer;
    console.log(
      `  PyTorch step: forward ${ph.forward.toFixed(1)} + backward ${ph.backward.toFixed(1)} + clip ${ph.clip.toFixed(1)} + AdamW ${ph.optimizer.toFixed(1)} = ${total.toFixed(1)} ms; ` +
        `tokentag ${((tt.elapsedS * 1000) / tt.steps).toFixed(1)} ms`,
    );
    console.log(lossLine('tokentag', tt.losses!));
    console.log(lossLine('PyTorch', pt.losses!));
    const diffs = tt.losses!.map((l, i) => Math.abs(l - pt.losses![i]!));
    console.log(
      `  loss difference: step 1 ${diffs[0]!.toExponential(1)}, largest over the ${diffs.length} steps ${Math.max(...diffs).toExponential(1)}` +
        (values['separate-init'] ? ' (different initial weights)' : DROPOUT > 0 ? ' (same weights and batches, different dropout masks)' : ' (same weights and batches, no dropout: rounding only)'),
    );
    const ratio = tps(tt) / tps(pt);
    console.log(`  tokentag / ${torchLabel}, threads waiting ${wait}: ${ratio.toFixed(2)}× tokens/s (target ≥ 1.25×)`);
    row(what, tt);
    row(what, pt, `${ratio.toFixed(2)}×`);
  }
}

// ---- 3. the product: defaults on CoNLL-shaped data -----------------------------------------

if (PRODUCT_STEPS > 0) {
  const shapedRows = conllShaped(rows, 14_041, SEED);
  const lengths = shapedRows.map((r) => r.tokens.length);
  const mean = lengths.reduce((a, b) => a + b, 0) / lengths.length;
  console.log(
    `\nproduct, bert-mini, batch 8, CoNLL-shaped corpus (${fmt(shapedRows.length)} sentences re-cut to CoNLL-2003's length distribution: mean ${mean.toFixed(1)} words, ` +
      `median ${[...lengths].sort((a, b) => a - b)[lengths.length >> 1]}, max ${Math.max(...lengths)}; table in bench/conll-shape.ts, ${LENGTH_CDF.length} points), ${PRODUCT_STEPS} steps each:`,
  );
  const shaped = await encodeRows(shapedRows);
  const config = bertConfig(BERT_SHAPES.mini);
  const arch = architectureFor(config);

  // tokentag with its defaults: the Trainer's length-grouped batches and default threads.
  const trainer = new Trainer({
    model: { config, params: arch.init(config, SEED) },
    args: { outputDir: join(work, 'product'), maxSteps: PRODUCT_STEPS, learningRate: 2e-5, weightDecay: WEIGHT_DECAY, saveStrategy: 'no', evalStrategy: 'no', loggingSteps: 10 ** 9, seed: SEED },
    trainFeatures: shaped,
    output: null,
  });
  const out = await trainer.train();
  const threads = (await trainer.session()).threads;
  await trainer.dispose();
  const grouped = trainer.args.groupByLength;
  const ttSide: Side = {
    who: `tokentag defaults (${grouped ? 'length-grouped' : 'shuffled'}, ${threads ?? "ONNX Runtime's default"} intra-op thread${threads === 1 ? '' : 's'})`,
    steps: out.globalStep,
    elapsedS: out.metrics.train_runtime,
    realTokens: out.metrics.train_tokens_per_second * out.metrics.train_runtime,
    paddedTokens: NaN,
  };
  console.log(`  ${ttSide.who}: ${out.globalStep} steps in ${out.metrics.train_runtime.toFixed(2)} s: ${fmt(tps(ttSide))} tokens/s (Trainer's train_tokens_per_second, first step included)`);
  const what = 'product: bert-mini, batch 8, CoNLL-shaped';
  row(what, ttSide);

  const shuffled = [...batches(shaped, { batchSize: 8, shuffle: true, seed: SEED })].map((b) => b.tensors).slice(0, WARMUP + PRODUCT_STEPS);
  if (torchPython) {
    const pt = await torchEager('product', config, shuffled, undefined);
    if (pt) {
      report({ ...pt, who: `${pt.who} eager, shuffled batches` });
      const r = tps(ttSide) / tps(pt);
      console.log(`  tokentag defaults / ${torchLabel} on shuffled batches: ${r.toFixed(2)}× tokens/s (target ≥ 2×)`);
      row(what, { ...pt, who: `${pt.who} eager, shuffled` }, `${r.toFixed(2)}×`);
    }
  }
  if (hfPython) {
    const tokDir = join(work, 'tokenizer');
    saveTokenizerFiles(tok, tokDir);
    const featuresFile = join(work, 'hf-features.jsonl');
    writeFileSync(featuresFile, shaped.map((f) => JSON.stringify({ input_ids: f.inputIds, labels: f.labels })).join('\n') + '\n');
    const specFile = join(work, 'hf-spec.json');
    writeFileSync(
      specFile,
      JSON.stringify({
        config: torchConfigJson(config),
        hyper: { lr: 2e-5, weight_decay: WEIGHT_DECAY, batch_size: 8, steps: PRODUCT_STEPS, threads: THREADS, seed: SEED },
        tokenizer_dir: tokDir,
        features_file: featuresFile,
        output_dir: join(work, 'hf-out'),
      }),
    );
    const hf = await runPython<{ steps: number; elapsed_s: number; tokens_per_s: number; padded_tokens_per_s: number; train_loss: number }>(hfPython, 'train_hf.py', specFile, 'HF Trainer');
    if (hf) {
      const side: Side = { who: hfLabel, steps: hf.steps, elapsedS: hf.elapsed_s, realTokens: hf.tokens_per_s * hf.elapsed_s, paddedTokens: hf.padded_tokens_per_s * hf.elapsed_s };
      report(side);
      const r = tps(ttSide) / tps(side);
      console.log(`  tokentag defaults / ${hfLabel}: ${r.toFixed(2)}× tokens/s`);
      row(what, side, `${r.toFixed(2)}×`);
    }
  }
}

// ---- 4. F1: length-grouped against shuffled batches, full training runs -------------------

if (F1_EPOCHS > 0) {
  // The recipe of `tokentag train`'s from-scratch main job (bert-tiny, lr 1e-3, batch 32, warm-up
  // 10 %, weight decay 0.01), on the CoNLL-shaped corpus, with and without length grouping.
  const shapedRows = conllShaped(rows, 14_041, SEED);
  const shaped = await encodeRows(shapedRows);
  const valRows = conllShaped(corpus.get('validation').toArray(), 2_000, SEED + 1);
  const valSet = Dataset.from(valRows.map((r, i) => ({ id: String(i), ...r }))) as unknown as Parameters<typeof prepareSplit>[1];
  const val = await prepareSplit(tok, valSet, 'ner_tags', labelNames);
  const config = bertConfig(BERT_SHAPES.tiny);
  const arch = architectureFor(config);
  console.log(
    `
F1: ${BERT_SHAPES.tiny.label} from scratch, the main job's recipe (${JSON.stringify({ ...FROM_SCRATCH_TRAINING, numTrainEpochs: F1_EPOCHS })}), ${F1_EPOCHS} epochs on the CoNLL-shaped corpus; ` +
      `validation: ${fmt(valRows.length)} CoNLL-shaped sentences with held-out names:`,
  );
  for (const seed of values['f1-seeds']!.split(',').map(Number)) {
    const f1s: number[] = [];
    for (const groupByLength of [false, true]) {
      const t = new Trainer({
        model: { config, params: arch.init(config, seed) },
        args: { ...FROM_SCRATCH_TRAINING, outputDir: join(work, `f1-${seed}-${groupByLength}`), numTrainEpochs: F1_EPOCHS, saveStrategy: 'no', evalStrategy: 'no', loggingSteps: 10 ** 9, seed, groupByLength },
        trainFeatures: shaped,
        evalFeatures: val.evalFeatures,
        output: null,
      });
      const o = await t.train();
      const m = await t.evaluate();
      await t.dispose();
      f1s.push(m.eval_f1!);
      console.log(`  seed ${seed}, ${groupByLength ? 'length-grouped' : 'shuffled      '}: F1 ${m.eval_f1!.toFixed(4)}, training loss ${o.trainingLoss.toFixed(4)}, ${fmt(o.metrics.train_tokens_per_second)} tokens/s, ${o.metrics.train_runtime.toFixed(0)} s`);
    }
    console.log(`  seed ${seed}: length-grouped − shuffled F1 = ${(f1s[1]! - f1s[0]!).toFixed(4)} (target: within 0.02)`);
  }
}

// ---- summary -------------------------------------------------------------------------------

console.log(`\nsummary (${THREADS} threads per side, load average ${load()}):`);
console.log('| run | side | steps/s | tokens/s | padded tokens/s | peak RSS GiB | tokentag ÷ this |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const line of summary) console.log(line);
console.log('(tokentag peak RSS is the whole process so far; PyTorch runs in a fresh process per run)');
if (!values.keep) rmSync(work, { recursive: true, force: true });
else console.log(`files kept in ${work}`);
