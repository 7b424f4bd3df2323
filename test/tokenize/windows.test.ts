import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { countSplitSentences, encodeWords, mergeWindowPredictions, type Encoding } from '../../src/tokenize/index.ts';
import { bertUncased } from '../fixtures/tokenize/tokenizers.ts';

// 'the' is 1 token (5), 'running' is 2 tokens (run ##ning), 'well-known' is 3 (well - known).
const LEN: Record<number, string> = { 1: 'the', 2: 'running', 3: 'well-known' };

/** Checks what every split must satisfy and returns the merged per-word "predictions". */
function checkWindows(encs: Encoding[], wordCount: number, maxLength: number): (number | null)[] {
  for (const e of encs) {
    assert.ok(e.inputIds.length <= maxLength, `window of ${e.inputIds.length} tokens > ${maxLength}`);
    assert.equal(e.inputIds[0], 2);
    assert.equal(e.inputIds.at(-1), 3);
    const words = e.wordIds.filter((w): w is number => w !== null);
    // Whole words, contiguous, exactly the covered range.
    assert.deepEqual([...new Set(words)], Array.from({ length: e.window.wordEnd - e.window.wordStart }, (_, i) => e.window.wordStart + i));
    assert.ok(e.window.scoreStart >= e.window.wordStart && e.window.scoreEnd <= e.window.wordEnd);
  }
  // Each word scored by exactly one window.
  const scoredBy = new Array<number>(wordCount).fill(0);
  for (const e of encs) for (let w = e.window.scoreStart; w < e.window.scoreEnd; w++) scoredBy[w]++;
  assert.deepEqual(scoredBy, new Array(wordCount).fill(1));
  // A prediction that encodes (window, word): the merge must pick the scoring window's first sub-token.
  const preds = encs.map((e, wi) => e.wordIds.map((w, t) => (w === null ? -1 : wi * 1000 + w * 10 + (t > 0 && e.wordIds[t - 1] === w ? 1 : 0))));
  const [merged] = mergeWindowPredictions(encs, preds);
  merged.forEach((p, w) => {
    const owner = encs.findIndex((e) => w >= e.window.scoreStart && w < e.window.scoreEnd);
    assert.equal(p, owner * 1000 + w * 10);
  });
  return merged;
}

test('a long sentence is split into overlapping windows of whole words, each word scored once', async () => {
  const tok = await bertUncased();
  const lens = [1, 2, 1, 3, 1, 1, 2, 1, 1, 3, 1, 2];
  const words = lens.map((n) => LEN[n]);
  // maxLength 10 → room for 8 tokens; stride 4.
  const encs = await encodeWords(tok, [['the'], words], { maxLength: 10, stride: 4 });
  assert.equal(encs[0].window.count, 1);
  const windows = encs.filter((e) => e.sentence === 1);
  assert.ok(windows.length > 1);
  assert.equal(countSplitSentences(encs), 1);
  // Token counts per word: 1 2 1 3 1 1 2 1 1 3 1 2.
  // Window 0: words 0..4 = 1+2+1+3+1 = 8 tokens. Next start: the longest suffix of ≤ 4 tokens
  // (that still lets word 5 fit): words 3,4 = 4 tokens → start 3; words 3..7 = 3+1+1+2+1 = 8.
  // Then: suffix words 5..7 = 1+2+1 = 4 → start 5, words 5..9 = 1+2+1+1+3 = 8;
  // suffix words 8,9 = 1+3 = 4 → start 8, words 8..11 = 1+3+1+2 = 7 (end of sentence).
  assert.deepEqual(
    windows.map((e) => [e.window.wordStart, e.window.wordEnd]),
    [[0, 5], [3, 8], [5, 10], [8, 12]],
  );
  // Scoring: context = min(tokens before, tokens after) inside the window.
  // Word 3 (well-known): window 0 min(4, 1) = 1, window 1 min(0, 5) = 0 → window 0.
  // Word 4: window 0 min(7, 0) = 0, window 1 min(3, 4) = 3 → window 1.
  // Word 6: window 1 min(5, 1) = 1, window 2 min(1, 5) = 1 → tie, the earlier window 1.
  // Word 7: window 1 min(7, 0) = 0, window 2 min(3, 4) = 3 → window 2.
  // Word 8: window 2 min(4, 3) = 3, window 3 min(0, 6) = 0 → window 2.
  // Word 9: window 2 min(5, 0) = 0, window 3 min(1, 3) = 1 → window 3.
  assert.deepEqual(
    windows.map((e) => [e.window.scoreStart, e.window.scoreEnd]),
    [[0, 4], [4, 7], [7, 9], [9, 12]],
  );
  checkWindows(windows, words.length, 10);
  // wordIds are sentence indices, also in later windows.
  assert.deepEqual(windows[1].wordIds, [null, 3, 3, 3, 4, 5, 6, 6, 7, null]);
});

test('default maxLength is model_max_length; default stride is half the room', async () => {
  const tok = await bertUncased({ model_max_length: 6 }); // room 4, stride 2
  const encs = await encodeWords(tok, [['the', 'the', 'the', 'the', 'the', 'the']]);
  assert.deepEqual(encs.map((e) => [e.window.wordStart, e.window.wordEnd]), [[0, 4], [2, 6]]);
  assert.deepEqual(encs.map((e) => [e.window.scoreStart, e.window.scoreEnd]), [[0, 3], [3, 6]]);
});

test('stride 0: windows meet without overlap', async () => {
  const tok = await bertUncased();
  const encs = await encodeWords(tok, [['the', 'running', 'the', 'the', 'running']], { maxLength: 5, stride: 0 });
  assert.deepEqual(encs.map((e) => [e.window.wordStart, e.window.wordEnd]), [[0, 2], [2, 4], [4, 5]]);
  checkWindows(encs, 5, 5);
});

test('a word longer than a window is a clear error', async () => {
  const tok = await bertUncased();
  await assert.rejects(
    encodeWords(tok, [['the', 'well-known']], { maxLength: 4 }),
    /sentence 0, word 1 \("well-known"\) has 3 tokens, more than fit in one window \(maxLength 4 minus 2 special tokens = 2\)/,
  );
});

test('property: any lengths, maxLength and stride give valid windows and a complete merge', async () => {
  const tok = await bertUncased();
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 40 }),
      fc.integer({ min: 5, max: 14 }),
      fc.integer({ min: 0, max: 100 }),
      async (lens, maxLength, strideSeed) => {
        const room = maxLength - 2;
        const stride = strideSeed % room;
        const words = lens.map((n) => LEN[n]);
        const encs = await encodeWords(tok, [words], { maxLength, stride });
        checkWindows(encs, words.length, maxLength);
        for (let i = 1; i < encs.length; i++) {
          assert.ok(encs[i].window.wordStart > encs[i - 1].window.wordStart);
          assert.ok(encs[i].window.wordStart <= encs[i - 1].window.wordEnd);
        }
      },
    ),
    { numRuns: 300, seed: 42 },
  );
});

test('mergeWindowPredictions: errors and words without tokens', async () => {
  const tok = await bertUncased();
  const encs = await encodeWords(tok, [['the', '\u0000'], ['the']]);
  assert.deepEqual(mergeWindowPredictions(encs, [[0, 7, 0], [0, 8, 0]]), [[7, null], [8]]);
  assert.throws(() => mergeWindowPredictions(encs, [[0, 7, 0]]), /got 1 prediction rows for 2 encodings/);
  assert.throws(() => mergeWindowPredictions(encs, [[0], [0, 8, 0]]), /prediction row 0 has 1 entries for 3 tokens/);
  // Padded prediction rows are fine.
  assert.deepEqual(mergeWindowPredictions(encs, [[0, 7, 0, 0, 0], [0, 8, 0, 0, 0]], { sentenceCount: 3 }), [[7, null], [8], []]);
});
