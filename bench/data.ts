// Reads and writes a CoNLL-2003-sized corpus (14k sentences, ~200k tokens) and prints the figures.
import { parseConll, formatConll } from '../src/data/index.ts';
import { CONLL2003_NER } from '../src/data/labels.ts';

const lines: string[] = [];
let tokens = 0;
for (let s = 0; s < 14_000; s++) {
  for (let k = 0; k < 14 + (s % 3); k++, tokens++) lines.push(`w${(s * 31 + k) % 5000} NNP B-NP ${CONLL2003_NER[(s + k) % 9]}`);
  lines.push('');
}
const text = lines.join('\n');
parseConll(text.slice(0, 20_000)); // warm up the JIT
const times: number[] = [];
let ds = parseConll(text, { labels: 'conll2003' });
for (let i = 0; i < 5; i++) {
  const t0 = performance.now();
  ds = parseConll(text, { labels: 'conll2003' });
  times.push(performance.now() - t0);
}
const t1 = performance.now();
formatConll(ds);
const writeMs = performance.now() - t1;
times.sort((a, b) => a - b);
console.log(`parse ${ds.length} sentences / ${tokens} tokens: min ${times[0]!.toFixed(0)} ms, median ${times[2]!.toFixed(0)} ms (${((tokens / times[2]!) * 1000 / 1e6).toFixed(2)} M tokens/s)`);
console.log(`write: ${writeMs.toFixed(0)} ms`);
