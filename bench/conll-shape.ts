/**
 * A corpus with CoNLL-2003's sentence lengths, made from the synthetic corpus: for the product
 * comparison of bench/train.ts, where what batching does depends on how much sentence lengths
 * vary (padding, length grouping).
 *
 * CoNLL-2003 itself cannot be fetched here. Its English train split has 14,041 sentences and
 * 203,621 tokens (mean 14.5), from one-word lines (bylines, scores) to 113 tokens; LENGTH_CDF
 * below approximates that distribution (a quarter of the sentences at most 4 tokens, half at
 * most 12, 5 % over 40). Each target length is filled with whole synthetic sentences, the last
 * one cut at the end (a prefix of IOB2 tags is valid IOB2).
 */
import { Rng } from '../src/data/rng.ts';

/** (length in words, share of sentences at most that long), increasing; the last share is 1. */
export const LENGTH_CDF: readonly (readonly [number, number])[] = [
  [1, 0.05], [2, 0.15], [3, 0.21], [4, 0.26], [5, 0.3], [6, 0.34], [7, 0.37], [8, 0.4], [10, 0.46], [12, 0.52],
  [15, 0.6], [20, 0.72], [25, 0.81], [30, 0.87], [35, 0.915], [40, 0.948], [50, 0.978], [60, 0.992], [80, 0.999], [113, 1],
];

/** A length drawn from LENGTH_CDF (uniform within each step of the table). */
export function drawLength(rng: Rng): number {
  const u = rng.nextFloat();
  let prevLen = 0;
  let prevP = 0;
  for (const [len, p] of LENGTH_CDF) {
    if (u < p) return prevLen + 1 + Math.floor(((u - prevP) / (p - prevP)) * (len - prevLen));
    prevLen = len;
    prevP = p;
  }
  return LENGTH_CDF.at(-1)![0];
}

export interface Tagged {
  readonly tokens: readonly string[];
  readonly ner_tags: readonly number[];
}

/** `count` sentences with lengths drawn from LENGTH_CDF, built from `source` (cycled, in a seeded order). */
export function conllShaped(source: readonly Tagged[], count: number, seed: number): Tagged[] {
  const rng = new Rng(seed);
  const out: Tagged[] = [];
  let k = 0;
  for (let i = 0; i < count; i++) {
    const target = drawLength(rng);
    const tokens: string[] = [];
    const tags: number[] = [];
    while (tokens.length < target) {
      const s = source[k++ % source.length]!;
      tokens.push(...s.tokens);
      tags.push(...s.ner_tags);
    }
    out.push({ tokens: tokens.slice(0, target), ner_tags: tags.slice(0, target) });
  }
  return out;
}
