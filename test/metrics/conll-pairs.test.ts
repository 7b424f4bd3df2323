// The small "token ... tag" reader used by `tokentag score`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTaggedConll, parseTaggedConllText, InputError } from '../../src/index.ts';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const shape = (text: string) =>
  parseTaggedConllText(text, 'f.txt').map((s) => s.tokens.map((t) => `${t.token}/${t.tag}@${t.line}`));

test('token first, tag last, blank lines between sentences', () => {
  assert.deepEqual(shape('EU NNP B-NP B-ORG\nrejects VBZ B-VP O\n\nPeter B-PER\n'), [
    ['EU/B-ORG@1', 'rejects/O@2'],
    ['Peter/B-PER@4'],
  ]);
});

test('tabs, CRLF, trailing whitespace, several blank lines, -DOCSTART-', () => {
  const text = '-DOCSTART- -X- O O\r\n\r\nEU\tB-ORG  \r\nrejects\tO\r\n\r\n\r\n\r\nPeter B-PER \t\r\n\r\n\r\n';
  assert.deepEqual(shape(text), [['EU/B-ORG@3', 'rejects/O@4'], ['Peter/B-PER@8']]);
});

test('a UTF-8 BOM is dropped and non-ASCII tokens are kept', () => {
  const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...enc('Zürich B-LOC\n')]);
  const [s] = parseTaggedConll(bytes, 'f.txt');
  assert.deepEqual(s.tokens, [{ token: 'Zürich', tag: 'B-LOC', line: 1 }]);
});

test('a line with one column is an InputError naming file and line', () => {
  assert.throws(
    () => parseTaggedConllText('EU B-ORG\nrejects\n', 'gold.txt'),
    (e: unknown) => e instanceof InputError && e.file === 'gold.txt' && e.line === 2 && /at least 2 columns/.test(e.message),
  );
});

test('bytes that are not UTF-8 are an InputError naming the line', () => {
  const bytes = new Uint8Array([...enc('EU B-ORG\n\nPeter B-PER\n'), 0xff, ...enc(' O\n')]);
  assert.throws(
    () => parseTaggedConll(bytes, 'pred.txt'),
    (e: unknown) => e instanceof InputError && e.line === 4 && e.message === 'pred.txt:4: invalid UTF-8 (the file must be UTF-8 text)',
  );
});

test('an empty file has no sentences', () => {
  assert.deepEqual(parseTaggedConllText('', 'f'), []);
  assert.deepEqual(parseTaggedConllText('\n\n  \n', 'f'), []);
});
