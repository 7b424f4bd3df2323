import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CONLL2003_NER } from '../../src/data/labels.ts';
import { TokentagError } from '../../src/errors.ts';
import { alignLabels, encodeWords } from '../../src/tokenize/index.ts';
import { bertUncased } from '../fixtures/tokenize/tokenizers.ts';

const IOBES = ['O', 'B-PER', 'I-PER', 'E-PER', 'S-PER', 'B-LOC', 'I-LOC', 'E-LOC', 'S-LOC'];
const BILOU = ['O', 'B-PER', 'I-PER', 'L-PER', 'U-PER'];

/** A hand-made encoding: [CLS], then tokens of words with the given sub-token counts, [SEP]. */
function enc(counts: number[]) {
  const wordIds: (number | null)[] = [null];
  counts.forEach((n, w) => {
    for (let i = 0; i < n; i++) wordIds.push(w);
  });
  wordIds.push(null);
  return { wordIds, wordCount: counts.length };
}

test('first: the first sub-token gets the label, the rest and special tokens -100 (run_ner.py default)', async () => {
  const tok = await bertUncased();
  // the | running (run ##ning) | well-known (well - known) | york
  const [e] = await encodeWords(tok, [['the', 'running', 'well-known', 'york']]);
  const labels = [0, 1, 3, 5]; // O B-PER B-ORG B-LOC (conll2003 ids)
  assert.deepEqual(alignLabels(e, labels, CONLL2003_NER), [-100, 0, 1, -100, 3, -100, -100, 5, -100]);
  assert.deepEqual(alignLabels(e, labels, CONLL2003_NER, { strategy: 'first' }), alignLabels(e, labels, CONLL2003_NER));
});

test('all (IOB2): continuation sub-tokens of B-X become I-X, by name not by id parity', async () => {
  const tok = await bertUncased();
  const [e] = await encodeWords(tok, [['the', 'running', 'well-known', 'york']]);
  assert.deepEqual(alignLabels(e, [0, 1, 3, 2], CONLL2003_NER, { strategy: 'all' }), [-100, 0, 1, 2, 3, 4, 4, 2, -100]);
  // A label order where B/I ids do not follow the "odd = B" pattern.
  const names = ['B-LOC', 'O', 'I-LOC'];
  assert.deepEqual(alignLabels(enc([2, 1]), [0, 1], names, { strategy: 'all' }), [-100, 0, 2, 1, -100]);
});

test('all (IOBES): S-X → B-X I-X E-X, B-X → B-X I-X I-X, E-X → I-X I-X E-X, I-X stays', () => {
  const id = (n: string) => IOBES.indexOf(n);
  const e = enc([3, 3, 3, 3, 2, 1]);
  const labels = ['S-PER', 'B-LOC', 'E-LOC', 'I-PER', 'S-LOC', 'S-PER'].map(id);
  const got = alignLabels(e, labels, IOBES, { strategy: 'all' }).map((i) => (i === -100 ? '-100' : IOBES[i]));
  assert.deepEqual(got, [
    '-100',
    'B-PER', 'I-PER', 'E-PER',
    'B-LOC', 'I-LOC', 'I-LOC',
    'I-LOC', 'I-LOC', 'E-LOC',
    'I-PER', 'I-PER', 'I-PER',
    'B-LOC', 'E-LOC',
    'S-PER', // one sub-token: unchanged
    '-100',
  ]);
});

test('all (BILOU): U-X → B-X I-X L-X, L-X → I-X L-X', () => {
  const id = (n: string) => BILOU.indexOf(n);
  const got = alignLabels(enc([3, 2]), [id('U-PER'), id('L-PER')], BILOU, { strategy: 'all' }).map((i) => (i === -100 ? '-100' : BILOU[i]));
  assert.deepEqual(got, ['-100', 'B-PER', 'I-PER', 'L-PER', 'I-PER', 'L-PER', '-100']);
});

test('all: labels without a prefix (O, POS tags) are repeated', () => {
  const pos = ['NN', 'VB', 'O'];
  assert.deepEqual(alignLabels(enc([2, 3]), [0, 1], pos, { strategy: 'all' }), [-100, 0, 0, 1, 1, 1, -100]);
});

test('all: a missing continuation label is an error that names it', () => {
  assert.throws(
    () => alignLabels(enc([2]), [1], ['O', 'B-PER'], { strategy: 'all' }),
    (e: unknown) => e instanceof TokentagError && /label 'I-PER' is needed to label the sub-tokens of a word tagged 'B-PER'/.test(e.message),
  );
  assert.throws(() => alignLabels(enc([3]), [1], ['O', 'S-PER', 'B-PER', 'I-PER'], { strategy: 'all' }), /label 'E-PER' is needed/);
  // Not needed when the word is one token, or with 'first'.
  assert.deepEqual(alignLabels(enc([1]), [1], ['O', 'B-PER'], { strategy: 'all' }), [-100, 1, -100]);
  assert.deepEqual(alignLabels(enc([2]), [1], ['O', 'B-PER']), [-100, 1, -100, -100]);
});

test('-100 word labels stay -100; bad label ids and counts are errors', () => {
  assert.deepEqual(alignLabels(enc([2, 1]), [-100, 0], CONLL2003_NER, { strategy: 'all' }), [-100, -100, -100, 0, -100]);
  assert.throws(() => alignLabels(enc([1]), [9], CONLL2003_NER), /word 0 has label id 9; expected an integer in 0\.\.8/);
  assert.throws(() => alignLabels(enc([1, 1]), [0], CONLL2003_NER), /got 1 word labels for a sentence of 2 words/);
  assert.throws(() => alignLabels(enc([1]), [0], CONLL2003_NER, { strategy: 'every' as 'all' }), /unknown alignment strategy 'every'/);
});

test('windows: labels are aligned with the whole sentence labels', async () => {
  const tok = await bertUncased();
  const words = ['the', 'running', 'the', 'running', 'the'];
  const labels = [0, 1, 0, 5, 0];
  const encs = await encodeWords(tok, [words], { maxLength: 6, stride: 1 });
  assert.ok(encs.length > 1);
  for (const e of encs) {
    const aligned = alignLabels(e, labels, CONLL2003_NER);
    e.wordIds.forEach((w, t) => {
      const first = w !== null && e.wordIds[t - 1] !== w;
      assert.equal(aligned[t], first ? labels[w] : -100);
    });
  }
});
