/**
 * Full training steps (forward, backward, clipping, AdamW) of a BERT-base token classifier
 * (src/models/bert.ts, bert-base-cased's shape, 9 labels) at batch 8 × 128 tokens, against the speed of one large MatMul measured in the
 * same run. Usage: `npm run bench:engine [-- --layers 12 --steps 3 --batch 8 --seq 128]`.
 */
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { sizeOf, tensor } from '../src/engine/dtype.ts';
import { GraphBuilder } from '../src/engine/graph.ts';
import { serializeModel } from '../src/engine/onnx.ts';
import { TrainingSession } from '../src/engine/runtime.ts';
import { architectureFor, createConfig } from '../src/models/index.ts';

const { values } = parseArgs({
  options: {
    layers: { type: 'string', default: '12' },
    steps: { type: 'string', default: '3' },
    batch: { type: 'string', default: '8' },
    seq: { type: 'string', default: '128' },
    threads: { type: 'string' },
  },
});
// bert-base-cased's shape with a 9-label head (CoNLL-2003), from scratch.
const config = createConfig('bert', { vocab_size: 28996, num_hidden_layers: Number(values.layers), id2label: ['O', 'B-PER', 'I-PER', 'B-ORG', 'I-ORG', 'B-LOC', 'I-LOC', 'B-MISC', 'I-MISC'] });
const bert = architectureFor(config);
const [B, T, steps] = [Number(values.batch), Number(values.seq), Number(values.steps)];
const threads = values.threads ? Number(values.threads) : undefined;

function rssGiB(): string {
  return (process.memoryUsage().rss / 2 ** 30).toFixed(2);
}

/** GFLOP/s of an n³ MatMul in ONNX Runtime: the ceiling the training step is compared with. */
async function matmulGflops(n = 2048): Promise<number> {
  const b = new GraphBuilder('matmul');
  const x = b.input('a', 'float32', [n, n]);
  const y = b.input('b', 'float32', [n, n]);
  b.output(b.matmul(x, y), 'c');
  const s = await ort.InferenceSession.create(serializeModel(b.build()).model, threads ? { intraOpNumThreads: threads } : {});
  const a = new ort.Tensor('float32', new Float32Array(n * n).fill(0.01), [n, n]);
  const out = { c: new ort.Tensor('float32', new Float32Array(n * n), [n, n]) };
  await s.run({ a, b: a }, out);
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await s.run({ a, b: a }, out);
    times.push((performance.now() - t0) / 1000);
  }
  await s.release();
  times.sort((p, q) => p - q);
  return (2 * n ** 3) / times[2]! / 1e9;
}

// Measured before and after the training steps; the better figure is the ceiling (the machine
// may be busier, or slower to start, at one moment than at the other, and that must not flatter
// the ratio).
const before = await matmulGflops();
console.log(`MatMul 2048³ before the steps: ${before.toFixed(1)} GFLOP/s`);

const t0 = performance.now();
const session = await TrainingSession.create({
  params: bert.init(config, 42),
  model: bert.modelFn(config, { tokenTypeIds: false }),
  adamw: { weightDecay: 0.01 },
  maxGradNorm: 1,
  seed: 42,
  threads,
});
console.log(`BERT, ${config.numHiddenLayers} layers: session ready in ${((performance.now() - t0) / 1000).toFixed(1)} s, RSS ${rssGiB()} GiB`);

let state = 7;
const ids = BigInt64Array.from({ length: B * T }, () => BigInt((state = (state * 48271) % 2147483647) % config.vocabSize));
const labels = BigInt64Array.from({ length: B * T }, (_, i) => BigInt(i % config.id2label.length));
const batch = {
  input_ids: tensor('int64', [B, T], ids),
  attention_mask: tensor('int64', [B, T], new BigInt64Array(B * T).fill(1n)),
  labels: tensor('int64', [B, T], labels),
};

await session.step(batch, { lr: 2e-5 }); // warm-up: first-run allocations and kernel selection
const times: number[] = [];
for (let i = 0; i < steps; i++) {
  const s0 = performance.now();
  const r = await session.step(batch, { lr: 2e-5 });
  times.push((performance.now() - s0) / 1000);
  console.log(`step ${r.step}: ${times.at(-1)!.toFixed(2)} s, loss ${r.loss.toFixed(4)}`);
}
times.sort((p, q) => p - q);
const stepTime = times[Math.floor(times.length / 2)]!;
const tokens = B * T;
// 6·N·tokens for the weight matmuls (forward 2, backward 4), plus attention scores and
// context: 4·B·T²·H per layer forward, ×3 with the backward pass.
const nonEmbedding = bert
  .paramShapes(config)
  .filter((p) => !p.name.includes('_embeddings.'))
  .reduce((n, p) => n + sizeOf(p.dims), 0);
const flops = 6 * nonEmbedding * tokens + 12 * config.numHiddenLayers * B * T * T * config.hiddenSize;
const after = await matmulGflops();
const peak = Math.max(before, after);
console.log(`MatMul 2048³ after the steps: ${after.toFixed(1)} GFLOP/s; ceiling ${peak.toFixed(1)} GFLOP/s`);
const achieved = flops / stepTime / 1e9;
console.log(`median step ${stepTime.toFixed(2)} s (${(tokens / stepTime).toFixed(0)} tokens/s), ${(flops / 1e9).toFixed(0)} GFLOP per step`);
console.log(`achieved ${achieved.toFixed(1)} GFLOP/s = ${(achieved / peak).toFixed(2)} × the MatMul ceiling (target ≥ 0.5)`);
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 2 ** 20).toFixed(2)} GiB (target < 6)`);
await session.dispose();
