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

test('a JSON Lines file named .json is read as JSON Lines (Dataset.to_json() names its output .json)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tokentag-load-json-'));
  const file = join(dir, 'train.json');
  await writeFile(file, '{"id": "0", "tokens": ["EU", "rejects"], "ner_tags": [3, 0]}\n{"id": "1", "tokens": ["Peter"], "ner_tags": [1]}\n');
  const dict = await loadDataset(file, { labels: 'conll2003' });
  assert.deepEqual(dict.get('train').get(0).ner_tags, [3, 0]);
  assert.deepEqual(dict.get('train').labels('ner_tags').names, CONLL2003_NER);
  // A directory of .json split files too.
  await writeFile(join(dir, 'test.json'), '{"tokens": ["Paris"], "ner_tags": [5]}\n');
  assert.deepEqual((await loadDataset(dir, { labels: 'conll2003' })).names, ['train', 'test']);
  // A JSON array (to_json(lines=False)) is refused with what to do.
  const array = join(dir, 'array.json');
  await writeFile(array, '[{"tokens": ["a"], "ner_tags": [0]}]\n');
  await assert.rejects(loadDataset(array), (e: unknown) => e instanceof TokentagError && /JSON array.*one JSON object per line/.test(e.message));
});

test('labels per column may name a preset: { ner_tags: "conll2003" } (the README example)', async () => {
  const dict = await loadDataset(conllDir, { labels: { ner_tags: 'conll2003' } });
  assert.deepEqual(dict.get('test').labels('ner_tags').names, CONLL2003_NER);
  // The other columns still collect their labels from the data.
  assert.ok(!dict.get('test').labels('pos_tags').names.includes('NN|SYM'));
  const wnut = await loadDataset(join(fixtures, 'wnut17'), { labels: { ner_tags: 'wnut_17' } });
  assert.equal(wnut.get('test').get(0).ner_tags[1], 3);
  // What cannot be label names is a clear error, not "names.forEach is not a function".
  const bad = (labels: unknown) => loadDataset(conllDir, { labels: labels as never });
  await assert.rejects(bad({ ner_tags: 'conll2004' }), (e: unknown) => e instanceof TokentagError && /ner_tags.*unknown label preset 'conll2004'.*conll2003, wnut_17/.test(e.message));
  await assert.rejects(bad({ ner_tags: 42 }), (e: unknown) => e instanceof TokentagError && /ner_tags.*a preset name .* or an array of label names/.test(e.message));
  await assert.rejects(bad({ ner_tags: ['O', 1] }), (e: unknown) => e instanceof TokentagError && /ner_tags.*label names must be strings/.test(e.message));
  await assert.rejects(bad({ pos_tags: 'wnut_17' }), (e: unknown) => e instanceof TokentagError && /preset 'wnut_17' has no pos_tags/.test(e.message));
});

test('a .conllu file is read as CoNLL-U: FORM words, UPOS tags, comments and multi-word ranges skipped', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tokentag-load-conllu-'));
  const file = join(dir, 'train.conllu');
  await writeFile(
    file,
    [
      '# sent_id = 1',
      '# text = Vamos al mar.',
      '1\tVamos\tir\tVERB\t_\t_\t0\troot\t_\t_',
      '2-3\tal\t_\t_\t_\t_\t_\t_\t_\t_',
      '2\ta\ta\tADP\t_\t_\t4\tcase\t_\t_',
      '3\tel\tel\tDET\t_\t_\t4\tdet\t_\t_',
      '4\tmar\tmar\tNOUN\t_\t_\t1\tobl\t_\tSpaceAfter=No',
      '4.1\tfue\tir\tVERB\t_\t_\t_\t_\t1:conj\t_',
      '5\t.\t.\tPUNCT\t_\t_\t1\tpunct\t_\t_',
      '',
    ].join('\n'),
  );
  const ds = (await loadDataset(file)).get('train');
  assert.deepEqual(ds.get(0).tokens, ['Vamos', 'a', 'el', 'mar', '.']);
  const upos = ds.labels('upos');
  assert.deepEqual((ds.get(0).upos as number[]).map((i) => upos.int2str(i)), ['VERB', 'ADP', 'DET', 'NOUN', 'PUNCT']);
});
