// WNUT-17 surface-form scores, worked by hand from the shared task's script (wnuteval.py).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { surfaceScores } from '../../src/metrics/surface.ts';

const toks = (s: string) => s.split(' ');

test('a form counts once however often it occurs: Paris found 3 times, Lyon missed once', () => {
  const tokens = [toks('Paris and Lyon'), toks('Paris again'), toks('then Paris')];
  const gold = [['B-location', 'O', 'B-location'], ['B-location', 'O'], ['O', 'B-location']];
  const pred = [['B-location', 'O', 'O'], ['B-location', 'O'], ['O', 'B-location']];
  const s = surfaceScores(tokens, gold, pred);
  // Entity F1 would be P 3/3, R 3/4; over unique forms: gold {Paris, Lyon}, predicted {Paris}.
  assert.equal(s.overall.precision, 1);
  assert.equal(s.overall.recall, 0.5);
  assert.equal(s.overall.f1, 2 / 3);
  assert.deepEqual([s.overall.gold, s.overall.predicted, s.overall.correct], [2, 1, 1]);
});

test('a correct form needs a correctly placed mention: matching forms in different places do not count', () => {
  // Gold tags Paris in sentence 1, the system tags the other Paris (sentence 2). The sets of forms
  // are equal, but no predicted entity matches a gold one, so nothing is correct: F1 0, not 1.
  const tokens = [toks('Paris'), toks('Paris')];
  const s = surfaceScores(tokens, [['B-location'], ['O']], [['O'], ['B-location']]);
  assert.deepEqual([s.overall.gold, s.overall.predicted, s.overall.correct], [1, 1, 0]);
  assert.equal(s.overall.f1, 0);
});

test('the type is part of the form; the text is compared exactly (case matters)', () => {
  const tokens = [toks('paris Paris'), toks('Paris')];
  const gold = [['B-location', 'B-location'], ['B-location']];
  const pred = [['B-location', 'B-person'], ['B-location']];
  const s = surfaceScores(tokens, gold, pred);
  // gold {(paris, location), (Paris, location)}; predicted {(paris, location), (Paris, person), (Paris, location)};
  // correct: (paris, location) and (Paris, location) in sentence 2.
  assert.deepEqual([s.overall.gold, s.overall.predicted, s.overall.correct], [2, 3, 2]);
  assert.equal(s.overall.precision, 2 / 3);
  assert.equal(s.overall.recall, 1);
  // Per type, over the gold types only (as the script prints them): person has no gold forms.
  assert.deepEqual(Object.keys(s.types), ['location']);
  assert.deepEqual(s.types.location, { precision: 1, recall: 1, f1: 1, gold: 2, predicted: 2, correct: 2 });
});

test("entities are read as the script reads them: I-X after O or another type starts an entity", () => {
  const tokens = [toks('a b c d')];
  // gold: [a b] person, [c] person (B starts a new one), d location started by I-.
  const gold = [['B-person', 'I-person', 'B-person', 'I-location']];
  const pred = [['I-person', 'I-person', 'I-person', 'I-location']];
  const s = surfaceScores(tokens, gold, pred);
  // predicted: [a b c] person, [d] location; correct: [d] only.
  assert.deepEqual([s.overall.gold, s.overall.predicted, s.overall.correct], [3, 2, 1]);
});

test('no entities at all: every score is 0, as the script returns on a zero division', () => {
  const s = surfaceScores([toks('a b')], [['O', 'O']], [['O', 'O']]);
  assert.deepEqual(s.overall, { precision: 0, recall: 0, f1: 0, gold: 0, predicted: 0, correct: 0 });
  assert.deepEqual(s.types, {});
});

test('tags other than B-, I- and O are refused with where they are', () => {
  assert.throws(() => surfaceScores([toks('a')], [['S-person']], [['O']]), /sentence 1, token 1: .*'S-person'/);
  assert.throws(() => surfaceScores([toks('a')], [['O']], [['PER']]), /sentence 1, token 1: .*'PER'/);
});
