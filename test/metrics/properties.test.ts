// Property tests: invariants any correct seqeval port must keep.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  accuracyScore,
  classificationReportDict,
  f1Score,
  precisionRecallFscoreSupport,
  seqevalCompute,
  type Scheme,
} from '../../src/metrics/index.ts';

const TYPES = ['PER', 'LOC', 'ORG', 'MISC'];
const anyTag = fc.oneof(
  fc.constant('O'),
  fc.tuple(fc.constantFrom('B', 'I', 'E', 'S'), fc.constantFrom(...TYPES)).map(([p, t]) => `${p}-${t}`),
);
const corpus = fc.array(fc.array(anyTag, { maxLength: 12 }), { maxLength: 15 });

/** Well-formed IOB2 sentences: runs of B- I-* of one type, separated by O or another B-. */
const iob2Sentence = fc
  .array(fc.oneof(fc.constant(['O']), fc.tuple(fc.constantFrom(...TYPES), fc.nat(3)).map(([t, n]) => [`B-${t}`, ...Array(n).fill(`I-${t}`)])), {
    maxLength: 6,
  })
  .map((parts) => parts.flat());

function permute<T>(items: readonly T[], seed: number): T[] {
  const out = items.slice();
  let s = seed >>> 0;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

const hasEntity = (c: string[][]): boolean => c.some((s) => s.some((t) => t !== 'O'));

test('a corpus scored against itself is perfect whenever it has entities', () => {
  fc.assert(
    fc.property(corpus, (c) => {
      fc.pre(hasEntity(c));
      for (const average of ['micro', 'macro', 'weighted'] as const) {
        assert.deepEqual(precisionRecallFscoreSupport(c, c, { average }).fScore, 1);
      }
      assert.equal(accuracyScore(c, c), 1);
    }),
  );
});

test('strict mode: well-formed IOB2 against itself is perfect in IOB2 and auto-detected schemes', () => {
  fc.assert(
    fc.property(fc.array(iob2Sentence, { minLength: 1, maxLength: 10 }), (c) => {
      fc.pre(hasEntity(c));
      const scheme: Scheme = 'IOB2';
      assert.equal(f1Score(c, c, { mode: 'strict', scheme }), 1);
      const r = seqevalCompute(c, c, { mode: 'strict' });
      assert.equal(r.overall_f1, 1);
    }),
  );
});

test('permuting sentences (consistently in gold and prediction) changes nothing', () => {
  fc.assert(
    fc.property(
      corpus.chain((gold) =>
        fc.tuple(fc.constant(gold), fc.tuple(...gold.map((s) => fc.array(anyTag, { minLength: s.length, maxLength: s.length }))), fc.nat()),
      ),
      ([gold, pred, seed]) => {
        const pairs = gold.map((g, i) => [g, pred[i]] as const);
        const shuffled = permute(pairs, seed);
        const g2 = shuffled.map((p) => p[0]);
        const p2 = shuffled.map((p) => p[1]);
        assert.deepEqual(classificationReportDict(g2, p2, { zeroDivision: 0 }), classificationReportDict(gold, pred, { zeroDivision: 0 }));
        if (gold.some((s) => s.length > 0)) assert.equal(accuracyScore(g2, p2), accuracyScore(gold, pred));
      },
    ),
  );
});

test('F1 lies between precision and recall (per type and micro)', () => {
  fc.assert(
    fc.property(corpus, corpus, (a, b) => {
      // Pair sentences of equal length: cut both to the shorter of each pair.
      const n = Math.min(a.length, b.length);
      const gold = a.slice(0, n).map((s, i) => s.slice(0, Math.min(s.length, b[i].length)));
      const pred = b.slice(0, n).map((s, i) => s.slice(0, gold[i].length));
      const per = precisionRecallFscoreSupport(gold, pred, { average: 'none', zeroDivision: 0 });
      const micro = precisionRecallFscoreSupport(gold, pred, { zeroDivision: 0 });
      const rows: [number, number, number][] = per.types.map((_, i) => [per.precision[i], per.recall[i], per.fScore[i]]);
      rows.push([micro.precision, micro.recall, micro.fScore]);
      for (const [p, r, f] of rows) {
        assert.ok(f >= Math.min(p, r) - 1e-12 && f <= Math.max(p, r) + 1e-12, `p=${p} r=${r} f=${f}`);
      }
    }),
  );
});
