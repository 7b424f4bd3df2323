import { test } from 'node:test';
import assert from 'node:assert/strict';
import { syntheticNer } from '../../src/data/synthetic.ts';
import type { Dataset } from '../../src/data/dataset.ts';
import type { TaggedRow } from '../../src/data/row.ts';
import { trainWordPiece } from '../../src/tokenize/train.ts';
import { mergeEvaluation, prepareSplit, withWordDropout } from '../../src/train/prepare.ts';

const corpus = syntheticNer({ train: 40, validation: 0, test: 0 });
const base = corpus.get('train') as unknown as Dataset<TaggedRow>;
const labels = base.labels('ner_tags').names;
// One long sentence: five training sentences glued together.
const longRow = { id: 'long', tokens: base.toArray().slice(0, 8).flatMap((r) => r.tokens), ner_tags: base.toArray().slice(0, 8).flatMap((r) => r.ner_tags as number[]) };
const split = base.map((r, i) => (i === 3 ? (longRow as unknown as TaggedRow) : r));

test('prepareSplit: features, windows for a long sentence, word mapping, split count', async () => {
  const tok = await trainWordPiece(split.column('tokens'), { vocabSize: 300, lowercase: false });
  const whole = await prepareSplit(tok, split, 'ner_tags', labels);
  const maxLength = Math.max(...whole.trainFeatures.filter((_, i) => i !== 3).map((f) => f.inputIds.length));
  assert.ok(whole.trainFeatures[3].inputIds.length > 2 * maxLength);
  const p = await prepareSplit(tok, split, 'ner_tags', labels, { maxLength });
  assert.equal(p.sentences, 40);
  assert.equal(p.splitSentences, 1);
  assert.ok(p.windows > 40);
  assert.equal(p.trainFeatures.length, p.windows);
  assert.equal(p.evalFeatures.length, p.windows);
  for (const f of p.trainFeatures) {
    assert.ok(f.inputIds.length <= maxLength);
    assert.equal(f.labels!.length, f.inputIds.length);
  }
  // The long sentence's windows score each of its words exactly once, at the word's first sub-token.
  const win = p.encodings.map((e, i) => ({ e, ef: p.evalFeatures[i] })).filter((x) => x.e.sentence === 3);
  assert.ok(win.length > 1 && win.every((x) => x.e.window.count === win.length));
  const scored: number[] = [];
  for (const { e, ef } of win) {
    ef.wordTokenIndex.forEach((t, k) => {
      const w = e.window.scoreStart + k;
      scored.push(w);
      assert.equal(e.wordIds[t], w);
      assert.ok(t === 0 || e.wordIds[t - 1] !== w, 'first sub-token');
      assert.equal(ef.wordLabels[k], longRow.ner_tags[w]);
      assert.equal(ef.feature.labels![t], longRow.ner_tags[w]);
    });
  }
  assert.deepEqual(scored, longRow.tokens.map((_, i) => i));
  // Merging the gold predictions gives back every sentence whole.
  const gold = p.evalFeatures.map((ef) => ef.wordLabels.map((l) => labels[l]));
  const merged = mergeEvaluation(p, { predictions: gold }, labels);
  assert.equal(merged.predictions.length, 40);
  merged.references.forEach((ref, s) => {
    assert.deepEqual(ref, split.get(s).ner_tags.map((l) => labels[l]));
    assert.deepEqual(merged.predictions[s], ref);
  });
});

test('prepareSplit: --label-all-tokens labels continuations; labelMap remaps ids', async () => {
  const tok = await trainWordPiece(split.column('tokens'), { vocabSize: 120, lowercase: false });
  const first = await prepareSplit(tok, split, 'ner_tags', labels);
  const all = await prepareSplit(tok, split, 'ner_tags', labels, { labelAllTokens: true });
  assert.equal(first.splitSentences, 0);
  const count = (fs: typeof first.trainFeatures) => fs.reduce((n, f) => n + f.labels!.filter((l) => l !== -100).length, 0);
  assert.ok(count(all.trainFeatures) > count(first.trainFeatures));
  const words = split.toArray().reduce((n, r) => n + r.tokens.length, 0);
  assert.equal(count(first.trainFeatures), words);
  const shifted = await prepareSplit(tok, split, 'ner_tags', labels, { labelMap: labels.map((_, i) => (i + 1) % labels.length) });
  assert.deepEqual(shifted.evalFeatures[0].wordLabels, first.evalFeatures[0].wordLabels.map((l) => (l + 1) % labels.length));
});

test('withWordDropout: the originals plus a masked copy, labels kept, deterministic', async () => {
  const tok = await trainWordPiece(split.column('tokens'), { vocabSize: 300, lowercase: false });
  const p = await prepareSplit(tok, split, 'ner_tags', labels, { maxLength: 32 });
  const unkId = tok.tokenToId('[UNK]')!;
  const a = withWordDropout(p, { rate: 0.3, unkId, seed: 1 });
  assert.equal(a.length, 2 * p.trainFeatures.length);
  assert.deepEqual(a.slice(0, p.trainFeatures.length), p.trainFeatures);
  const copy = a.slice(p.trainFeatures.length);
  const masked = copy.reduce((n, f) => n + f.inputIds.filter((id) => id === unkId).length, 0);
  const total = copy.reduce((n, f) => n + f.inputIds.length, 0);
  assert.ok(masked > 0.1 * total && masked < 0.4 * total, `${masked} of ${total}`);
  copy.forEach((f, i) => assert.deepEqual(f.labels, p.trainFeatures[i].labels));
  assert.deepEqual(withWordDropout(p, { rate: 0.3, unkId, seed: 1 }), a);
  assert.equal(withWordDropout(p, { rate: 0, unkId }), p.trainFeatures);
  assert.throws(() => withWordDropout(p, { rate: 1, unkId }), /\[0, 1\)/);
});
