/**
 * The main job's model on real sentences: trains it as `npx tokentag train` does (unless
 * --model names one already trained), then scores it on the hand-tagged sentences of
 * `examples/real-sentences`, the way a user meets it — raw text through the pipeline with
 * `aggregation_strategy="first"`, each word labelled by the entity that covers it, scored with
 * seqeval's default mode. It also prints `tokentag evaluate`'s figure (pre-split words, first
 * sub-token), which should agree.
 *
 *   npm run bench:real-sentences                          # train (about two minutes on two cores), then score
 *   npm run bench:real-sentences -- --model runs/tokentag-bert-tiny   # score a trained model
 *   npm run bench:real-sentences -- --show                # also print every sentence whose tags differ
 *   npm run bench:real-sentences -- -- --epochs 6         # after a second --: extra flags for `tokentag train`
 *
 * Conditions are printed: CPU time is the process's (ONNX Runtime's threads included), so it
 * means something on a shared machine where wall time does not.
 */
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readMarkedSentences } from '../scripts/real-sentences.ts';
import { main } from '../src/cli/main.ts';
import { seqevalCompute } from '../src/metrics/evaluate.ts';
import { pipeline } from '../src/pipeline/index.ts';

const dashes = process.argv.indexOf('--', 2);
const own = dashes < 0 ? process.argv.slice(2) : process.argv.slice(2, dashes);
const trainFlags = dashes < 0 ? [] : process.argv.slice(dashes + 1);
const { values } = parseArgs({ args: own, options: { model: { type: 'string' }, show: { type: 'boolean', default: false } } });

const captured = (): { io: { out: (t: string) => void; err: (t: string) => void }; text: () => string } => {
  let buf = '';
  return { io: { out: (t) => (buf += t), err: (t) => (buf += t) }, text: () => buf };
};

let modelDir = values.model;
if (modelDir === undefined) {
  const given = trainFlags.indexOf('--output-dir');
  modelDir = given >= 0 ? trainFlags[given + 1] : join(mkdtempSync(join(tmpdir(), 'tokentag-main-job-')), 'model');
  const cap = captured();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const rc = await main(['train', ...(given >= 0 ? [] : ['--output-dir', modelDir]), '--json', ...trainFlags], cap.io);
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  if (rc !== 0) {
    console.error(cap.text());
    process.exit(rc);
  }
  const out = cap.text();
  const json = JSON.parse(out.slice(out.lastIndexOf('\n{\n') + 1));
  console.log(`main job: tokentag train ${trainFlags.join(' ')}`.trimEnd());
  console.log(`  ${json.dataset}; ${json.train.global_step} steps, ${json.train.epoch} epochs`);
  console.log(`  wall ${wall.toFixed(1)} s, CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s (user ${(cpu.user / 1e6).toFixed(1)} s), train_runtime ${json.train.train_runtime.toFixed(1)} s`);
  console.log(`  synthetic test split (held-out names): F1 ${json.test.overall_f1.toFixed(4)}`);
}

// Raw text through the pipeline, as a user types it.
const sentences = readMarkedSentences();
const ner = await pipeline('ner', { model: modelDir, aggregationStrategy: 'first' });
const gold: string[][] = [];
const pred: string[][] = [];
const shown: string[] = [];
for (const s of sentences) {
  const text = s.text;
  // Where each word starts and ends in the text.
  const spans: [number, number][] = [];
  let at = 0;
  for (const w of s.words) {
    const start = text.indexOf(w, at);
    spans.push([start, start + w.length]);
    at = start + w.length;
  }
  const entities = (await ner(text)) as { entity_group: string; start: number; end: number }[];
  const tags = spans.map(() => 'O');
  for (const e of entities) {
    let first = true;
    spans.forEach(([a, b], i) => {
      if (a >= e.start && b <= e.end) {
        tags[i] = `${first ? 'B' : 'I'}-${e.entity_group}`;
        first = false;
      }
    });
  }
  gold.push(s.tags);
  pred.push(tags);
  if (values.show && tags.some((t, i) => t !== s.tags[i])) {
    shown.push(`  ${s.words.map((w, i) => (s.tags[i] === tags[i] ? (tags[i] === 'O' ? w : `${w}/${tags[i]}`) : `${w}/${tags[i]}≠${s.tags[i]}`)).join(' ')}`);
  }
}
await ner.dispose();
const m = seqevalCompute(pred, gold);
const entityCount = gold.flat().filter((t) => t.startsWith('B-')).length;
console.log(`examples/real-sentences (${sentences.length} sentences, ${entityCount} entities), raw text, aggregation first:`);
console.log(`  F1 ${m.overall_f1.toFixed(4)}, precision ${m.overall_precision.toFixed(4)}, recall ${m.overall_recall.toFixed(4)}`);
for (const type of ['PER', 'ORG', 'LOC', 'MISC']) {
  const t = m[type] as { f1: number; number: number } | undefined;
  if (t) console.log(`  ${type.padEnd(4)} F1 ${t.f1.toFixed(4)} (${t.number})`);
}
if (shown.length) console.log(`sentences with a wrong tag (predicted≠gold):\n${shown.join('\n')}`);

const cap = captured();
await main(['evaluate', '--model', modelDir, '--dataset', 'examples/real-sentences', '--json'], cap.io);
console.log(`tokentag evaluate (pre-split words, first sub-token): F1 ${JSON.parse(cap.text()).overall_f1.toFixed(4)}`);
console.log(`model: ${modelDir}; node ${process.version}, ${cpus().length} cores`);
