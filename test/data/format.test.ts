// The one rule for file types (src/data/format.ts), shared by every command.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectDataFormat, detectInputFormat } from '../../src/data/format.ts';
import { InputError } from '../../src/errors.ts';

const data = (file: string, text: string, explicit?: 'conll' | 'jsonl' | 'conllu') => detectDataFormat(file, () => text, explicit).format;
const input = (file: string, text: string, explicit?: 'text' | 'conll' | 'jsonl' | 'conllu') => detectInputFormat(file, () => text, explicit).format;

const CONLL = 'EU NNP B-NP B-ORG\nrejects VBZ B-VP O\n\nPeter NNP B-NP B-PER\n';
const JSONL = '{"tokens": ["EU"], "ner_tags": [3]}\n';
const CONLLU = '# sent_id = 1\n1\tEU\tEU\tPROPN\tNNP\t_\t2\tnsubj\t_\t_\n';
const TEXT = 'EU rejects German call to boycott British lamb .\nPeter Blackburn\n';

test('an explicit format wins; an unambiguous extension decides without reading', () => {
  assert.equal(data('x.txt', JSONL, 'conll'), 'conll');
  assert.equal(input('x.jsonl', CONLL, 'text'), 'text');
  const unread = () => {
    throw new Error('read');
  };
  assert.equal(detectDataFormat('a.jsonl', unread).format, 'jsonl');
  assert.equal(detectDataFormat('a.NDJSON', unread).format, 'jsonl');
  assert.equal(detectDataFormat('a.conllu', unread).format, 'conllu');
  for (const f of ['a.conll', 'a.iob', 'a.iob2', 'a.bio', 'a.bioes', 'a.tsv']) assert.equal(detectDataFormat(f, unread).format, 'conll', f);
});

test('.txt, .json, no extension and standard input are decided by their first lines', () => {
  for (const f of ['train.txt', 'train.json', 'train', '-']) {
    assert.equal(data(f, JSONL), 'jsonl', f);
    assert.equal(data(f, CONLL), 'conll', f);
    assert.equal(data(f, CONLLU), 'conllu', f);
  }
  assert.equal(data('x.txt', '\uFEFF\n\n  {"tokens": []}\n'), 'jsonl'); // BOM and blank lines first
  assert.equal(data('x.txt', '# global.columns = ID FORM UPOS\n'), 'conllu');
  assert.equal(data('x.txt', ''), 'conll');
  assert.throws(() => data('x.json', '\n[{"tokens": ["a"]}]'), (e: unknown) => e instanceof InputError && e.line === 2 && /JSON array.*JSON Lines/.test(e.message));
});

test('predict: raw text unless every line is token-and-tag columns', () => {
  assert.equal(input('in.txt', TEXT), 'text');
  assert.equal(input('in.txt', CONLL), 'conll');
  assert.equal(input('in.txt', 'Paris\nLondon\n'), 'text'); // one column: words, or one-word texts
  assert.equal(input('in.txt', 'Hello world\nGood morning\n'), 'text'); // two columns, but no tags
  assert.equal(input('in.txt', 'Ada B-PER\nlived O\n'), 'conll');
  assert.equal(input('in.txt', 'Ada PER-B\nlived O\n'), 'conll'); // suffix style
  // POS-tagged columns: few distinct last values over ten lines or more.
  const pos = Array.from({ length: 12 }, (_, i) => `w${i} ${['NN', 'VB', 'DT'][i % 3]}`).join('\n');
  assert.equal(input('in.txt', pos), 'conll');
  const words = Array.from({ length: 12 }, (_, i) => `hello w${i}`).join('\n');
  assert.equal(input('in.txt', words), 'text');
  assert.equal(input('in.txt', JSONL), 'jsonl');
  assert.equal(input('-', CONLLU), 'conllu');
  assert.equal(input('in.txt', ''), 'text');
});
