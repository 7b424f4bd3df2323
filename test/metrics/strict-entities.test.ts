// Strict mode (seqeval.scheme): an entity needs a start pattern, inside patterns and an end pattern.
// `end` is exclusive here, as in seqeval's Entity.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { autoDetectScheme, getStrictEntities, type Scheme } from '../../src/metrics/index.ts';

const ents = (scheme: Scheme, ...sentences: string[][]): [number, string, number, number][] =>
  getStrictEntities(sentences, { scheme }).map((e) => [e.sentence, e.type, e.start, e.end]);

test('IOB2: I- without B- is no entity; a type change ends the entity', () => {
  assert.deepEqual(ents('IOB2', ['I-PER', 'I-PER', 'O']), []);
  assert.deepEqual(ents('IOB2', ['B-PER', 'I-LOC']), [[0, 'PER', 0, 1]]);
  assert.deepEqual(ents('IOB2', ['B-PER', 'I-PER', 'O', 'B-LOC']), [[0, 'PER', 0, 2], [0, 'LOC', 3, 4]]);
  assert.deepEqual(ents('IOB2', ['B-X', 'B-X']), [[0, 'X', 0, 1], [0, 'X', 1, 2]]);
});

test('IOB1: I- opens an entity; B- only separates two of the same type', () => {
  assert.deepEqual(ents('IOB1', ['I-PER', 'I-PER', 'B-PER', 'I-PER', 'O']), [[0, 'PER', 0, 2], [0, 'PER', 2, 4]]);
  assert.deepEqual(ents('IOB1', ['I-PER', 'I-LOC', 'B-LOC']), [[0, 'PER', 0, 1], [0, 'LOC', 1, 2], [0, 'LOC', 2, 3]]);
  // B- after O is not a start pattern in IOB1; the following I- is (B, I, any).
  assert.deepEqual(ents('IOB1', ['B-PER', 'I-PER']), [[0, 'PER', 1, 2]]);
});

test('IOE1 and IOE2: entities close on E-', () => {
  assert.deepEqual(ents('IOE1', ['I-PER', 'E-PER', 'I-PER']), [[0, 'PER', 0, 2], [0, 'PER', 2, 3]]);
  assert.deepEqual(ents('IOE1', ['I-PER', 'I-PER', 'E-PER', 'E-PER']), [[0, 'PER', 0, 3]]);
  assert.deepEqual(ents('IOE2', ['I-PER', 'E-PER', 'E-PER']), [[0, 'PER', 0, 2], [0, 'PER', 2, 3]]);
  assert.deepEqual(ents('IOE2', ['I-PER', 'I-PER']), []); // never closed by E-
});

test('IOBES: B-PER I-PER S-PER gives only the S entity (README / PR #52)', () => {
  assert.deepEqual(ents('IOBES', ['B-PER', 'I-PER', 'S-PER']), [[0, 'PER', 2, 3]]);
  assert.deepEqual(ents('IOBES', ['B-PER', 'E-PER', 'E-PER']), [[0, 'PER', 0, 2]]);
  assert.deepEqual(ents('IOBES', ['S-LOC', 'B-PER', 'I-PER', 'E-PER']), [[0, 'LOC', 0, 1], [0, 'PER', 1, 4]]);
});

test('BILOU: L- and U- close entities', () => {
  assert.deepEqual(ents('BILOU', ['B-PER', 'L-PER', 'U-LOC', 'I-ORG']), [[0, 'PER', 0, 2], [0, 'LOC', 2, 3]]);
  assert.deepEqual(ents('BILOU', ['B-PER', 'I-PER', 'L-PER']), [[0, 'PER', 0, 3]]);
});

test('entities never cross sentences and carry their sentence index', () => {
  assert.deepEqual(ents('IOB2', ['O', 'B-PER'], ['I-PER', 'B-LOC']), [[0, 'PER', 1, 2], [1, 'LOC', 1, 2]]);
});

test('suffix tags and the type stripped of dashes', () => {
  const got = getStrictEntities([['PER-B', 'PER-I', 'O']], { scheme: 'IOB2', suffix: true });
  assert.deepEqual(got, [{ sentence: 0, type: 'PER', start: 0, end: 2 }]);
  assert.deepEqual(ents('IOB2', ['B--PER-', 'I-PER']), [[0, 'PER', 0, 2]]); // '-PER-'.strip('-')
  assert.deepEqual(ents('IOB2', ['B', 'I']), [[0, '_', 0, 2]]);
});

test('a prefix the scheme does not allow is an error, like seqeval', () => {
  assert.throws(
    () => ents('IOB2', ['O'], ['B-PER', 'E-PER']),
    /Invalid token is found: E-PER\. Allowed prefixes are: I\|O\|B\..*sentence 1, token 1/,
  );
  assert.throws(() => ents('BILOU', ['S-PER']), /Allowed prefixes are: I\|O\|B\|U\|L\./);
  // A character that is no prefix at all (seqeval: KeyError).
  assert.throws(() => ents('IOBES', ['NOUN']), /Invalid token is found: NOUN/);
});

test('autoDetectScheme picks the scheme from the set of prefixes in y_true', () => {
  assert.equal(autoDetectScheme([['B-PER', 'I-PER', 'O']]), 'IOB2');
  assert.equal(autoDetectScheme([['B-PER']]), 'IOB2');
  assert.equal(autoDetectScheme([['I-PER', 'E-PER', 'O']]), 'IOE2');
  assert.equal(autoDetectScheme([['B-PER', 'E-PER', 'S-LOC', 'O']]), 'IOBES');
  assert.equal(autoDetectScheme([['S-LOC']]), 'IOBES');
  assert.equal(autoDetectScheme([['U-LOC', 'B-PER', 'L-PER']]), 'BILOU');
  assert.equal(autoDetectScheme([['PER-B', 'PER-I']], true), 'IOB2');
  assert.throws(() => autoDetectScheme([['O', 'O']]), /This scheme is not supported: \{O\}/);
  assert.throws(() => autoDetectScheme([['I-PER', 'O']]), /not supported: \{I, O\}/); // IOB1-like
  assert.throws(() => autoDetectScheme([['NOUN']]), /This scheme is not supported: NOUN/);
});
