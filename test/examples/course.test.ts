/**
 * The course's programs (examples/course/) run as a reader runs them, on offline.ts's small
 * corpus and tiny model instead of the Hub's conll2003 and bert-base-cased, and must learn.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { makeOfflineCourse, type OfflineCourse } from '../../examples/course/offline.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const EXAMPLES = join(ROOT, 'examples', 'course');
let dir = '';
let course: OfflineCourse;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tokentag-course-'));
  course = await makeOfflineCourse(dir);
});
after(() => rmSync(dir, { recursive: true, force: true }));

function runExample(file: string, env: Record<string, string>): { out: string; err: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(EXAMPLES, file)], {
    // From the repository root, where tsconfig.json maps 'tokentag' to the sources.
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 240_000,
    env: { ...process.env, COURSE_DATASET: course.dataset, COURSE_MODEL: course.checkpoint, COURSE_LEARNING_RATE: '2e-3', ...env },
  });
  assert.equal(r.status, 0, `${file} failed (exit ${r.status}${r.signal ? `, ${r.signal}` : ''}):\n${r.stderr.slice(-3000)}`);
  return { out: r.stdout, err: r.stderr };
}

test('trainer.ts: the data cells print what the chapter shows, then the Trainer learns (validation F1 above 0.9)', () => {
  const output = join(dir, 'bert-finetuned-ner');
  const { out, err } = runExample('trainer.ts', { COURSE_OUTPUT_DIR: output });
  // A few of the data cells' outputs: the label names, word ids with null for special tokens, the labels padded with -100.
  const compact = out.replace(/\s+/g, '');
  assert.ok(compact.includes("['O','B-LOC','I-LOC','B-MISC','I-MISC','B-ORG','I-ORG','B-PER','I-PER']"), 'label_names');
  assert.match(compact, /\[null,0,1,1,1,2,2,3,3,3,4,5,6,7,8,9,10,null\]/, 'word_ids of the first sentence');
  assert.match(compact, /\[\[-100,0,3,4,4,4,4,4,4,4,0,0,0,0,0,1,0,-100\],\[-100,7,8,0,7,8,8,8,8,8,8,0,1,0,-100,-100,-100,-100\]\]/, 'the collated labels, padded with -100');
  assert.match(out, /newly initialized: classifier\.weight, classifier\.bias/);
  // The Trainer's table, one row per epoch, and checkpoints saved each epoch (save_strategy 'epoch').
  assert.match(err, /Epoch {4}\| Training Loss \| Validation Loss \| Precision \| Recall {3}\| F1 {7}\| Accuracy/);
  const checkpoints = readdirSync(output).filter((f) => f.startsWith('checkpoint-')).sort();
  assert.deepEqual(checkpoints, ['checkpoint-100', 'checkpoint-150', 'checkpoint-50']);
  const state = JSON.parse(readFileSync(join(output, 'checkpoint-150', 'trainer_state.json'), 'utf8')) as { log_history: { eval_f1?: number }[] };
  const f1 = state.log_history.filter((r) => r.eval_f1 !== undefined).map((r) => r.eval_f1!);
  assert.equal(f1.length, 3);
  assert.ok(f1[2] > 0.9, `validation F1 after 3 epochs: ${f1.join(', ')}`);
  assert.ok(f1[0] < f1[2], `it learns across the epochs: ${f1.join(', ')}`);
  // trainer.save_model: the model and the tokenizer in the output directory.
  for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'vocab.txt']) assert.ok(readdirSync(output).includes(f), f);

  // pipeline.ts on the model the Trainer saved: the chapter's sentence, the chapter's entities.
  const p = runExample('pipeline.ts', { COURSE_FINETUNED: output });
  for (const [group, word, start, end] of [['PER', 'Sylvain', 11, 18], ['ORG', 'Hugging Face', 33, 45], ['LOC', 'Brooklyn', 49, 57]] as const) {
    assert.match(p.out, new RegExp(`entity_group: '${group}',\\s*score: [0-9.]+,\\s*word: '${word}',\\s*start: ${start},\\s*end: ${end}`), p.out);
  }
});

test('custom-loop.ts: DataLoader, AdamW, get_scheduler, add_batch / compute each epoch; it learns (F1 above 0.9) and saves the model', () => {
  const output = join(dir, 'bert-finetuned-ner-accelerate');
  const { err } = runExample('custom-loop.ts', { COURSE_OUTPUT_DIR: output, COURSE_QUIET: '1' });
  const f1 = [...err.matchAll(/epoch (\d): \{"precision":[0-9.e-]+,"recall":[0-9.e-]+,"f1":([0-9.e-]+),"accuracy":[0-9.e-]+\}/g)].map((m) => Number(m[2]));
  assert.equal(f1.length, 3, err.slice(-2000));
  assert.ok(f1[2] > 0.9, `F1 per epoch: ${f1.join(', ')}`);
  assert.ok(f1[0] < f1[2], `it learns across the epochs: ${f1.join(', ')}`);
  assert.deepEqual(readdirSync(output).sort(), ['config.json', 'model.safetensors', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt']);
});
