/**
 * Where one training step goes, phase by phase: ONNX Runtime's kernels by kind (matrix
 * products, the optimizer if it is in the graph, everything else by op type), the nodes run per
 * step, the binding's overhead and output copies, the dropout masks and the optimizer outside
 * the graph. For bert-mini at batch 8 and 32 and BERT-base at batch 8, on the synthetic
 * CoNLL-sized corpus's shuffled batches.
 *
 *   npm run bench:profile [-- --configs mini:8,mini:32,base:8 --steps 10 --warmup 3 --threads 2 --spinning on|off|default]
 *
 * ONNX Runtime's profiler is on (TOKENTAG_ORT_PROFILE), which costs a little per node: compare
 * runs of this script with each other, not with bench/train's throughput. The script uses only
 * the engine's public API, so it also runs unchanged on older versions of the engine (where
 * `TrainingSession.timings` is absent the step is split from ORT's trace alone).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BERT_SHAPES, ensureMallocEnv } from './common.ts';
import { lastRuns } from './ort-trace.ts';

ensureMallocEnv('bench/profile');

const { values } = parseArgs({
  options: {
    configs: { type: 'string', default: 'mini:8,mini:32,base:8' },
    steps: { type: 'string', default: '10' },
    'base-steps': { type: 'string', default: '3' },
    warmup: { type: 'string', default: '3' },
    threads: { type: 'string', default: '2' },
    spinning: { type: 'string', default: 'default' },
    seed: { type: 'string', default: '42' },
  },
});
const STEPS = Number(values.steps);
const BASE_STEPS = Number(values['base-steps']);
const WARMUP = Number(values.warmup);
const THREADS = Number(values.threads);
const SEED = Number(values.seed);
if (!['on', 'off', 'default'].includes(values.spinning!)) throw new Error(`--spinning must be on, off or default, got ${values.spinning}`);
const SPINNING = values.spinning === 'default' ? {} : { spinning: values.spinning === 'on' };

const dir = mkdtempSync(join(tmpdir(), 'tokentag-profile-'));
process.env.TOKENTAG_ORT_PROFILE = join(dir, 'p');
const { TrainingSession, buildTrainingGraphs } = await import('../src/engine/index.ts');
const { DropoutMaskSource } = await import('../src/engine/dropout-masks.ts');
const { syntheticNer } = await import('../src/data/index.ts');
const { architectureFor, createConfig } = await import('../src/models/index.ts');
const { alignLabels, encodeWords, trainWordPiece } = await import('../src/tokenize/index.ts');
const { batches } = await import('../src/train/index.ts');

const corpus = syntheticNer({ seed: SEED, train: 14_000, validation: 0, test: 0 }).get('train');
const rows = corpus.toArray();
const labelNames = corpus.labels('ner_tags').names;
const tok = await trainWordPiece(rows.map((r) => r.tokens), { vocabSize: 8000, lowercase: false });
const encs = await encodeWords(tok, rows.map((r) => r.tokens), { maxLength: 512 });
const features = encs.map((e) => ({ inputIds: e.inputIds, labels: alignLabels(e, rows[e.sentence]!.ner_tags, labelNames, { strategy: 'first' }) }));

const MATRIX = new Set(['Gemm', 'MatMul', 'FusedMatMul', 'FusedGemm']);
const ms = (us: number) => (us / 1000).toFixed(1);
console.log(`bench/profile: Node ${process.version}, ${THREADS} intra-op threads, spinning ${values.spinning}, load average ${loadavg().map((x) => x.toFixed(2)).join(', ')}`);

for (const spec of values.configs!.split(',')) {
  const [key, bs] = spec.split(':') as [keyof typeof BERT_SHAPES, string];
  const shape = BERT_SHAPES[key];
  if (!shape) throw new Error(`--configs: unknown shape '${key}' (mini, base)`);
  const batchSize = Number(bs);
  const steps = key === 'base' ? BASE_STEPS : STEPS;
  const config = createConfig('bert', { vocab_size: tok.vocabSize, ...shape, max_position_embeddings: 512, id2label: [...labelNames] });
  const arch = architectureFor(config);
  const model = arch.modelFn(config, { tokenTypeIds: false });
  const epoch = [...batches(features, { batchSize, shuffle: true, seed: SEED })].slice(0, WARMUP + steps).map((b) => b.tensors);
  const toBatch = (b: (typeof epoch)[number]) => ({ input_ids: b.input_ids, attention_mask: b.attention_mask, labels: b.labels! });
  const params = arch.init(config, SEED);

  // The masks alone, drawn for the same batches (the engine draws them the same way each step).
  const graphs = buildTrainingGraphs({ params: [...params].map(([name, t]) => ({ name, dims: t.dims })), model });
  const drawMasks = (source: InstanceType<typeof DropoutMaskSource>) => {
    const t = performance.now();
    for (const [i, b] of epoch.entries()) source.feeds(new Map([['batch', b.input_ids.dims[0]!], ['sequence', b.input_ids.dims[1]!]]), i + 1, 0);
    return (performance.now() - t) / epoch.length;
  };
  const maskMs = drawMasks(new DropoutMaskSource(graphs.dropoutMasks, SEED));
  // The WebAssembly kernel, where this version of the engine has it.
  const create = (DropoutMaskSource as { create?: (m: typeof graphs.dropoutMasks, seed: number) => Promise<InstanceType<typeof DropoutMaskSource>> }).create;
  const wasmMaskMs = create ? drawMasks(await create(graphs.dropoutMasks, SEED)) : undefined;
  const session = await TrainingSession.create({ params, model, adamw: { weightDecay: 0.01 }, maxGradNorm: 1, seed: SEED, threads: THREADS, ...SPINNING });
  for (const b of epoch.slice(0, WARMUP)) await session.step(toBatch(b), { lr: 5e-5 });
  const timings = (session as { timings?: Record<string, number> }).timings;
  const before = timings ? { ...timings } : undefined;
  const t0 = performance.now();
  for (const b of epoch.slice(WARMUP)) await session.step(toBatch(b), { lr: 5e-5 });
  const stepMs = (performance.now() - t0) / steps;
  await session.dispose();

  const file = readdirSync(dir).find((f) => f.startsWith('p-train'));
  if (!file) throw new Error(`no ONNX Runtime profile was written in ${dir}`);
  const { runs, kernels } = lastRuns(join(dir, file), steps);
  rmSync(join(dir, file));
  const runUs = runs.reduce((a, e) => a + e.dur, 0) / steps;
  let matrix = 0;
  let optimizer = 0;
  const other = new Map<string, number>();
  for (const e of kernels) {
    const op = e.args?.op_name ?? '?';
    if (MATRIX.has(op)) matrix += e.dur;
    else if (/^(adamw|clip)[/_]/.test(e.name)) optimizer += e.dur;
    else other.set(op, (other.get(op) ?? 0) + e.dur);
  }
  const otherUs = [...other.values()].reduce((a, b) => a + b, 0);
  const top = [...other].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([op, us]) => `${op} ${ms(us / steps)}`).join(', ');
  const per = (name: string) => (timings && before ? (timings[name]! - before[name]!) / steps : undefined);
  const graphMs = per('graph');
  const wasmOptMs = per('optimizer');
  const jsMasks = per('masks');
  console.log(`\n${shape.label}, batch ${batchSize} (${steps} steps after ${WARMUP} warm-up; ${(epoch.slice(WARMUP).reduce((n, b) => n + b.input_ids.data.length, 0) / steps).toFixed(0)} padded tokens per step):`);
  console.log(`  step ${stepMs.toFixed(1)} ms; ONNX Runtime's run ${ms(runUs)} ms of it, ${(kernels.length / steps).toFixed(0)} nodes per step`);
  console.log(`  kernels: matrix products ${ms(matrix / steps)} ms, optimizer in the graph ${ms(optimizer / steps)} ms, everything else ${ms(otherUs / steps)} ms (${top})`);
  if (graphMs !== undefined) {
    console.log(
      `  outside ONNX Runtime: binding (feeds, output copies) ${(graphMs - runUs / 1000).toFixed(1)} ms, dropout masks ${jsMasks!.toFixed(1)} ms, optimizer (WebAssembly) ${wasmOptMs!.toFixed(1)} ms, ` +
        `rest of step() ${(stepMs - graphMs - jsMasks! - wasmOptMs!).toFixed(1)} ms`,
    );
  } else {
    console.log(`  outside ONNX Runtime: ${(stepMs - runUs / 1000).toFixed(1)} ms in all (binding, output copies, masks); the masks alone ${maskMs.toFixed(1)} ms`);
  }
  console.log(`  dropout masks drawn alone (${graphs.dropoutMasks.length} sites): TypeScript ${maskMs.toFixed(2)} ms per step${wasmMaskMs !== undefined ? `, WebAssembly ${wasmMaskMs.toFixed(2)} ms` : ''}`);
}
rmSync(dir, { recursive: true, force: true });
