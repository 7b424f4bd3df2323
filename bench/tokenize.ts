// Tokenizes and aligns a CoNLL-2003-sized corpus (14k sentences, ~200k words) and prints
// sentences/s. Words are drawn from a Zipf-like distribution over ~25k made-up word types
// (syllable strings, some capitalised, some with punctuation), so there are sub-words, unknown
// pieces and a realistic share of repeated words. The WordPiece vocabulary is trained on the
// corpus itself (timed separately).
import { CONLL2003_NER } from '../src/data/labels.ts';
import { Rng } from '../src/data/rng.ts';
import { alignLabels, encodeWords, trainWordPiece } from '../src/tokenize/index.ts';

const rng = new Rng(7);
const SYL = ['ka', 'lo', 'mi', 'ter', 'an', 'ber', 'lin', 'par', 'is', 'do', 'ra', 'ven', 'th', 'str', 'o', 'e', 'ing', 'ed', 'qu', 'zy'];
const types: string[] = [];
for (let i = 0; i < 25_000; i++) {
  let w = '';
  const n = 1 + rng.nextInt(4);
  for (let k = 0; k < n; k++) w += SYL[rng.nextInt(SYL.length)];
  if (rng.nextFloat() < 0.3) w = w[0].toUpperCase() + w.slice(1);
  if (rng.nextFloat() < 0.03) w += rng.nextFloat() < 0.5 ? '-' + SYL[rng.nextInt(SYL.length)] : '.';
  types.push(w);
}
const sentences: string[][] = [];
const labels: number[][] = [];
let words = 0;
for (let s = 0; s < 14_000; s++) {
  const n = 5 + rng.nextInt(20);
  const ws: string[] = [];
  const ls: number[] = [];
  for (let k = 0; k < n; k++) {
    // Zipf-like: rank ~ 1 / u.
    const r = Math.min(types.length - 1, Math.floor(1 / Math.max(rng.nextFloat(), 1 / types.length)) - 1);
    ws.push(types[r]);
    ls.push(rng.nextInt(CONLL2003_NER.length));
  }
  sentences.push(ws);
  labels.push(ls);
  words += n;
}

let t0 = performance.now();
const tok = await trainWordPiece(sentences, { vocabSize: 400, lowercase: false });
console.log(`train WordPiece (vocab ${tok.vocabSize}) on ${words} words: ${(performance.now() - t0).toFixed(0)} ms`);

async function run(strategy: 'first' | 'all', cold: boolean): Promise<number> {
  if (cold) tok.clearCache();
  const t = performance.now();
  const encs = await encodeWords(tok, sentences, { maxLength: 128 });
  for (const e of encs) alignLabels(e, labels[e.sentence], CONLL2003_NER, { strategy });
  return performance.now() - t;
}
await run('first', true); // warm up the JIT
for (const [strategy, cold] of [['first', true], ['all', true], ['first', false]] as const) {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) times.push(await run(strategy, cold));
  times.sort((a, b) => a - b);
  const med = times[2];
  console.log(
    `encode + align (${strategy}${cold ? ', cold word cache' : ', warm word cache'}) ${sentences.length} sentences / ${words} words: ` +
      `median ${med.toFixed(0)} ms (${Math.round((sentences.length / med) * 1000)} sentences/s), min ${times[0].toFixed(0)} ms`,
  );
}
t0 = performance.now();
const encs = await encodeWords(tok, sentences);
let tokens = 0;
for (const e of encs) tokens += e.inputIds.length;
console.log(`tokens (with [CLS]/[SEP]): ${tokens}; encode only (warm): ${(performance.now() - t0).toFixed(0)} ms`);
