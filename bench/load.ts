/**
 * Load-time benchmark for the safetensors reader on a BERT-base-sized checkpoint.
 *
 *   npx tsx bench/load.ts            (add --expose-gc for exact per-run memory: node --expose-gc --import tsx bench/load.ts)
 *
 * Writes a float32 checkpoint with the real BERT-base-cased token-classification tensor list
 * (≈108 M parameters, ≈431 MB) into os.tmpdir(), times readSafetensors (min and median of 5
 * runs, file in the page cache after the write), reports throughput and memory growth, and
 * deletes the file.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { readSafetensors, readSafetensorsAsync, writeSafetensors, type Safetensors } from '../src/models/safetensors.ts';
import type { TensorData } from '../src/engine/dtype.ts';

const RUNS = 5;
const HIDDEN = 768;
const INTERMEDIATE = 3072;
const LAYERS = 12;
const VOCAB = 28996;
const LABELS = 9;

function bertBaseShapes(): [string, number[]][] {
  const s: [string, number[]][] = [
    ['bert.embeddings.word_embeddings.weight', [VOCAB, HIDDEN]],
    ['bert.embeddings.position_embeddings.weight', [512, HIDDEN]],
    ['bert.embeddings.token_type_embeddings.weight', [2, HIDDEN]],
    ['bert.embeddings.LayerNorm.weight', [HIDDEN]],
    ['bert.embeddings.LayerNorm.bias', [HIDDEN]],
  ];
  for (let i = 0; i < LAYERS; i++) {
    const p = `bert.encoder.layer.${i}`;
    for (const m of ['query', 'key', 'value']) {
      s.push([`${p}.attention.self.${m}.weight`, [HIDDEN, HIDDEN]], [`${p}.attention.self.${m}.bias`, [HIDDEN]]);
    }
    s.push(
      [`${p}.attention.output.dense.weight`, [HIDDEN, HIDDEN]],
      [`${p}.attention.output.dense.bias`, [HIDDEN]],
      [`${p}.attention.output.LayerNorm.weight`, [HIDDEN]],
      [`${p}.attention.output.LayerNorm.bias`, [HIDDEN]],
      [`${p}.intermediate.dense.weight`, [INTERMEDIATE, HIDDEN]],
      [`${p}.intermediate.dense.bias`, [INTERMEDIATE]],
      [`${p}.output.dense.weight`, [HIDDEN, INTERMEDIATE]],
      [`${p}.output.dense.bias`, [HIDDEN]],
      [`${p}.output.LayerNorm.weight`, [HIDDEN]],
      [`${p}.output.LayerNorm.bias`, [HIDDEN]],
    );
  }
  s.push(['classifier.weight', [LABELS, HIDDEN]], ['classifier.bias', [LABELS]]);
  return s;
}

const gc = (globalThis as { gc?: () => void }).gc;
const MB = 1e6;
const fmt = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
  const file = path.join(os.tmpdir(), `tokentag-bench-${process.pid}.safetensors`);
  try {
    // Write (scoped so the source tensors can be collected before measuring).
    let params = 0;
    {
      const tensors = new Map<string, TensorData>();
      let seed = 1;
      for (const [name, dims] of bertBaseShapes()) {
        const n = dims.reduce((a, b) => a * b, 1);
        const data = new Float32Array(n);
        for (let i = 0; i < n; i += 97) data[i] = (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32 - 0.5;
        tensors.set(name, { dtype: 'float32', dims, data });
        params += n;
      }
      const t0 = performance.now();
      writeSafetensors(file, tensors, { format: 'pt' });
      const dt = (performance.now() - t0) / 1000;
      const size = fs.statSync(file).size;
      console.log(`wrote ${tensors.size} tensors, ${(params / 1e6).toFixed(1)} M params, ${fmt(size)} in ${dt.toFixed(3)} s (${(size / MB / dt).toFixed(0)} MB/s, atomic + fsync)`);
    }
    gc?.();
    const size = fs.statSync(file).size;

    // Baseline: how fast can this machine just read the file into memory?
    const rawTimes: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const t0 = performance.now();
      const b = fs.readFileSync(file);
      rawTimes.push((performance.now() - t0) / 1000);
      if (b.length !== size) throw new Error('short read');
    }
    gc?.();

    // One load, in its own frame so nothing keeps the result alive once it returns.
    const once = async (load: () => Safetensors | Promise<Safetensors>) => {
      gc?.();
      const before = process.memoryUsage();
      const t0 = performance.now();
      const loaded = await load();
      const seconds = (performance.now() - t0) / 1000;
      const after = process.memoryUsage();
      if (loaded.tensors.size !== bertBaseShapes().length) throw new Error('tensor count mismatch');
      // Zero-copy check: all the float32 tensors view one single buffer.
      const buffers = new Set([...loaded.tensors.values()].map((t) => t.data.buffer)).size;
      return { seconds, rss: after.rss - before.rss, ab: after.arrayBuffers - before.arrayBuffers, buffers };
    };
    const report = async (label: string, load: () => Safetensors | Promise<Safetensors>): Promise<void> => {
      const times: number[] = [];
      const rssGrowth: number[] = [];
      const abGrowth: number[] = [];
      let buffers = 0;
      for (let r = 0; r < RUNS; r++) {
        const m = await once(load);
        times.push(m.seconds);
        rssGrowth.push(m.rss);
        abGrowth.push(m.ab);
        buffers = m.buffers;
      }
      const best = Math.min(...times);
      const med = median(times);
      console.log(`${label}: min ${best.toFixed(3)} s, median ${med.toFixed(3)} s over ${RUNS} runs -> ${(size / MB / best).toFixed(0)} MB/s (best), ${(size / MB / med).toFixed(0)} MB/s (median)`);
      console.log(
        `  ArrayBuffers behind the tensors: ${buffers}; growth per load: rss median ${fmt(median(rssGrowth))} (first run ${fmt(rssGrowth[0])}), ` +
          `arrayBuffers median ${fmt(median(abGrowth))} = ${(median(abGrowth) / size).toFixed(3)} x file size` +
          (gc ? '' : ' [run with --expose-gc for exact per-run figures]'),
      );
    };
    console.log(`file: ${fmt(size)} (page-cached)`);
    console.log(`fs.readFileSync baseline: min ${Math.min(...rawTimes).toFixed(3)} s, median ${median(rawTimes).toFixed(3)} s`);
    await report('readSafetensors', () => readSafetensors(file));
    await report('readSafetensorsAsync', () => readSafetensorsAsync(file));
  } finally {
    fs.rmSync(file, { force: true });
  }
}

await main();
