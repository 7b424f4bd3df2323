import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TokentagError } from '../../src/errors.ts';
import { ClassLabel, classLabelOf, sequence, tagColumns, tokenClassificationFeatures, value } from '../../src/data/features.ts';
import { CONLL2003_CHUNK, CONLL2003_NER, CONLL2003_POS, LABEL_PRESETS, resolveLabels, WNUT17_NER } from '../../src/data/labels.ts';
import { sortLabels } from '../../src/data/vocab.ts';

test('ClassLabel maps names and ids both ways, like HF', () => {
  const labels = new ClassLabel(['O', 'B-PER', 'I-PER']);
  assert.equal(labels.numClasses, 3);
  assert.equal(labels.str2int('B-PER'), 1);
  assert.equal(labels.int2str(2), 'I-PER');
  assert.equal(labels.indexOf('B-LOC'), -1);
  assert.throws(() => labels.str2int('B-LOC'), TokentagError);
  assert.throws(() => labels.int2str(3), /out of range/);
  assert.throws(() => labels.int2str(1.5), /out of range/);
  assert.throws(() => new ClassLabel(['O', 'O']), /appears twice/);
  assert.deepEqual(JSON.parse(JSON.stringify(labels)), { kind: 'classLabel', names: ['O', 'B-PER', 'I-PER'] });
  assert.equal(ClassLabel.from({ names: ['O'] }).numClasses, 1);
  assert.ok(Object.isFrozen(labels.names));
});

test('features describe tag columns as sequences of class labels', () => {
  const ner = new ClassLabel(CONLL2003_NER);
  const features = tokenClassificationFeatures({ ner_tags: ner });
  assert.deepEqual(Object.keys(features), ['id', 'tokens', 'ner_tags']);
  assert.deepEqual(features.tokens, sequence(value('string')));
  assert.deepEqual(tagColumns(features), ['ner_tags']);
  assert.equal(classLabelOf(features, 'ner_tags'), ner);
  assert.throws(() => classLabelOf(features, 'tokens'), /not a tag column \(tag columns: ner_tags\)/);
});

test('built-in label lists match the Hub order', () => {
  assert.equal(CONLL2003_NER.length, 9);
  assert.deepEqual(CONLL2003_NER, ['O', 'B-PER', 'I-PER', 'B-ORG', 'I-ORG', 'B-LOC', 'I-LOC', 'B-MISC', 'I-MISC']);
  assert.equal(CONLL2003_POS.length, 47);
  assert.equal(CONLL2003_POS[0], '"');
  assert.equal(CONLL2003_POS[1], "''");
  assert.equal(CONLL2003_POS[9], '``');
  assert.equal(CONLL2003_POS[21], 'NN');
  assert.equal(CONLL2003_POS[22], 'NNP');
  assert.equal(CONLL2003_POS[25], 'NN|SYM');
  assert.equal(CONLL2003_POS[29], 'PRP$');
  assert.equal(CONLL2003_POS[46], 'WRB');
  assert.equal(CONLL2003_CHUNK.length, 23);
  assert.equal(CONLL2003_CHUNK[0], 'O');
  assert.equal(CONLL2003_CHUNK[11], 'B-NP');
  assert.equal(CONLL2003_CHUNK[12], 'I-NP');
  assert.equal(CONLL2003_CHUNK[22], 'I-VP');
  assert.equal(WNUT17_NER.length, 13);
  assert.equal(WNUT17_NER[3], 'B-creative-work');
  assert.equal(WNUT17_NER[9], 'B-person');
  assert.equal(WNUT17_NER[12], 'I-product');
  for (const list of [CONLL2003_NER, CONLL2003_POS, CONLL2003_CHUNK, WNUT17_NER]) {
    assert.equal(new Set(list).size, list.length);
    assert.ok(Object.isFrozen(list));
  }
  assert.deepEqual(Object.keys(LABEL_PRESETS.conll2003), ['pos_tags', 'chunk_tags', 'ner_tags']);
  assert.equal(resolveLabels('wnut_17').ner_tags, WNUT17_NER);
  assert.throws(() => resolveLabels('conll2002' as never), /unknown label preset 'conll2002'/);
});

test('collected labels sort O first, then by type, B before I', () => {
  assert.deepEqual(sortLabels(['I-PER', 'B-MISC', 'O', 'B-PER', 'I-LOC', 'B-LOC', 'B-PER']), [
    'O', 'B-LOC', 'I-LOC', 'B-MISC', 'B-PER', 'I-PER',
  ]);
  assert.deepEqual(sortLabels(['S-X', 'E-X', 'I-X', 'B-X']), ['B-X', 'I-X', 'E-X', 'S-X']);
  assert.deepEqual(sortLabels(['VBZ', 'NN', '.', 'O']), ['O', '.', 'NN', 'VBZ']);
  // Stable: input order never matters.
  assert.deepEqual(sortLabels(['B-b', 'O', 'I-a', 'B-a']), sortLabels(['B-a', 'I-a', 'O', 'B-b']));
});
