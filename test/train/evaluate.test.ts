import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type SeqevalTypeScores, seqevalCompute } from '../../src/metrics/evaluate.ts';
import { type EvalFeature, joinWindows } from '../../src/train/evaluate.ts';

const feature = (sentence: number | undefined, words: number): EvalFeature => ({
  feature: { inputIds: [], labels: [] },
  wordTokenIndex: Array.from({ length: words }, (_, i) => i + 1),
  wordLabels: Array.from({ length: words }, () => 0),
  ...(sentence === undefined ? {} : { sentence }),
});

test('windows of one sentence are scored as one sequence: an entity across the boundary counts once', () => {
  // Sentence 0 was split into two windows; "New York" straddles them. Sentence 1 is whole.
  const features = [feature(0, 3), feature(0, 2), feature(1, 2)];
  const perWindow = [
    ['O', 'O', 'B-LOC'],
    ['I-LOC', 'O'],
    ['B-PER', 'O'],
  ];
  const joined = joinWindows(features, perWindow);
  assert.deepEqual(joined, [['O', 'O', 'B-LOC', 'I-LOC', 'O'], ['B-PER', 'O']]);
  // Joined, "New York" is one LOC entity; scored window by window it would count as two.
  const locEntities = (seqs: string[][]) => (seqevalCompute(seqs, seqs).LOC as SeqevalTypeScores).number;
  assert.equal(locEntities(joined), 1);
  assert.equal(locEntities(perWindow), 2);
});

test('features without a sentence id stay separate sequences', () => {
  const joined = joinWindows([feature(undefined, 1), feature(undefined, 1)], [['B-PER'], ['I-PER']]);
  assert.deepEqual(joined, [['B-PER'], ['I-PER']]);
});
