// Default-mode (conlleval) chunking: every branch of end_of_chunk / start_of_chunk.
// Offsets are inclusive and, for nested input, count the 'O' seqeval inserts after each sentence.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getEntities, type Chunk, type MetricWarning } from '../../src/metrics/index.ts';

const ents = (seq: readonly string[] | readonly string[][], suffix = false): [string, number, number][] =>
  getEntities(seq, { suffix }).map((c: Chunk) => [c.type, c.start, c.end]);

test('seqeval docstring example: B-PER I-PER O B-LOC', () => {
  assert.deepEqual(ents(['B-PER', 'I-PER', 'O', 'B-LOC']), [['PER', 0, 1], ['LOC', 3, 3]]);
});

test('an entity may start with I- (prev O, tag I starts a chunk)', () => {
  assert.deepEqual(ents(['O', 'I-PER', 'I-PER', 'O']), [['PER', 1, 2]]);
});

test('a type change inside a chunk closes it and opens another', () => {
  assert.deepEqual(ents(['B-PER', 'I-LOC']), [['PER', 0, 0], ['LOC', 1, 1]]);
});

test('B-X B-X gives two entities; I-X B-X too', () => {
  assert.deepEqual(ents(['B-X', 'B-X']), [['X', 0, 0], ['X', 1, 1]]);
  assert.deepEqual(ents(['I-X', 'B-X']), [['X', 0, 0], ['X', 1, 1]]);
});

test('E- and S- without B- still make entities', () => {
  assert.deepEqual(ents(['E-X']), [['X', 0, 0]]); // (O, E) starts, prev E ends
  assert.deepEqual(ents(['S-X']), [['X', 0, 0]]);
  assert.deepEqual(ents(['I-X', 'E-X']), [['X', 0, 1]]);
  // E ends a chunk; (E, E) starts a new one.
  assert.deepEqual(ents(['B-X', 'E-X', 'E-X']), [['X', 0, 1], ['X', 2, 2]]);
  // S ends; (S, I) and (E, I) start.
  assert.deepEqual(ents(['S-X', 'I-X']), [['X', 0, 0], ['X', 1, 1]]);
  assert.deepEqual(ents(['E-X', 'I-X']), [['X', 0, 0], ['X', 1, 1]]);
  assert.deepEqual(ents(['I-PER', 'E-PER', 'S-PER']), [['PER', 0, 1], ['PER', 2, 2]]);
});

test('empty and all-O sequences have no entities', () => {
  assert.deepEqual(ents([]), []);
  assert.deepEqual(ents([[]]), []);
  assert.deepEqual(ents(['O', 'O', 'O']), []);
  assert.deepEqual(ents([['O'], ['O', 'O']]), []);
});

test('nested lists are flattened with an O after each sentence', () => {
  // B-PER O | I-PER O  → positions 0, 1(sep), 2, 3(sep)
  assert.deepEqual(ents([['B-PER'], ['I-PER']]), [['PER', 0, 0], ['PER', 2, 2]]);
  assert.deepEqual(ents([['B-PER', 'I-PER'], ['B-LOC']]), [['PER', 0, 1], ['LOC', 3, 3]]);
});

test('suffix style tags (PER-B)', () => {
  assert.deepEqual(ents(['PER-B', 'PER-I', 'O', 'LOC-S'], true), [['PER', 0, 1], ['LOC', 3, 3]]);
  assert.deepEqual(ents(['B-PER'], true), [['B', 0, 0]]); // last char 'R' is the prefix, type from rsplit
});

test('bare prefixes have type _, and types keep everything after the first dash', () => {
  assert.deepEqual(ents(['B', 'I', 'O']), [['_', 0, 1]]);
  assert.deepEqual(ents(['B-', 'I-']), [['_', 0, 1]]);
  assert.deepEqual(ents(['B-PER-X', 'I-PER-X']), [['PER-X', 0, 1]]);
});

test('non-NE tags lose their first character and warn once per tag (seqeval#75)', () => {
  const warnings: MetricWarning[] = [];
  const chunks = getEntities(['NOUN', 'NOUN', 'VERB'], { onWarning: (w) => warnings.push(w) });
  assert.deepEqual(chunks.map((c) => [c.type, c.start, c.end]), [['OUN', 0, 1], ['ERB', 2, 2]]);
  assert.deepEqual(warnings, [
    { kind: 'not-ne-tag', message: 'NOUN seems not to be NE tag.' },
    { kind: 'not-ne-tag', message: 'VERB seems not to be NE tag.' },
  ]);
});

test("a tag starting with O acts as outside, whatever follows", () => {
  assert.deepEqual(ents(['OTHER', 'I-X']), [['X', 1, 1]]);
});

test("a '.' prefix never ends a chunk, so an open chunk before it is lost", () => {
  assert.deepEqual(ents(['B-X', '.X']), []);
});

test('unknown prefixes end a chunk only through a type change', () => {
  assert.deepEqual(ents(['U-X', 'O']), [['X', 0, 0]]); // X != '_' of the final O
  // 'U' has type '_' like the separator O, so its chunk runs across the sentence boundary.
  assert.deepEqual(ents([['U'], ['I-X']]), [['X', 2, 2]]);
});

test('an empty tag is an error naming its place', () => {
  assert.throws(() => getEntities([['O'], ['B-X', '']]), /sentence 1, token 1: empty tag/);
});

test('astral characters are one Python character', () => {
  assert.deepEqual(ents(['B-😀', 'I-😀']), [['😀', 0, 1]]);
  assert.deepEqual(ents(['😀X']), [['X', 0, 0]]);
});
