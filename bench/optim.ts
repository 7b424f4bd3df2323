/**
 * Where a small model's training step goes, in isolation, on this machine's ONNX Runtime:
 *
 * 1. The in-graph AdamW update (`adamW()` + `gradNorm()` of src/engine/optim.ts, updated in
 *    place as TrainingSession does) over bert-mini's 71 weight tensors, against the same update
 *    over two flat vectors (decayed / not decayed): whether the ~1,300 small nodes or the
 *    memory traffic cost the time. On one and on two intra-op threads.
 * 2. One forward-layout `Gemm` of a bert-mini linear layer at batch 8 (`[144, 256] × [256, 256]ᵀ`,
 *    `transB` as the training graph has it) against the same product without `transB`, on one and
 *    two threads.
 *
 *   npm run bench:optim [-- --runs 30]
 *
 * Needs glibc's malloc tuned (docs/engine.md, "Memory"); the npm script sets it.
 */
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../src/engine/graph.ts';
import { serializeModel } from '../src/engine/onnx.ts';
import { adamW, gradNorm, isFinite, resolveAdamW } from '../src/engine/optim.ts';
import { CONLL2003_NER } from '../src/data/index.ts';
import { architectureFor, createConfig } from '../src/models/index.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '30' } } });
const RUNS = Number(values.runs);
if (process.env.MALLOC_MMAP_MAX_ !== '0') console.log('warning: MALLOC_MMAP_MAX_ is not 0; run `npm run bench:optim` (large temporaries are then mmapped anew each run)');

const size = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

async function timeRuns(model: Uint8Array, threads: number, feeds: Record<string, ort.Tensor>, fetches?: Record<string, ort.Tensor>): Promise<number> {
  const s = await ort.InferenceSession.create(model, { intraOpNumThreads: threads, enableCpuMemArena: false, graphOptimizationLevel: 'all' });
  for (let i = 0; i < 5; i++) await s.run(feeds, fetches);
  const t0 = performance.now();
  for (let i = 0; i < RUNS; i++) await s.run(feeds, fetches);
  const ms = (performance.now() - t0) / RUNS;
  await s.release();
  return ms;
}

// ---- 1. AdamW --------------------------------------------------------------------------------

const config = createConfig('bert', { vocab_size: 2517, hidden_size: 256, num_hidden_layers: 4, num_attention_heads: 4, intermediate_size: 1024, id2label: [...CONLL2003_NER] });
const shapes = architectureFor(config).paramShapes(config).map((p) => ({ name: p.name, dims: [...p.dims] }));
const adam = resolveAdamW({ weightDecay: 0.01 });
const total = shapes.reduce((n, s) => n + size(s.dims), 0);

function adamGraph(groups: readonly { name: string; dims: number[] }[]) {
  const b = new GraphBuilder('adamw');
  const lr = b.input('lr', 'float32', []);
  const step = b.input('step', 'float32', []);
  const slot = (g: { name: string; dims: number[] }) => ({
    name: g.name,
    param: b.input(g.name, 'float32', g.dims),
    grad: b.input(`grad/${g.name}`, 'float32', g.dims),
    expAvg: b.input(`m/${g.name}`, 'float32', g.dims),
    expAvgSq: b.input(`v/${g.name}`, 'float32', g.dims),
  });
  const slots = groups.map(slot);
  const { norm, coef } = gradNorm(b, slots.map((s) => s.grad), 1);
  b.output(norm, 'grad_norm');
  for (const r of adamW(b, slots, { lr, step, clipCoef: coef, ok: isFinite(b, norm) }, adam)) {
    b.output(r.param, `new/${r.name}`);
    b.output(r.expAvg, `new_m/${r.name}`);
    b.output(r.expAvgSq, `new_v/${r.name}`);
  }
  return b.build();
}

async function adamRun(groups: readonly { name: string; dims: number[] }[], threads: number): Promise<{ ms: number; nodes: number }> {
  const graph = adamGraph(groups);
  const feeds: Record<string, ort.Tensor> = { lr: new ort.Tensor('float32', Float32Array.of(5e-5), []), step: new ort.Tensor('float32', Float32Array.of(3), []) };
  const fetches: Record<string, ort.Tensor> = { grad_norm: new ort.Tensor('float32', new Float32Array(1), []) };
  for (const g of groups) {
    const t = (fill: number) => new ort.Tensor('float32', new Float32Array(size(g.dims)).fill(fill), g.dims);
    feeds[g.name] = t(0.02);
    feeds[`grad/${g.name}`] = t(0.001);
    feeds[`m/${g.name}`] = t(0);
    feeds[`v/${g.name}`] = t(0);
    // In place, as TrainingSession updates: outputs over the inputs.
    fetches[`new/${g.name}`] = feeds[g.name]!;
    fetches[`new_m/${g.name}`] = feeds[`m/${g.name}`]!;
    fetches[`new_v/${g.name}`] = feeds[`v/${g.name}`]!;
  }
  return { ms: await timeRuns(serializeModel(graph).model, threads, feeds, fetches), nodes: graph.nodes.length };
}

const decayed = shapes.filter((s) => adam.decay(s.name));
const undecayed = shapes.filter((s) => !adam.decay(s.name));
const flat = [
  { name: 'decayed', dims: [decayed.reduce((n, s) => n + size(s.dims), 0)] },
  { name: 'undecayed', dims: [undecayed.reduce((n, s) => n + size(s.dims), 0)] },
];
console.log(`AdamW + clipping over bert-mini's ${(total / 1e6).toFixed(2)} M weights, in place, ${RUNS} runs each (ms per update):`);
for (const threads of [1, 2]) {
  const a = await adamRun(shapes, threads);
  const f = await adamRun(flat, threads);
  console.log(`  ${threads} thread${threads > 1 ? 's' : ' '}: ${shapes.length} tensors (${a.nodes} nodes) ${a.ms.toFixed(1)} ms; 2 flat vectors (${f.nodes} nodes) ${f.ms.toFixed(1)} ms`);
}

// ---- 2. Gemm ---------------------------------------------------------------------------------

const [M, K, N] = [144, 256, 256];
function gemmGraph(transB: boolean) {
  const b = new GraphBuilder('gemm');
  const x = b.input('x', 'float32', [M, K]);
  const w = b.input('w', 'float32', transB ? [N, K] : [K, N]);
  b.output(b.gemm(x, w, b.input('bias', 'float32', [N]), { transB }), 'y');
  return serializeModel(b.build()).model;
}
const rand = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 0.1);
console.log(`\nGemm [${M}, ${K}] × [${K}, ${N}] + bias, weights as a graph input (as in training), ${RUNS * 10} runs each (µs per run):`);
for (const threads of [1, 2]) {
  const row: string[] = [];
  for (const transB of [true, false]) {
    const feeds = {
      x: new ort.Tensor('float32', rand(M * K), [M, K]),
      w: new ort.Tensor('float32', rand(K * N), transB ? [N, K] : [K, N]),
      bias: new ort.Tensor('float32', rand(N), [N]),
    };
    const s = await ort.InferenceSession.create(gemmGraph(transB), { intraOpNumThreads: threads, graphOptimizationLevel: 'all' });
    for (let i = 0; i < 50; i++) await s.run(feeds);
    const t0 = performance.now();
    for (let i = 0; i < RUNS * 10; i++) await s.run(feeds);
    row.push(`${transB ? 'transB' : 'no transB'} ${(((performance.now() - t0) / (RUNS * 10)) * 1000).toFixed(0)} µs`);
    await s.release();
  }
  console.log(`  ${threads} thread${threads > 1 ? 's' : ' '}: ${row.join(', ')}`);
}
