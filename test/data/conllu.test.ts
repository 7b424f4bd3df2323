// CoNLL-U reading (src/data/conllu.ts) through loadDataset, as users call it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatasetDict } from '../../src/data/dataset.ts';
import { loadDataset } from '../../src/data/load.ts';
import { tagIds, type TokenRow } from '../../src/data/row.ts';
import { InputError, TokentagError } from '../../src/errors.ts';

const row = (...f: string[]) => f.join('\t');
const SENT = [
  '# newdoc id = d1',
  '# sent_id = 1',
  '# text = Ada vive en Zürich.',
  row('1', 'Ada', 'Ada', 'PROPN', 'NNP', '_', '2', 'nsubj', '_', 'NER=B-PER'),
  row('2', 'vive', 'vivir', 'VERB', 'VBZ', '_', '0', 'root', '_', 'NER=O'),
  row('3', 'en', 'en', 'ADP', 'IN', '_', '4', 'case', '_', 'NER=O'),
  row('4', 'Zürich', 'Zürich', 'PROPN', 'NNP', '_', '2', 'obl', '_', 'SpaceAfter=No|ner=B-LOC'),
  row('5', '.', '.', 'PUNCT', '.', '_', '2', 'punct', '_', 'NER=O'),
  '',
  '# sent_id = 2',
  row('1-2', 'Vámonos', '_', '_', '_', '_', '_', '_', '_', '_'),
  row('1', 'Vamos', 'ir', 'VERB', 'VB', '_', '0', 'root', '_', 'NER=O'),
  row('2', 'nos', 'nosotros', 'PRON', 'PRP', '_', '1', 'obj', '_', 'NER=O'),
  row('2.1', 'ya', 'ya', 'ADV', 'RB', '_', '_', '_', '1:advmod', '_'),
  '',
].join('\n');

async function file(name: string, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tokentag-conllu-'));
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}
const names = (ds: DatasetDict<TokenRow>, column: string) =>
  ds.get('train').toArray().map((r) => tagIds(r, column).map((i) => ds.get('train').labels(column).int2str(i)));

test('FORM words; UPOS by default; comments, multi-word ranges and empty nodes skipped', async () => {
  const ds = await loadDataset(await file('train.conllu', SENT));
  assert.deepEqual(ds.get('train').column('tokens'), [['Ada', 'vive', 'en', 'Zürich', '.'], ['Vamos', 'nos']]);
  assert.deepEqual(Object.keys(ds.get('train').features), ['id', 'tokens', 'upos']);
  assert.deepEqual(names(ds, 'upos'), [['PROPN', 'VERB', 'ADP', 'PROPN', 'PUNCT'], ['VERB', 'PRON']]);
});

test('tag columns by name: xpos, deprel, a MISC key (NER=), case-insensitive', async () => {
  const ds = await loadDataset(await file('train.conllu', SENT), { columns: ['xpos', 'ner'] });
  assert.deepEqual(Object.keys(ds.get('train').features), ['id', 'tokens', 'xpos', 'ner']);
  assert.deepEqual(names(ds, 'ner'), [['B-PER', 'O', 'O', 'B-LOC', 'O'], ['O', 'O']]);
  assert.deepEqual(names(ds, 'xpos')[1], ['VB', 'PRP']);
  const dep = await loadDataset(await file('train.conllu', SENT), { columns: ['DEPREL'] });
  assert.deepEqual(names(dep, 'deprel')[0], ['nsubj', 'root', 'case', 'obl', 'punct']);
  await assert.rejects(loadDataset(await file('t.conllu', SENT), { columns: ['lemma'] }), (e: unknown) => e instanceof TokentagError && /LEMMA cannot be a tag column/.test(e.message));
  const noKey = SENT.replace('NER=O', 'Gloss=x');
  await assert.rejects(loadDataset(await file('t.conllu', noKey), { columns: ['ner'] }), (e: unknown) => e instanceof InputError && e.line === 5 && /MISC field has no ner= value/.test(e.message));
});

test('CoNLL-U Plus: # global.columns names the fields; extra fields are tag columns by default', async () => {
  const plus = [
    '# global.columns = ID FORM UPOS NE',
    '# sent_id = 1',
    row('1', 'Ada', 'PROPN', 'B-PER'),
    row('2', 'Lovelace', 'PROPN', 'I-PER'),
    '',
  ].join('\n');
  const ds = await loadDataset(await file('train.txt', plus)); // .txt: the content decides
  assert.deepEqual(Object.keys(ds.get('train').features), ['id', 'tokens', 'upos', 'ne']);
  assert.deepEqual(names(ds, 'ne'), [['B-PER', 'I-PER']]);
});

test('malformed lines are errors naming the line and what was expected', async () => {
  const spaces = '1 Ada Ada PROPN NNP _ 0 root _ _\n';
  await assert.rejects(loadDataset(await file('a.conllu', spaces)), (e: unknown) => e instanceof InputError && e.line === 1 && /expected 10 tab-separated CoNLL-U fields .* found 1 \(the fields must be separated by tabs\)/.test(e.message));
  await assert.rejects(loadDataset(await file('b.conllu', row('x', 'Ada', 'Ada', 'PROPN', '_', '_', '0', 'root', '_', '_'))), /b\.conllu:1: the ID field is 'x'/);
  await assert.rejects(loadDataset(await file('c.conllu', row('1', 'Ada', 'Ada', 'PROPN', '_', '_', '0', 'root', '_'))), /c\.conllu:1: expected 10 tab-separated CoNLL-U fields/);
});
