// Collates 14,000 features of ~20 tokens (12–28) into batches of 8 — one epoch of a
// CoNLL-2003-sized corpus — and prints the time and batches/s. For comparison it also times a
// naive collator that writes every element with BigInt(), the obvious way to fill a BigInt64Array.
import { batches, collate, type EncodedFeature } from '../src/train/index.ts';
import { Rng } from '../src/data/rng.ts';

const rng = new Rng(1);
const features: EncodedFeature[] = Array.from({ length: 14_000 }, () => {
  const n = 12 + rng.nextInt(17);
  const inputIds = Array.from({ length: n }, () => rng.nextInt(30_000));
  const labels = inputIds.map((_, j) => (j === 0 || j === n - 1 ? -100 : rng.nextInt(9)));
  return { inputIds, tokenTypeIds: new Array(n).fill(0), labels };
});

function naive(fs: readonly EncodedFeature[]): BigInt64Array[] {
  const width = Math.max(...fs.map((f) => f.inputIds.length));
  const ids = new BigInt64Array(fs.length * width);
  const mask = new BigInt64Array(fs.length * width);
  const types = new BigInt64Array(fs.length * width);
  const labels = new BigInt64Array(fs.length * width).fill(-100n);
  fs.forEach((f, r) => {
    f.inputIds.forEach((v, j) => {
      ids[r * width + j] = BigInt(v);
      mask[r * width + j] = 1n;
      types[r * width + j] = BigInt(f.tokenTypeIds![j]);
      labels[r * width + j] = BigInt(f.labels![j]);
    });
  });
  return [ids, mask, types, labels];
}

function time(label: string, run: () => number): void {
  run(); // warm up the JIT
  const times: number[] = [];
  let count = 0;
  for (let i = 0; i < 15; i++) {
    const t0 = performance.now();
    count = run();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const median = times[7];
  console.log(`${label}: ${count} batches, min ${times[0].toFixed(1)} ms, median ${median.toFixed(1)} ms (${Math.round((count / median) * 1000).toLocaleString('en-US')} batches/s)`);
}

time('collate (int32 view)        ', () => {
  let n = 0;
  for (let i = 0; i < features.length; i += 8) {
    collate(features.slice(i, i + 8));
    n++;
  }
  return n;
});
time('naive BigInt() per element  ', () => {
  let n = 0;
  for (let i = 0; i < features.length; i += 8) {
    naive(features.slice(i, i + 8));
    n++;
  }
  return n;
});
time('batches(shuffle)            ', () => {
  let n = 0;
  for (const _ of batches(features, { batchSize: 8, shuffle: true, seed: 42 })) n++;
  return n;
});
time('batches(groupByLength)      ', () => {
  let n = 0;
  for (const _ of batches(features, { batchSize: 8, groupByLength: true, seed: 42 })) n++;
  return n;
});
const plain = batches(features, { batchSize: 8 });
const padded = batches(features, { batchSize: 8, groupByLength: true });
const cells = (it: typeof plain): number => {
  let c = 0;
  for (const b of it) c += b.tensors.input_ids.data.length;
  return c;
};
const real = features.reduce((s, f) => s + f.inputIds.length, 0);
console.log(`padding overhead: ${((cells(plain) / real - 1) * 100).toFixed(1)}% in dataset order, ${((cells(padded) / real - 1) * 100).toFixed(1)}% with groupByLength`);
