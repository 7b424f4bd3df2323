/**
 * Where a small model's training step goes, in isolation, on this machine:
 *
 * 1. The optimizer: clipping + AdamW over bert-mini's (or, with `--base`, BERT-base's) weights as
 *    one WebAssembly SIMD pass (src/engine/adamw.ts, what TrainingSession runs) against the same
 *    update written as a plain TypeScript loop (test/engine/adamw-reference.ts).
 * 2. One forward-layout `Gemm` of a bert-mini linear layer at batch 8 (`[144, 256] × [256, 256]ᵀ`,
 *    `transB` as the training graph has it) against the same product without `transB`, on one and
 *    two threads.
 *
 *   npm run bench:optim [-- --runs 30 --base]
 *
 * (Round 1 ran AdamW as ~14 ONNX elementwise ops per tensor inside the training graph: 25–38 ms
 * per bert-mini update on this machine, see docs/benchmarks.md.)
 */
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../src/engine/graph.ts';
import { serializeModel } from '../src/engine/onnx.ts';
import { AdamWState, adamwScalars, resolveAdamW } from '../src/engine/adamw.ts';
import { CONLL2003_NER } from '../src/data/index.ts';
import { architectureFor, createConfig } from '../src/models/index.ts';
import { referenceAdamW } from '../test/engine/adamw-reference.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '30' }, base: { type: 'boolean', default: false } } });
const RUNS = Number(values.runs);

const size = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

// ---- 1. AdamW --------------------------------------------------------------------------------

const shape = values.base
  ? { label: 'BERT-base', vocab_size: 28996, hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072 }
  : { label: 'bert-mini', vocab_size: 2517, hidden_size: 256, num_hidden_layers: 4, num_attention_heads: 4, intermediate_size: 1024 };
const config = createConfig('bert', { ...shape, id2label: [...CONLL2003_NER] });
const adam = resolveAdamW({ weightDecay: 0.01 });
const tensors = architectureFor(config)
  .paramShapes(config)
  .map((p) => ({ name: p.name, size: size(p.dims), decays: adam.decay(p.name) }));
const total = tensors.reduce((n, t) => n + t.size, 0);
const state = await AdamWState.create(tensors);
for (const t of tensors) {
  state.param(t.name).fill(0.02);
  state.grad(t.name).fill(0.001);
}
const scalars = adamwScalars(adam, 5e-5, 3, 0.5);
const time = (f: () => void, runs: number) => {
  for (let i = 0; i < 3; i++) f();
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) f();
  return (performance.now() - t0) / runs;
};
const wasmMs = time(() => state.update(scalars), RUNS);
const plain = tensors.map((t) => ({ ...t, p: new Float32Array(t.size).fill(0.02), g: new Float32Array(t.size).fill(0.001), m: new Float32Array(t.size), v: new Float32Array(t.size) }));
const tsMs = time(() => {
  for (const t of plain) referenceAdamW(t.p, t.g, t.m, t.v, scalars, t.decays);
}, Math.max(1, Math.ceil(RUNS / 10)));
console.log(`clipping + AdamW over ${shape.label}'s ${(total / 1e6).toFixed(2)} M weights (${tensors.length} tensors), in place (ms per update):`);
console.log(`  WebAssembly SIMD: ${wasmMs.toFixed(2)} ms (${((total * 4 * 7) / (wasmMs / 1000) / 1e9).toFixed(1)} GB/s of loads + stores)`);
console.log(`  plain TypeScript: ${tsMs.toFixed(2)} ms`);

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
