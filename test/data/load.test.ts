import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConll, loadDataset, loadJsonl, resolveSource, saveDataset, splitOfFile } from '../../src/data/load.ts';
import { CONLL2003_NER } from '../../src/data/labels.ts';
import { TokentagError } from '../../src/errors.ts';

const fixtures = fileURLToPath(new URL('../fixtures/data/', import.meta.url));
const conllDir = join(fixtures, 'conll2003');

test('a directory with train/dev/test files becomes train/validation/test splits', async () => {
  const dict = await loadDataset(conllDir);
  assert.deepEqual(dict.names, ['train', 'validation', 'test']);
  assert.deepEqual([...dict].map(([, ds]) => ds.length), [3, 1, 2]);
  // Collected labels are shared by all splits, so ids agree between them.
  const ner = dict.get('train').labels('ner_tags');
  assert.equal(dict.get('test').labels('ner_tags'), ner);
  assert.deepEqual(ner.names, ['O', 'B-LOC', 'B-MISC', 'B-ORG', 'B-PER', 'I-PER']);
  assert.equal(ner.int2str(dict.get('test').get(0).ner_tags[2] as number), 'B-LOC');
});

test('explicit files per split, with a preset', async () => {
  const dict = await loadConll(
    { train: join(conllDir, 'train.txt'), validation: join(conllDir, 'dev.txt') },
    { labels: 'conll2003', columns: ['tokens', '_', '_', 'ner_tags'] },
  );
  assert.deepEqual(dict.names, ['train', 'validation']);
  assert.deepEqual(dict.get('train').labels('ner_tags').names, CONLL2003_NER);
  assert.deepEqual(dict.get('validation').get(0).ner_tags.slice(0, 3), [0, 0, 3]);
});

test('a single file is one split, named by its file name when it names one', async () => {
  assert.deepEqual(await resolveSource(join(fixtures, 'wnut17/train.conll')), [{ split: 'train', file: join(fixtures, 'wnut17/train.conll') }]);
  const jsonl = await loadDataset(join(fixtures, 'jsonl/names.jsonl'));
  assert.deepEqual(jsonl.names, ['train']);
  assert.equal(jsonl.get('train').length, 2);
  const wnut = await loadDataset(join(fixtures, 'wnut17'), { labels: 'wnut_17' });
  assert.deepEqual(wnut.names, ['train', 'test']);
  assert.equal(wnut.get('test').get(0).ner_tags[1], 3);
});

test('split file names and format by extension', async () => {
  assert.equal(splitOfFile('dev.txt'), 'validation');
  assert.equal(splitOfFile('valid.conll'), 'validation');
  assert.equal(splitOfFile('Test.jsonl'), 'test');
  assert.equal(splitOfFile('train.txt.bak'), undefined);
  assert.equal(splitOfFile('notes.txt'), undefined);
  const dict = await loadJsonl({ train: join(fixtures, 'jsonl/train.jsonl') }, { labels: 'conll2003' });
  assert.deepEqual(dict.get('train').get(1).ner_tags, [1, 2]);
});

test('directories that do not resolve are errors', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tokentag-load-'));
  await assert.rejects(loadDataset(dir), (e: unknown) => e instanceof TokentagError && /no split files found/.test(e.message));
  await writeFile(join(dir, 'train.txt'), 'a O\n');
  await writeFile(join(dir, 'train.jsonl'), '{"tokens": ["a"], "ner_tags": ["O"]}\n');
  await assert.rejects(loadDataset(dir), /both train.jsonl and train.txt would be the train split/);
  await assert.rejects(loadDataset(join(dir, 'missing')), /no such file or directory/);
});

test('splits with different columns are an error', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tokentag-load-'));
  await writeFile(join(dir, 'train.txt'), 'a NN B-NP O\n');
  await writeFile(join(dir, 'test.txt'), 'a O\n');
  await assert.rejects(loadDataset(dir), /splits disagree on their tag columns/);
});

test('saveDataset writes each split and loads back the same', async () => {
  const dict = await loadDataset(conllDir, { labels: 'conll2003' });
  for (const format of ['conll', 'jsonl'] as const) {
    const dir = join(await mkdtemp(join(tmpdir(), 'tokentag-save-')), 'out');
    await mkdir(dir, { recursive: true });
    const files = await saveDataset(dict, dir, { format });
    assert.equal(files.length, 3);
    const back = await loadDataset(dir, { labels: 'conll2003' });
    assert.deepEqual(back.names, dict.names);
    for (const name of dict.names) assert.deepEqual(back.get(name).toArray(), dict.get(name).toArray());
  }
});
