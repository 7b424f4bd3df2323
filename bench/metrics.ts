// Benchmark: seqeval metrics over a deterministic 1,000,000-token IOB2 corpus.
// Run with `npm run bench:metrics`. Prints elapsed milliseconds and tokens per second.
import { classificationReportText, seqevalCompute, type EntityOptions } from '../src/metrics/index.ts';

const TOKENS = 1_000_000;
const TYPES = ['PER', 'LOC', 'ORG', 'MISC', 'DATE', 'TIME', 'MONEY', 'PERCENT', 'PRODUCT', 'EVENT'];

/** Park–Miller LCG: the same corpus on every run and machine. */
function rng(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 48271) % 2147483647) / 2147483647;
}

function buildCorpus(): { gold: string[][]; pred: string[][] } {
  const rand = rng(42);
  const gold: string[][] = [];
  const pred: string[][] = [];
  let total = 0;
  while (total < TOKENS) {
    const len = Math.min(TOKENS - total, 4 + Math.floor(rand() * 23)); // ~14 tokens a sentence
    const g: string[] = [];
    while (g.length < len) {
      if (rand() < 0.7) {
        g.push('O');
        continue;
      }
      const type = TYPES[Math.floor(rand() * rand() * TYPES.length)]; // skewed type frequencies
      const span = 1 + Math.floor(rand() * 3);
      g.push(`B-${type}`);
      for (let k = 1; k < span && g.length < len; k++) g.push(`I-${type}`);
    }
    // Perturb about 5% of the tags: drop, retype or switch the prefix.
    const p = g.map((tag) => {
      const r = rand();
      if (r >= 0.05) return tag;
      if (r < 0.02) return 'O';
      if (r < 0.035) return `${tag === 'O' ? 'B' : tag[0]}-${TYPES[Math.floor(rand() * TYPES.length)]}`;
      return tag === 'O' ? 'I-PER' : `${tag[0] === 'B' ? 'I' : 'B'}${tag.slice(1)}`;
    });
    gold.push(g);
    pred.push(p);
    total += len;
  }
  return { gold, pred };
}

function time(label: string, options: EntityOptions, gold: string[][], pred: string[][]): void {
  // One warm-up pass so the figure reflects steady-state JIT code.
  seqevalCompute(pred, gold, options);
  const runs = 5;
  let best = Infinity;
  let f1 = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const result = seqevalCompute(pred, gold, options);
    classificationReportText(gold, pred, options);
    best = Math.min(best, performance.now() - t0);
    f1 = result.overall_f1;
  }
  const rate = Math.round(TOKENS / (best / 1000));
  console.log(
    `${label.padEnd(14)} ${best.toFixed(1).padStart(8)} ms  ${rate.toLocaleString('en-US').padStart(12)} tokens/s  (overall_f1 ${f1.toFixed(4)}, best of ${runs})`,
  );
}

const t0 = performance.now();
const { gold, pred } = buildCorpus();
console.log(`corpus: ${TOKENS.toLocaleString('en-US')} tokens in ${gold.length.toLocaleString('en-US')} sentences (built in ${(performance.now() - t0).toFixed(0)} ms)`);
console.log('seqevalCompute + classificationReportText:');
time('default mode', {}, gold, pred);
time('strict IOB2', { mode: 'strict', scheme: 'IOB2' }, gold, pred);
