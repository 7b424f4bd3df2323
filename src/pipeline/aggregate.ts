/**
 * Post-processing of the token-classification pipeline, with Hugging Face
 * `TokenClassificationPipeline` semantics (transformers token_classification.py):
 * `gather_pre_entities` → `aggregate` (NONE/SIMPLE per token, FIRST/AVERAGE/MAX via
 * `aggregate_words`) → `group_entities` → `ignore_labels` filter (after grouping); and
 * `aggregate_overlapping_entities` for strided windows. Pure functions, no I/O.
 *
 * Numerics: numpy computes in float32. Scores here are plain JS numbers holding float32 values;
 * sums are accumulated in float32 in numpy's order (sequential below 8 items, numpy's pairwise
 * 8-way unrolled sum above), means are `fround(sum / count)` as numpy's `_divide_by_count`.
 * The only remaining difference is `exp` in `softmax` (numpy's SIMD float32 exp is not correctly
 * rounded; we use `fround(Math.exp(x))`): at most a couple of float32 ulps.
 *
 * Offsets: `start`/`end` are UTF-16 code-unit indices into `text` (JS string indices), not the
 * code-point indices Python reports. See docs/pipeline-aggregation.md.
 */
import type {
  AggregateOptions,
  GroupedEntity,
  TokenEntity,
  TokenizedPrediction,
  TokenizerFacts,
} from './types.ts';
import { codePointToUtf16 } from './text.ts';
import { bioViterbi } from './viterbi.ts';

export type {
  AggregateOptions,
  AggregationStrategy,
  GroupedEntity,
  TokenEntity,
  TokenizedPrediction,
  TokenizerFacts,
  ViterbiScheme,
} from './types.ts';
export { bioViterbi } from './viterbi.ts';

const f32 = Math.fround;

// ---------------------------------------------------------------------------------------------
// numpy-compatible float32 primitives

/** numpy's `pairwise_sum` for float32 (what `np.sum` does on a contiguous 1-D float32 array). */
export function sumFloat32(a: ArrayLike<number>, from = 0, n = a.length - from): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res = f32(res + a[from + i]);
    return res;
  }
  if (n <= 128) {
    const r = new Array<number>(8);
    for (let j = 0; j < 8; j++) r[j] = f32(a[from + j]);
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] = f32(r[j] + a[from + i + j]);
    let res = f32(
      f32(f32(r[0] + r[1]) + f32(r[2] + r[3])) + f32(f32(r[4] + r[5]) + f32(r[6] + r[7])),
    );
    for (; i < n; i++) res = f32(res + a[from + i]);
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return f32(sumFloat32(a, from, n2) + sumFloat32(a, from + n2, n - n2));
}

/** `np.nanmean` of float32 values (1-D): NaNs count as 0 in the sum and are excluded from the count. */
function nanmean32(values: readonly number[]): number {
  let count = 0;
  const cleaned = values.map((v) => {
    if (Number.isNaN(v)) return 0;
    count++;
    return v;
  });
  return count === 0 ? NaN : f32(sumFloat32(cleaned) / count);
}

/** `np.argmax`: first index of the maximum; a NaN counts as the maximum (first NaN wins). */
function argmax(row: ArrayLike<number>): number {
  let arg = 0;
  if (Number.isNaN(row[0])) return 0;
  for (let j = 1; j < row.length; j++) {
    if (Number.isNaN(row[j])) return j;
    if (row[j] > row[arg]) arg = j;
  }
  return arg;
}

/** `np.max` of a row (NaN propagates). */
function rowMax(row: ArrayLike<number>): number {
  let m = row[0];
  for (let j = 0; j < row.length; j++) {
    if (Number.isNaN(row[j])) return NaN;
    if (row[j] > m) m = row[j];
  }
  return m;
}

/**
 * Row-wise softmax of a flat `[numTokens * numLabels]` logits buffer, as the HF pipeline does it:
 * `exp(l - max) / sum(exp(l - max))` in float32.
 */
export function softmax(logits: Float32Array, numLabels: number): Float32Array[] {
  if (!Number.isInteger(numLabels) || numLabels <= 0) throw new RangeError(`softmax: numLabels must be a positive integer, got ${numLabels}`);
  if (logits.length % numLabels !== 0) {
    throw new RangeError(`softmax: ${logits.length} logits is not a multiple of ${numLabels} labels`);
  }
  const rows: Float32Array[] = [];
  const e = new Float32Array(numLabels);
  for (let off = 0; off < logits.length; off += numLabels) {
    const m = rowMax(logits.subarray(off, off + numLabels));
    for (let j = 0; j < numLabels; j++) e[j] = Math.exp(f32(logits[off + j] - m)); // stored as float32
    const s = sumFloat32(e);
    const out = new Float32Array(numLabels);
    for (let j = 0; j < numLabels; j++) out[j] = e[j] / s; // float32 store = fround of the quotient
    rows.push(out);
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// offsets

/**
 * Converts code-point offsets (what Python / HF report) into UTF-16 code-unit offsets into the
 * same `text` (what `TokenizedPrediction.offsets` must hold). Offsets past the end clamp to it.
 */
export function codePointOffsetsToUtf16(
  text: string,
  offsets: readonly (readonly [number, number])[],
): [number, number][] {
  const conv = codePointToUtf16(text); // null: no astral characters, code points are code units
  const at = (cp: number) => (conv ? conv(Math.max(cp, 0)) : Math.min(Math.max(cp, 0), text.length));
  return offsets.map(([s, e]) => [at(s), at(e)]);
}

/** UTF-16 code-unit index → code-point index in `text` (to report Python-style offsets). */
export function utf16ToCodePointIndex(text: string, index: number): number {
  let cp = 0;
  for (let u = 0; u < index && u < text.length; cp++) {
    const c = text.charCodeAt(u);
    u += c >= 0xd800 && c <= 0xdbff && u + 1 < text.length ? 2 : 1;
  }
  return cp;
}

function codePointLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// gather_pre_entities

interface PreEntity {
  word: string;
  probs: Float32Array;
  start: number | null;
  end: number | null;
  index: number;
  isSubword: boolean;
}

function gatherPreEntities(p: TokenizedPrediction, tok: TokenizerFacts, useWordIds: boolean): PreEntity[] {
  const n = p.inputIds.length;
  if (p.tokens.length !== n || p.probs.length !== n || p.specialTokensMask.length !== n) {
    throw new RangeError(
      `postprocess: inputIds (${n}), tokens (${p.tokens.length}), probs (${p.probs.length}) and specialTokensMask (${p.specialTokensMask.length}) must have the same length`,
    );
  }
  const wordIds = useWordIds && p.wordIds ? p.wordIds : undefined;
  const out: PreEntity[] = [];
  let prevWordId: number | null | undefined;
  for (let idx = 0; idx < n; idx++) {
    if (p.specialTokensMask[idx]) continue;
    let word = p.tokens[idx];
    let start: number | null = null;
    let end: number | null = null;
    let isSubword = false;
    const off = p.offsets[idx];
    if (off !== undefined) {
      [start, end] = off;
      const wordRef = p.text.slice(start, end);
      if (tok.continuingSubwordPrefix) {
        // word-aware tokenizer: '##soft' (6) vs 'soft' (4). Python len() counts code points.
        isSubword = codePointLength(word) !== codePointLength(wordRef);
      } else {
        // fallback heuristic (PR #12611/#18402): a word starts iff the previous char or the
        // token's own first char is a space. (UTF-16 slicing is equivalent here: a space is one
        // code unit and surrogate halves are never spaces.)
        isSubword = start > 0 && !p.text.slice(start - 1, start + 1).includes(' ');
      }
      if (p.inputIds[idx] === tok.unkTokenId) {
        word = wordRef;
        isSubword = false;
      }
    }
    if (wordIds) {
      // deliberate improvement (transformers#33579): same word id as the previous kept token
      const wid = wordIds[idx] ?? null;
      isSubword = wid !== null && out.length > 0 && prevWordId === wid;
      prevWordId = wid;
    }
    out.push({ word, probs: p.probs[idx], start, end, index: idx, isSubword });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// aggregation

interface LabelledUnit {
  entity: string;
  score: number;
  word: string;
  start: number | null;
  end: number | null;
}

function labelOf(id2label: readonly string[], idx: number): string {
  const label = id2label[idx];
  if (label === undefined) throw new RangeError(`postprocess: no label for id ${idx} (id2label has ${id2label.length})`);
  return label;
}

/** Label ids per unit: argmax, or the constrained Viterbi path over log-probabilities. */
function chooseLabels(dists: readonly ArrayLike<number>[], id2label: readonly string[], opts: AggregateOptions): number[] {
  if (!opts.viterbi) return dists.map(argmax);
  const logs = dists.map((d) => Float64Array.from(d as ArrayLike<number>, (v) => Math.log(v)));
  return bioViterbi(logs, id2label, opts.viterbi);
}

/** `aggregate_word`'s distribution choice: FIRST → first token; MAX → most confident token; AVERAGE → nanmean. */
function wordDistribution(tokens: readonly PreEntity[], strategy: 'first' | 'average' | 'max'): ArrayLike<number> {
  if (strategy === 'first') return tokens[0].probs;
  if (strategy === 'max') {
    // Python max(key=...) keeps the first maximal element; NaN keys never win a comparison.
    let best = tokens[0];
    let bestKey = rowMax(best.probs);
    for (let i = 1; i < tokens.length; i++) {
      const k = rowMax(tokens[i].probs);
      if (k > bestKey) {
        best = tokens[i];
        bestKey = k;
      }
    }
    return best.probs;
  }
  // np.nanmean(np.stack(scores), axis=0): per label, sequential float32 sum of non-NaN values.
  const L = tokens[0].probs.length;
  const avg = new Float32Array(L);
  for (let j = 0; j < L; j++) {
    let s = 0;
    let c = 0;
    for (const t of tokens) {
      const v = t.probs[j];
      if (Number.isNaN(v)) continue;
      s = f32(s + v);
      c++;
    }
    avg[j] = c === 0 ? NaN : s / c;
  }
  return avg;
}

function aggregateWords(
  pre: readonly PreEntity[],
  id2label: readonly string[],
  tok: TokenizerFacts,
  opts: AggregateOptions & { strategy: 'first' | 'average' | 'max' },
): LabelledUnit[] {
  const groups: PreEntity[][] = [];
  for (const e of pre) {
    if (groups.length === 0 || !e.isSubword) groups.push([e]);
    else groups[groups.length - 1].push(e);
  }
  const dists = groups.map((g) => wordDistribution(g, opts.strategy));
  const labels = chooseLabels(dists, id2label, opts);
  return groups.map((g, i) => ({
    entity: labelOf(id2label, labels[i]),
    score: dists[i][labels[i]],
    word: tok.tokensToString(g.map((t) => t.word)),
    start: g[0].start,
    end: g[g.length - 1].end,
  }));
}

/** HF `get_tag`: B-X → (B, X); I-X → (I, X); anything else → (I, label). */
export function getTag(label: string): ['B' | 'I', string] {
  if (label.startsWith('B-')) return ['B', label.slice(2)];
  if (label.startsWith('I-')) return ['I', label.slice(2)];
  return ['I', label];
}

function groupSubEntities(units: readonly LabelledUnit[], tok: TokenizerFacts): GroupedEntity {
  const first = units[0].entity;
  const dash = first.indexOf('-');
  return {
    entity_group: dash < 0 ? first : first.slice(dash + 1), // split('-', 1)[-1]
    score: nanmean32(units.map((u) => u.score)),
    word: tok.tokensToString(units.map((u) => u.word)),
    start: units[0].start,
    end: units[units.length - 1].end,
  };
}

/** HF `group_entities`: a unit joins the open group iff `tag == last_tag && bi != 'B'`. */
function groupEntities(units: readonly LabelledUnit[], tok: TokenizerFacts): GroupedEntity[] {
  const groups: GroupedEntity[] = [];
  let open: LabelledUnit[] = [];
  for (const u of units) {
    if (open.length === 0) {
      open.push(u);
      continue;
    }
    const [bi, tag] = getTag(u.entity);
    const [, lastTag] = getTag(open[open.length - 1].entity);
    if (tag === lastTag && bi !== 'B') open.push(u);
    else {
      groups.push(groupSubEntities(open, tok));
      open = [u];
    }
  }
  if (open.length > 0) groups.push(groupSubEntities(open, tok));
  return groups;
}

/**
 * One window's post-processing (HF `postprocess` for one chunk): special tokens skipped,
 * strategy applied, `ignoreLabels` (default `['O']`) filtered after grouping.
 */
export function postprocess(
  p: TokenizedPrediction,
  id2label: readonly string[],
  tok: TokenizerFacts,
  opts: AggregateOptions & { strategy: 'none' },
): TokenEntity[];
export function postprocess(
  p: TokenizedPrediction,
  id2label: readonly string[],
  tok: TokenizerFacts,
  opts: AggregateOptions & { strategy: 'simple' | 'first' | 'average' | 'max' },
): GroupedEntity[];
export function postprocess(
  p: TokenizedPrediction,
  id2label: readonly string[],
  tok: TokenizerFacts,
  opts: AggregateOptions,
): TokenEntity[] | GroupedEntity[];
export function postprocess(
  p: TokenizedPrediction,
  id2label: readonly string[],
  tok: TokenizerFacts,
  opts: AggregateOptions,
): TokenEntity[] | GroupedEntity[] {
  const ignore = new Set(opts.ignoreLabels ?? ['O']);
  const strategy = opts.strategy;
  const pre = gatherPreEntities(p, tok, opts.useWordIds === true);
  for (const e of pre) {
    if (e.probs.length !== id2label.length) {
      throw new RangeError(`postprocess: token ${e.index} has ${e.probs.length} probabilities but id2label has ${id2label.length} labels`);
    }
  }
  if (strategy === 'none' || strategy === 'simple') {
    const labels = chooseLabels(pre.map((e) => e.probs), id2label, opts);
    const tokens: TokenEntity[] = pre.map((e, i) => ({
      entity: labelOf(id2label, labels[i]),
      score: e.probs[labels[i]],
      index: e.index,
      word: e.word,
      start: e.start,
      end: e.end,
    }));
    if (strategy === 'none') return tokens.filter((t) => !ignore.has(t.entity));
    return groupEntities(tokens, tok).filter((g) => !ignore.has(g.entity_group));
  }
  if (strategy !== 'first' && strategy !== 'average' && strategy !== 'max') {
    throw new RangeError(`postprocess: unknown aggregation strategy ${JSON.stringify(strategy)} (none|simple|first|average|max)`);
  }
  const words = aggregateWords(pre, id2label, tok, { ...opts, strategy });
  return groupEntities(words, tok).filter((g) => !ignore.has(g.entity_group));
}

/**
 * HF `aggregate_overlapping_entities` (stride): sort by `start` (stable); an entity starting
 * inside the kept one (`prev.start <= e.start < prev.end`) replaces it iff longer, or equally
 * long with a higher score; otherwise the kept one is emitted. Deviation: HF compares the first
 * entity with itself, which duplicates it when it is zero-length; we start from the second.
 */
export function aggregateOverlappingEntities(entities: GroupedEntity[]): GroupedEntity[] {
  if (entities.length === 0) return entities;
  for (const e of entities) {
    if (e.start === null || e.end === null) {
      throw new RangeError('aggregateOverlappingEntities: every entity needs start/end offsets');
    }
  }
  const sorted = [...entities].sort((a, b) => (a.start as number) - (b.start as number));
  const out: GroupedEntity[] = [];
  let prev = sorted[0];
  for (let i = 1; i < sorted.length; i++) {
    const e = sorted[i];
    const ps = prev.start as number;
    const pe = prev.end as number;
    const es = e.start as number;
    if (ps <= es && es < pe) {
      const cur = (e.end as number) - es;
      const prevLen = pe - ps;
      if (cur > prevLen || (cur === prevLen && e.score > prev.score)) prev = e;
    } else {
      out.push(prev);
      prev = e;
    }
  }
  out.push(prev);
  return out;
}
