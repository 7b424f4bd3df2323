import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConll } from '../../src/data/conll.ts';
import { CONLL2003_NER } from '../../src/data/labels.ts';
import {
  bilouToIob2,
  convertDatasetScheme,
  convertLabelNames,
  convertTags,
  iob1ToIob2,
  iob2ToBilou,
  iob2ToIob1,
  iob2ToIobes,
  iobesToIob2,
  type TagScheme,
} from '../../src/data/schemes.ts';
import { TokentagError } from '../../src/errors.ts';

const t = (s: string): string[] => s.split(' ');

test('IOB1 → IOB2', () => {
  assert.deepEqual(iob1ToIob2(t('I-PER I-PER I-LOC B-LOC')), t('B-PER I-PER B-LOC B-LOC'));
  assert.deepEqual(iob1ToIob2(t('O I-ORG O I-ORG I-ORG B-ORG')), t('O B-ORG O B-ORG I-ORG B-ORG'));
  assert.deepEqual(iob1ToIob2([]), []);
});

test('IOB2 → IOB1 uses B- only between adjacent entities of one type', () => {
  assert.deepEqual(iob2ToIob1(t('B-PER I-PER B-LOC B-LOC')), t('I-PER I-PER I-LOC B-LOC'));
  assert.deepEqual(iob2ToIob1(t('B-PER O B-PER B-PER I-PER')), t('I-PER O I-PER B-PER I-PER'));
});

test('IOB2 ↔ IOBES', () => {
  assert.deepEqual(iob2ToIobes(t('B-PER I-PER I-PER O B-LOC B-LOC I-LOC')), t('B-PER I-PER E-PER O S-LOC B-LOC E-LOC'));
  assert.deepEqual(iobesToIob2(t('B-PER I-PER E-PER O S-LOC B-LOC E-LOC')), t('B-PER I-PER I-PER O B-LOC B-LOC I-LOC'));
  // An E- followed by I- of the same type starts a new entity.
  assert.deepEqual(iobesToIob2(t('B-X E-X I-X E-X')), t('B-X I-X B-X I-X'));
});

test('IOB2 ↔ BILOU', () => {
  assert.deepEqual(iob2ToBilou(t('B-PER I-PER I-PER O B-LOC B-LOC I-LOC')), t('B-PER I-PER L-PER O U-LOC B-LOC L-LOC'));
  assert.deepEqual(bilouToIob2(t('B-PER I-PER L-PER O U-LOC B-LOC L-LOC')), t('B-PER I-PER I-PER O B-LOC B-LOC I-LOC'));
});

test('a stray I- starts an entity, as seqeval reads it', () => {
  assert.deepEqual(iob2ToIobes(t('O I-PER I-PER O I-LOC')), t('O B-PER E-PER O S-LOC'));
  assert.deepEqual(iob2ToIobes(t('B-PER I-LOC')), t('S-PER S-LOC'));
});

test('types with hyphens survive', () => {
  assert.deepEqual(iob2ToIobes(t('B-creative-work I-creative-work')), t('B-creative-work E-creative-work'));
});

test('tags of another scheme are errors', () => {
  assert.throws(() => iob2ToIobes(t('S-PER')), (e: unknown) => e instanceof TokentagError && /'S-PER' is not an IOB2 tag/.test(e.message));
  assert.throws(() => iob1ToIob2(t('PER')), /not an IOB1 tag/);
});

test('every conversion round-trips through IOB2 (exhaustive over short sequences)', () => {
  const alphabet = ['O', 'B-A', 'I-A', 'B-B', 'I-B'];
  const seqs: string[][] = [[]];
  for (let len = 1; len <= 4; len++) {
    for (let code = 0; code < alphabet.length ** len; code++) {
      const seq: string[] = [];
      for (let k = 0, c = code; k < len; k++, c = Math.floor(c / alphabet.length)) seq.push(alphabet[c % alphabet.length]);
      seqs.push(seq);
    }
  }
  for (const seq of seqs) {
    const iob2 = iob1ToIob2(seq); // normalise (repairs stray I-)
    for (const s of ['IOB1', 'IOBES', 'BILOU'] as TagScheme[]) {
      assert.deepEqual(convertTags(convertTags(iob2, 'IOB2', s), s, 'IOB2'), iob2, `${s}: ${seq.join(' ')}`);
    }
  }
});

test('label lists: IOB1 ↔ IOB2 keep ids; others list O, then each type with its prefixes', () => {
  assert.deepEqual(convertLabelNames(CONLL2003_NER, 'IOB1', 'IOB2'), CONLL2003_NER);
  assert.deepEqual(convertLabelNames(['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC'], 'IOB2', 'IOBES'), [
    'O', 'B-PER', 'I-PER', 'E-PER', 'S-PER', 'B-LOC', 'I-LOC', 'E-LOC', 'S-LOC',
  ]);
  assert.deepEqual(convertLabelNames(['O', 'I-PER'], 'IOB1', 'IOB2'), ['O', 'B-PER', 'I-PER']);
});

test('convertDatasetScheme converts a tag column and its label list', () => {
  const ds = parseConll('Peter I-PER\nBlackburn I-PER\nin O\nBRUSSELS I-LOC\n', { labels: { ner_tags: CONLL2003_NER } });
  const iob2 = convertDatasetScheme(ds, 'ner_tags', 'IOB1', 'IOB2');
  assert.deepEqual(iob2.labels('ner_tags').names, CONLL2003_NER);
  assert.deepEqual(iob2.get(0).ner_tags, [1, 2, 0, 5]);
  const bilou = convertDatasetScheme(iob2, 'ner_tags', 'IOB2', 'BILOU');
  const names = bilou.labels('ner_tags');
  assert.equal(names.numClasses, 17);
  assert.deepEqual(bilou.get(0).ner_tags.map((i) => names.int2str(i as number)), ['B-PER', 'L-PER', 'O', 'U-LOC']);
  assert.deepEqual(ds.get(0).ner_tags, [2, 2, 0, 6], 'the source is unchanged');
});
