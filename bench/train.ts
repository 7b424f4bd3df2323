/**
 * Training throughput of tokentag against PyTorch, on the same machine, in the same run, on the
 * very same batches.
 *
 * 1. Data: the synthetic NER corpus at CoNLL-2003 size (14,000 training sentences). Times
 *    training a WordPiece vocabulary, then encode + align (`first`) + batching (every batch of 8,
 *    seeded shuffle, collated).
 * 2. tokentag: `TrainingSession` (AdamW lr 5e-5, weight decay 0.01, max grad norm 1, dropout 0.1)
 *    for `bert-mini` (hidden 256, 4 layers, 4 heads, FFN 1024, the WordPiece vocabulary) and a
 *    BERT-base-shaped model (768, 12, 12, 3072, vocabulary 28,996), 9 labels: 2 warm-up steps,
 *    then the timed steps. Prints steps/s, tokens/s (real and padded) and peak RSS.
 * 3. PyTorch: `bench/train_torch.py` (plain torch.nn, eager, `torch.optim.AdamW`) run by Debian's
 *    `/usr/bin/python3` on the batches tokentag trained on, starting from tokentag's initial
 *    weights (written as safetensors), with the same hyperparameters and step counts. Prints the
 *    same figures, the ratio of tokens/s, and both losses (same weights, same batches: they differ
 *    only by the dropout masks, so they should agree closely; with `--dropout 0` to within float
 *    rounding).
 *
 * Usage: `npm run bench:train [-- --mini-steps 60 --base-steps 6 --warmup 2 --threads 2
 *   --shapes mini,base --dropout 0.1 --no-torch --python /usr/bin/python3 --keep]`.
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

// ---- malloc settings: insist, by re-executing ourselves ------------------------------------

const MALLOC_ENV = { MALLOC_MMAP_MAX_: '0', MALLOC_TRIM_THRESHOLD_: '68719476736' } as const;
if (Object.entries(MALLOC_ENV).some(([k, v]) => process.env[k] !== v)) {
  if (process.env.TOKENTAG_BENCH_REEXEC) {
    console.error(`bench/train: could not set ${Object.entries(MALLOC_ENV).map(([k, v]) => `${k}=${v}`).join(' ')}; start it as \`npm run bench:train\``);
    process.exit(2);
  }
  console.error('bench/train: re-executing with MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=68719476736 (see docs/engine.md, "Memory")');
  const r = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, ...MALLOC_ENV, TOKENTAG_BENCH_REEXEC: '1' },
  });
  process.exit(r.status ?? 1);
}

const { sizeOf, tensor } = await import('../src/engine/dtype.ts');
const { TrainingSession } = await import('../src/engine/runtime.ts');
const { syntheticNer } = await import('../src/data/index.ts');
const { architectureFor, createConfig } = await import('../src/models/index.ts');
const { writeSafetensors } = await import('../src/models/safetensors.ts');
const { alignLabels, encodeWords, trainWordPiece } = await import('../src/tokenize/index.ts');
const { batches } = await import('../src/train/index.ts');
type CollatedBatch = import('../src/train/index.ts').CollatedBatch;
type EncodedFeature = import('../src/train/index.ts').EncodedFeature;

const { values } = parseArgs({
  options: {
    shapes: { type: 'string', default: 'mini,base' },
    'mini-steps': { type: 'string', default: '60' },
    'base-steps': { type: 'string', default: '6' },
    warmup: { type: 'string', default: '2' },
    threads: { type: 'string', default: '2' },
    vocab: { type: 'string', default: '8000' },
    dropout: { type: 'string', default: '0.1' },
    'batch-size': { type: 'string', default: '8' },
    seed: { type: 'string', default: '42' },
    python: { type: 'string', default: '/usr/bin/python3' },
    'no-torch': { type: 'boolean', default: false },
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
const BATCH = int('batch-size');
const SEED = int('seed');
const DROPOUT = Number(values.dropout);
const LR = 5e-5;
const WEIGHT_DECAY = 0.01;
const MAX_GRAD_NORM = 1.0;

const fmt = (x: number, d = 0): string => x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
const gib = (bytes: number): string => (bytes / 2 ** 30).toFixed(2);
const ms = (t0: number): number => performance.now() - t0;
const load = (): string => loadavg().map((x) => x.toFixed(2)).join(', ');

console.log(`bench/train: Node ${process.version}, ${THREADS} threads per side, load average ${load()}`);

// ---- 1. data -------------------------------------------------------------------------------

let t0 = performance.now();
const corpus = syntheticNer({ seed: SEED, train: 14_000, validation: 0, test: 0 });
const train = corpus.get('train');
const rows = train.toArray();
const sentences = rows.map((r) => r.tokens);
const tags = rows.map((r) => r.ner_tags);
const labelNames = train.labels('ner_tags').names;
const words = sentences.reduce((n, s) => n + s.length, 0);
console.log(`\ndata: synthetic NER, ${fmt(sentences.length)} sentences / ${fmt(words)} words, generated in ${ms(t0).toFixed(0)} ms`);

t0 = performance.now();
const tok = await trainWordPiece(sentences, { vocabSize: int('vocab'), lowercase: false });
const tVocab = ms(t0);
console.log(`  train WordPiece (asked ${values.vocab}, got ${fmt(tok.vocabSize)} pieces): ${tVocab.toFixed(0)} ms`);

t0 = performance.now();
const encs = await encodeWords(tok, sentences, { maxLength: 512 });
const tEncode = ms(t0);
t0 = performance.now();
const features: EncodedFeature[] = encs.map((e) => ({ inputIds: e.inputIds, labels: alignLabels(e, tags[e.sentence]!, labelNames, { strategy: 'first' }) }));
const tAlign = ms(t0);
t0 = performance.now();
const loader = batches(features, { batchSize: BATCH, shuffle: true, seed: SEED });
const epoch: CollatedBatch[] = [];
for (const b of loader) epoch.push(b.tensors);
const tBatch = ms(t0);
const tokensTotal = features.reduce((n, f) => n + f.inputIds.length, 0);
const cellsTotal = epoch.reduce((n, b) => n + b.input_ids.data.length, 0);
const tData = tEncode + tAlign + tBatch;
console.log(
  `  encode ${tEncode.toFixed(0)} ms + align (first) ${tAlign.toFixed(0)} ms + batch (${fmt(epoch.length)} batches of ${BATCH}, collated) ${tBatch.toFixed(0)} ms` +
    ` = ${fmt(tData)} ms (target < 2000 ms); with the vocabulary ${fmt(tData + tVocab)} ms`,
);
console.log(`  ${fmt(tokensTotal)} tokens (with [CLS]/[SEP]), ${fmt(cellsTotal)} padded cells (${((cellsTotal / tokensTotal - 1) * 100).toFixed(1)}% padding, shuffled order)`);

// ---- PyTorch availability ------------------------------------------------------------------

let torchVersion: string | undefined;
let torchSkip: string | undefined;
if (values['no-torch']) torchSkip = '--no-torch';
else {
  const probe = spawnSync(values.python!, ['-c', 'import torch, numpy; print(torch.__version__)'], { encoding: 'utf8' });
  if (probe.status === 0) torchVersion = probe.stdout.trim();
  else
    torchSkip =
      (probe.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT'
        ? `${values.python} not found`
        : `${values.python} cannot import torch and numpy (${(probe.stderr || '').trim().split('\n').at(-1)}); install them with \`apt-get install python3-torch\``;
}
if (torchSkip) console.log(`\nPyTorch: skipped (${torchSkip})`);

// ---- 2 + 3. training -----------------------------------------------------------------------

interface Side {
  readonly steps: number;
  readonly elapsedS: number;
  readonly realTokens: number;
  readonly paddedTokens: number;
  readonly peakRss: number;
  readonly losses: readonly number[];
  readonly setupS: number;
}
interface TorchOut {
  torch_version: string;
  threads: number;
  setup_s: number;
  elapsed_s: number;
  steps_per_s: number;
  tokens_per_s: number;
  padded_tokens_per_s: number;
  peak_rss: number;
  losses: number[];
  grad_norms: number[];
  blas: string;
  phase_ms_per_step: { forward: number; backward: number; clip: number; optimizer: number };
}

const SHAPES = {
  mini: { label: 'bert-mini', hidden_size: 256, num_hidden_layers: 4, num_attention_heads: 4, intermediate_size: 1024, vocab_size: tok.vocabSize, steps: int('mini-steps') },
  base: { label: 'BERT-base', hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072, vocab_size: 28996, steps: int('base-steps') },
} as const;

const work = mkdtempSync(join(tmpdir(), 'tokentag-bench-train-'));
const here = fileURLToPath(new URL('.', import.meta.url));
const results: { label: string; params: number; tt: Side; pt?: TorchOut }[] = [];

function report(who: string, s: { steps: number; elapsedS: number; realTokens: number; paddedTokens: number; peakRss: number; setupS: number }): void {
  console.log(
    `  ${who.padEnd(13)} setup ${s.setupS.toFixed(1)} s; ${s.steps} steps in ${s.elapsedS.toFixed(2)} s: ${(s.steps / s.elapsedS).toFixed(2)} steps/s, ` +
      `${fmt(s.realTokens / s.elapsedS)} tokens/s (${fmt(s.paddedTokens / s.elapsedS)} padded), peak RSS ${gib(s.peakRss)} GiB`,
  );
}

function lossLine(who: string, losses: readonly number[]): string {
  const timed = losses.slice(WARMUP);
  const mean = timed.reduce((a, b) => a + b, 0) / Math.max(1, timed.length);
  return `  ${who.padEnd(13)} loss: step 1 ${losses[0]!.toFixed(4)}, last (step ${losses.length}) ${losses.at(-1)!.toFixed(4)}, mean of the timed steps ${mean.toFixed(4)}`;
}

for (const key of values.shapes!.split(',').map((s) => s.trim())) {
  if (!(key in SHAPES)) throw new Error(`--shapes: unknown shape '${key}' (mini, base)`);
  const shape = SHAPES[key as keyof typeof SHAPES];
  const config = createConfig('bert', {
    vocab_size: shape.vocab_size,
    hidden_size: shape.hidden_size,
    num_hidden_layers: shape.num_hidden_layers,
    num_attention_heads: shape.num_attention_heads,
    intermediate_size: shape.intermediate_size,
    max_position_embeddings: 512,
    hidden_dropout_prob: DROPOUT,
    attention_probs_dropout_prob: DROPOUT,
    id2label: [...labelNames],
  });
  const arch = architectureFor(config);
  const nParams = arch.paramShapes(config).reduce((n, p) => n + sizeOf(p.dims), 0);
  const runBatches = epoch.slice(0, WARMUP + shape.steps);
  if (runBatches.length < WARMUP + shape.steps) throw new Error(`only ${epoch.length} batches in an epoch`);
  console.log(
    `\n${shape.label}: hidden ${config.hiddenSize}, ${config.numHiddenLayers} layers, ${config.numAttentionHeads} heads, FFN ${config.intermediateSize}, ` +
      `vocabulary ${fmt(config.vocabSize)}, ${config.id2label.length} labels: ${(nParams / 1e6).toFixed(1)}M parameters; ${WARMUP} warm-up + ${shape.steps} timed steps of ${BATCH}`,
  );

  // tokentag
  t0 = performance.now();
  let init: Map<string, import('../src/engine/dtype.ts').TensorData<'float32'>> | undefined = arch.init(config, SEED);
  const weightsFile = join(work, `${key}-init.safetensors`);
  if (torchVersion && !values['separate-init']) writeSafetensors(weightsFile, init);
  const session = await TrainingSession.create({
    params: init,
    model: arch.modelFn(config, { tokenTypeIds: false }),
    adamw: { weightDecay: WEIGHT_DECAY },
    maxGradNorm: MAX_GRAD_NORM,
    seed: SEED,
    threads: THREADS,
  });
  init = undefined; // the session holds its own copy
  const setupS = ms(t0) / 1000;
  const losses: number[] = [];
  const toBatch = (b: CollatedBatch) => ({ input_ids: b.input_ids, attention_mask: b.attention_mask, labels: b.labels! });
  for (const b of runBatches.slice(0, WARMUP)) losses.push((await session.step(toBatch(b), { lr: LR })).loss);
  t0 = performance.now();
  for (const b of runBatches.slice(WARMUP)) losses.push((await session.step(toBatch(b), { lr: LR })).loss);
  const elapsedS = ms(t0) / 1000;
  await session.dispose();
  let realTokens = 0;
  let paddedTokens = 0;
  for (const b of runBatches.slice(WARMUP)) {
    for (const m of b.attention_mask.data) realTokens += Number(m);
    paddedTokens += b.attention_mask.data.length;
  }
  const tt: Side = { steps: shape.steps, elapsedS, realTokens, paddedTokens, peakRss: process.resourceUsage().maxRSS * 1024, losses, setupS };
  report('tokentag', tt);

  // PyTorch, after tokentag's session is released, so the two never compete for the cores.
  let pt: TorchOut | undefined;
  if (torchVersion) {
    const batchesFile = join(work, `${key}-batches.bin`);
    const fd = openSync(batchesFile, 'w');
    for (const b of runBatches)
      for (const t of [b.input_ids, b.attention_mask, b.labels!]) writeSync(fd, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    closeSync(fd);
    const specFile = join(work, `${key}-spec.json`);
    writeFileSync(
      specFile,
      JSON.stringify({
        config: {
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
        },
        hyper: { lr: LR, weight_decay: WEIGHT_DECAY, max_grad_norm: MAX_GRAD_NORM, warmup: WARMUP, steps: shape.steps, threads: THREADS, seed: SEED },
        batches_file: batchesFile,
        batch_dims: runBatches.map((b) => b.input_ids.dims),
        weights_file: values['separate-init'] ? null : weightsFile,
      }),
    );
    pt = await runTorch(specFile);
    if (pt) {
      const reference = /\/blas\/libblas\.so/.test(pt.blas);
      console.log(`  PyTorch BLAS: ${pt.blas}${reference ? ' — the REFERENCE BLAS (netlib): PyTorch is many times slower than it should be; install OpenBLAS (apt-get install libopenblas0-pthread)' : ''}`);
      report(`PyTorch ${pt.torch_version.replace(/a0$/, '')}`, {
        steps: shape.steps,
        elapsedS: pt.elapsed_s,
        realTokens: pt.tokens_per_s * pt.elapsed_s,
        paddedTokens: pt.padded_tokens_per_s * pt.elapsed_s,
        peakRss: pt.peak_rss,
        setupS: pt.setup_s,
      });
      const ph = pt.phase_ms_per_step;
      const total = ph.forward + ph.backward + ph.clip + ph.optimizer;
      console.log(
        `  PyTorch step  forward ${ph.forward.toFixed(1)} ms + backward ${ph.backward.toFixed(1)} ms + clip ${ph.clip.toFixed(1)} ms + AdamW ${ph.optimizer.toFixed(1)} ms = ${total.toFixed(1)} ms; ` +
          `2× PyTorch leaves tokentag ${(total / 2).toFixed(1)} ms per step, tokentag took ${((tt.elapsedS * 1000) / tt.steps).toFixed(1)} ms`,
      );
    }
    if (!values.keep) {
      rmSync(batchesFile, { force: true });
      rmSync(weightsFile, { force: true });
    }
  }
  console.log(lossLine('tokentag', losses));
  if (pt) {
    console.log(lossLine('PyTorch', pt.losses));
    const diffs = losses.map((l, i) => Math.abs(l - pt!.losses[i]!));
    console.log(
      `  loss difference: step 1 ${diffs[0]!.toExponential(1)}, largest over the ${diffs.length} steps ${Math.max(...diffs).toExponential(1)}` +
        (values['separate-init'] ? ' (different initial weights: only the magnitude should agree)' : DROPOUT > 0 ? ' (same weights and batches, different dropout masks)' : ' (same weights and batches, no dropout: rounding only)'),
    );
    const ratio = realTokens / elapsedS / pt.tokens_per_s;
    console.log(`  tokentag / PyTorch tokens/s: ${ratio.toFixed(2)}× (target ≥ 2×)`);
  }
  results.push({ label: shape.label, params: nParams, tt, pt });
}

function runTorch(specFile: string): Promise<TorchOut | undefined> {
  return new Promise((resolve) => {
    // Same malloc settings as this process (inherited, unless --torch-default-malloc), PyTorch's threads pinned to ours.
    const env: NodeJS.ProcessEnv = { ...process.env, OMP_WAIT_POLICY: 'PASSIVE', OPENBLAS_NUM_THREADS: String(THREADS), OMP_NUM_THREADS: String(THREADS), MKL_NUM_THREADS: String(THREADS) };
    if (values['torch-default-malloc']) for (const k of Object.keys(MALLOC_ENV)) delete env[k];
    const child = spawn(values.python!, [join(here, 'train_torch.py'), '--spec', specFile], { stdio: ['ignore', 'pipe', 'inherit'], env });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('close', (code) => {
      if (code !== 0) {
        console.log(`  PyTorch: train_torch.py exited with ${code}; skipped`);
        resolve(undefined);
        return;
      }
      try {
        resolve(JSON.parse(out.trim().split('\n').at(-1)!) as TorchOut);
      } catch {
        console.log(`  PyTorch: could not read train_torch.py's output: ${out.slice(0, 200)}`);
        resolve(undefined);
      }
    });
  });
}

// ---- summary -------------------------------------------------------------------------------

console.log(`\nsummary (${THREADS} threads per side, load average ${load()}):`);
console.log('| model | params | side | steps/s | tokens/s | padded tokens/s | peak RSS GiB | mean loss (timed) | tokentag/PyTorch |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of results) {
  const mean = (l: readonly number[]) => (l.slice(WARMUP).reduce((a, b) => a + b, 0) / Math.max(1, l.length - WARMUP)).toFixed(4);
  const tps = r.tt.realTokens / r.tt.elapsedS;
  console.log(
    `| ${r.label} | ${(r.params / 1e6).toFixed(1)}M | tokentag | ${(r.tt.steps / r.tt.elapsedS).toFixed(2)} | ${fmt(tps)} | ${fmt(r.tt.paddedTokens / r.tt.elapsedS)} | ${gib(r.tt.peakRss)} | ${mean(r.tt.losses)} | ${r.pt ? `${(tps / r.pt.tokens_per_s).toFixed(2)}×` : '—'} |`,
  );
  if (r.pt)
    console.log(
      `| ${r.label} | ${(r.params / 1e6).toFixed(1)}M | PyTorch ${r.pt.torch_version.replace(/a0$/, '')} | ${r.pt.steps_per_s.toFixed(2)} | ${fmt(r.pt.tokens_per_s)} | ${fmt(r.pt.padded_tokens_per_s)} | ${gib(r.pt.peak_rss)} | ${mean(r.pt.losses)} | |`,
    );
}
console.log('(tokentag peak RSS is the whole process: corpus, tokenizer and every shape run so far; PyTorch runs in a fresh process per shape)');
if (!values.keep) rmSync(work, { recursive: true, force: true });
else console.log(`files kept in ${work}`);
