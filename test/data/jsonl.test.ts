import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { formatJsonl, parseJsonl, readJsonl } from '../../src/data/jsonl.ts';
import { CONLL2003_NER } from '../../src/data/labels.ts';
import { throwsInput } from '../helpers/input-error.ts';

const fixtures = fileURLToPath(new URL('../fixtures/data/jsonl/', import.meta.url));

test('reads HF-exported rows with integer tags and label names from a preset', async () => {
  const ds = await readJsonl(join(fixtures, 'train.jsonl'), { labels: 'conll2003' });
  assert.equal(ds.length, 2);
  assert.deepEqual(ds.get(0).ner_tags, [3, 0, 7, 0, 0, 0, 7, 0, 0]);
  assert.deepEqual(ds.labels('ner_tags').names, CONLL2003_NER);
  assert.deepEqual(ds.column('id'), ['0', '1']);
});

test('reads string tags, collecting labels or checking them against given names', async () => {
  const collected = await readJsonl(join(fixtures, 'names.jsonl'));
  assert.deepEqual(collected.labels('ner_tags').names, ['O', 'B-LOC', 'B-MISC', 'B-ORG', 'B-PER', 'I-PER']);
  assert.deepEqual(collected.get(0).ner_tags, [4, 5, 0, 1]);
  assert.deepEqual(collected.column('id'), ['0', '1'], 'rows without an id are numbered');
  const given = await readJsonl(join(fixtures, 'names.jsonl'), { labels: 'conll2003' });
  assert.deepEqual(given.get(0).ner_tags, [1, 2, 0, 5]);
});

test('columns picks the tag fields; other fields are not carried', () => {
  const line = '{"id": 7, "tokens": ["a", "b"], "pos": ["DT", "NN"], "ner_tags": ["O", "O"], "lang": "en"}\n';
  const auto = parseJsonl(line);
  assert.deepEqual(Object.keys(auto.get(0)), ['id', 'tokens', 'ner_tags']);
  assert.equal(auto.get(0).id, '7');
  const chosen = parseJsonl(line, { columns: ['tokens', 'pos'] });
  assert.deepEqual(Object.keys(chosen.features), ['id', 'tokens', 'pos']);
  assert.deepEqual(chosen.labels('pos').names, ['DT', 'NN']);
});

test('bad input is an error naming the file and line', () => {
  const ok = '{"tokens": ["a", "b"], "ner_tags": [0, 1]}';
  const labels = { ner_tags: ['O', 'B-PER'] };
  throwsInput(() => parseJsonl(`${ok}\n{"tokens": ["a"], "ner_tags": [0, 1]}\n`, { file: 'f.jsonl', labels }), 'f.jsonl', 2, /"ner_tags" has 2 tags for 1 tokens/);
  throwsInput(() => parseJsonl(`${ok}\n\n{"tokens": ["a"], "ner_tags": [0}\n`, { file: 'f.jsonl', labels }), 'f.jsonl', 3, /invalid JSON/);
  throwsInput(() => parseJsonl(`${ok}\n{"tokens": ["a"], "ner_tags": [2]}\n`, { file: 'f.jsonl', labels }), 'f.jsonl', 2, /"ner_tags" id 2 \(token 1\) is out of range; expected an integer in 0\.\.1/);
  throwsInput(() => parseJsonl(`${ok}\n{"tokens": ["a"], "ner_tags": [-1]}\n`, { file: 'f.jsonl', labels }), 'f.jsonl', 2, /out of range/);
  throwsInput(() => parseJsonl(`{"tokens": ["a"], "ner_tags": ["B-LOC"]}\n`, { file: 'f.jsonl', labels }), 'f.jsonl', 1, /unknown ner_tags label 'B-LOC'/);
  throwsInput(() => parseJsonl(`${ok}\n`, { file: 'f.jsonl' }), 'f.jsonl', 1, /integer ids but no label names were given/);
  throwsInput(() => parseJsonl(`${ok}\n{"tokens": ["a"]}\n`, { file: 'f.jsonl', labels }), 'f.jsonl', 2, /expected "ner_tags": an array of tags/);
  throwsInput(() => parseJsonl(`{"tokens": "a b", "ner_tags": []}\n`, { file: 'f.jsonl' }), 'f.jsonl', 1, /"tokens": an array of strings/);
  throwsInput(() => parseJsonl(`[1, 2]\n`, { file: 'f.jsonl' }), 'f.jsonl', 1, /expected a JSON object/);
  throwsInput(() => parseJsonl(`{"tokens": ["a"], "words": ["x"]}\n`, { file: 'f.jsonl' }), 'f.jsonl', 1, /found no tag column/);
  throwsInput(() => parseJsonl(`{"tokens": ["a"], "ner_tags": [null]}\n`, { file: 'f.jsonl' }), 'f.jsonl', 1, /holds null; expected a label name or an integer id/);
});

test('tolerates a BOM, CRLF and blank lines', () => {
  const ds = parseJsonl('\uFEFF{"tokens": ["a"], "ner_tags": ["O"]}\r\n\r\n{"tokens": ["b"], "ner_tags": ["B-X"]}\r\n\r\n');
  assert.equal(ds.length, 2);
});

test('formatJsonl writes HF-style ids or names (round trip)', async () => {
  const text = await readFile(join(fixtures, 'train.jsonl'), 'utf8');
  const ds = parseJsonl(text, { labels: 'conll2003' });
  const written = formatJsonl(ds);
  assert.equal(written.split('\n')[1], '{"id":"1","tokens":["Peter","Blackburn"],"ner_tags":[1,2]}');
  assert.deepEqual(parseJsonl(written, { labels: 'conll2003' }).toArray(), ds.toArray());
  const named = formatJsonl(ds, { tags: 'names' });
  assert.equal(named.split('\n')[1], '{"id":"1","tokens":["Peter","Blackburn"],"ner_tags":["B-PER","I-PER"]}');
  assert.deepEqual(parseJsonl(named, { labels: 'conll2003' }).toArray(), ds.toArray());
});
