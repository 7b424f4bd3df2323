/**
 * `encodeWords`: pre-split sentences → model inputs with `wordIds`, as Python's
 * `tokenizer(words, is_split_into_words=True)` gives them, plus overlapping windows of whole
 * words for sentences longer than the model allows (never a silent cut).
 */
import { TokentagError } from '../errors.ts';
import type { WordPieces, WordTokenizer } from './types.ts';

/** Which words of its sentence a window holds, and which of them it is responsible for. */
export interface WindowInfo {
  /** 0-based window number within the sentence. */
  readonly index: number;
  /** How many windows the sentence was split into (1: not split). */
  readonly count: number;
  /** Words `[start, end)` of the sentence that this window's tokens cover. */
  readonly wordStart: number;
  readonly wordEnd: number;
  /**
   * Words `[start, end)` this window scores: each word of the sentence belongs to exactly one
   * window, the one where it has the most context on its poorer side (see `encodeWords`).
   */
  readonly scoreStart: number;
  readonly scoreEnd: number;
}

export interface Encoding {
  /** Index of the sentence in the input of `encodeWords`. */
  readonly sentence: number;
  /** Number of words in the whole sentence (not only this window). */
  readonly wordCount: number;
  readonly inputIds: number[];
  readonly attentionMask: number[];
  /** Token type ids from the post-processor's template (all 0 for a single sequence). */
  readonly typeIds: number[];
  /** The index of the token's word **in the sentence** (also in later windows); `null` for special tokens. */
  readonly wordIds: (number | null)[];
  /** `[start, end)` character offsets inside the token's word (HF's pretokenized offsets); `[0, 0]` for special tokens. */
  readonly offsets: [number, number][];
  /** 1 for tokens added by the post-processor (`[CLS]`, `</s>`), else 0. */
  readonly specialTokensMask: number[];
  readonly tokens: string[];
  readonly window: WindowInfo;
}

export interface EncodeWordsOptions {
  /**
   * Maximum tokens per encoding, special tokens included. Defaults to the tokenizer's
   * `model_max_length` when known, otherwise no limit; `null`: no limit whatever the tokenizer
   * says. A longer sentence is split into windows.
   */
  maxLength?: number | null;
  /**
   * Overlap between consecutive windows, in **tokens** (as HF's `stride`): the next window
   * starts at the earliest word such that the words it shares with the previous window have at
   * most `stride` tokens. Whole words only, so the real overlap can be smaller. Default: half of
   * the room for words (`(maxLength − special tokens) / 2`, rounded down). Must be smaller than
   * that room.
   */
  stride?: number;
}

/**
 * Tokenizes pre-split sentences. Every word is encoded on its own (each unique word once, in
 * one `encodeBatch` call), then each sentence is assembled: ids, tokens and offsets of its
 * words, `wordIds` from the per-word token counts, and the post-processor's special tokens
 * around it. The result equals Python's `is_split_into_words=True` output.
 *
 * With a length limit, a sentence that does not fit is split into windows of whole words that
 * overlap by up to `stride` tokens; each window has its own special tokens. Every word is scored
 * by exactly one window: among the windows that hold it, the one where the smaller of its
 * left and right context (in tokens) is largest (ties: the earlier window). Windows come in
 * sentence order; `countSplitSentences` counts sentences that needed more than one.
 * A single word with more tokens than fit in a window is an error.
 */
export async function encodeWords(
  tokenizer: WordTokenizer,
  sentences: readonly (readonly string[])[],
  options: EncodeWordsOptions = {},
): Promise<Encoding[]> {
  const flat: string[] = [];
  for (let s = 0; s < sentences.length; s++) {
    const words = sentences[s];
    if (!Array.isArray(words)) throw new TokentagError(`sentence ${s} is not an array of words`);
    for (const w of words) flat.push(w);
  }
  const pieces = await tokenizer.encodeWordPieces(flat);

  const maxLength = options.maxLength === null ? undefined : (options.maxLength ?? tokenizer.modelMaxLength);
  const nSpecial = tokenizer.numSpecialTokens;
  let room = Infinity;
  let stride = 0;
  if (maxLength !== undefined) {
    if (!Number.isInteger(maxLength) || maxLength <= nSpecial) {
      throw new TokentagError(`maxLength must be an integer above the ${nSpecial} special tokens, got ${maxLength}`);
    }
    room = maxLength - nSpecial;
    stride = options.stride ?? Math.floor(room / 2);
    if (!Number.isInteger(stride) || stride < 0 || stride >= room) {
      throw new TokentagError(`stride must be an integer in 0..${room - 1} (maxLength ${maxLength} minus ${nSpecial} special tokens, minus 1), got ${stride}`);
    }
  } else if (options.stride !== undefined) {
    throw new TokentagError('stride needs maxLength (or a tokenizer with model_max_length)');
  }

  const out: Encoding[] = [];
  let k = 0;
  for (let s = 0; s < sentences.length; s++) {
    const n = sentences[s].length;
    const wp = pieces.slice(k, k + n);
    k += n;
    let total = 0;
    for (const p of wp) total += p.ids.length;
    if (total <= room) {
      out.push(assemble(tokenizer, s, wp, 0, n, { index: 0, count: 1, wordStart: 0, wordEnd: n, scoreStart: 0, scoreEnd: n }));
      continue;
    }
    for (const w of windowsOf(wp, room, stride, s, sentences[s], maxLength!, nSpecial)) out.push(assemble(tokenizer, s, wp, w.wordStart, w.wordEnd, w));
  }
  return out;
}

/** Number of sentences that were split into more than one window. */
export function countSplitSentences(encodings: readonly Encoding[]): number {
  let n = 0;
  for (const e of encodings) if (e.window.index === 0 && e.window.count > 1) n++;
  return n;
}

function windowsOf(
  wp: readonly WordPieces[],
  room: number,
  stride: number,
  sentence: number,
  words: readonly string[],
  maxLength: number,
  nSpecial: number,
): WindowInfo[] {
  const n = wp.length;
  const len = wp.map((p) => p.ids.length);
  for (let i = 0; i < n; i++) {
    if (len[i] > room) {
      throw new TokentagError(
        `sentence ${sentence}, word ${i} (${JSON.stringify(words[i].length > 40 ? words[i].slice(0, 40) + '…' : words[i])}) has ${len[i]} tokens, ` +
          `more than fit in one window (maxLength ${maxLength} minus ${nSpecial} special tokens = ${room})`,
      );
    }
  }
  const spans: [number, number][] = [];
  let start = 0;
  for (;;) {
    let end = start;
    let used = 0;
    while (end < n && used + len[end] <= room) used += len[end++];
    spans.push([start, end]);
    if (end >= n) break;
    // Next start: earliest word after `start` whose suffix up to `end` has ≤ stride tokens and
    // that still leaves room for word `end`.
    let next = end;
    let overlap = 0;
    while (next - 1 > start && overlap + len[next - 1] <= stride && overlap + len[next - 1] + len[end] <= room) overlap += len[--next];
    start = next;
  }
  // Token position of each word's first token and after its last token, per window.
  const owner = new Array<number>(n).fill(-1);
  const best = new Array<number>(n).fill(-1);
  spans.forEach(([a, b], wi) => {
    let before = 0;
    let windowTokens = 0;
    for (let i = a; i < b; i++) windowTokens += len[i];
    for (let i = a; i < b; i++) {
      const after = windowTokens - before - len[i];
      const context = Math.min(before, after);
      if (context > best[i]) {
        best[i] = context;
        owner[i] = wi;
      }
      before += len[i];
    }
  });
  // Keep ownership monotone so that each window scores a contiguous run of words.
  for (let i = 1; i < n; i++) if (owner[i] < owner[i - 1]) owner[i] = owner[i - 1];
  return spans.map(([a, b], wi) => {
    let scoreStart = owner.indexOf(wi);
    let scoreEnd = owner.lastIndexOf(wi) + 1;
    if (scoreStart < 0) scoreStart = scoreEnd = a; // a window that scores nothing (possible with a large stride)
    return { index: wi, count: spans.length, wordStart: a, wordEnd: b, scoreStart, scoreEnd };
  });
}

function assemble(tokenizer: WordTokenizer, sentence: number, wp: readonly WordPieces[], from: number, to: number, window: WindowInfo): Encoding {
  const t = tokenizer.template;
  const inputIds: number[] = [...t.prefixIds];
  const tokens: string[] = [...t.prefixTokens];
  const typeIds: number[] = [...t.prefixTypeIds];
  const wordIds: (number | null)[] = t.prefixIds.map(() => null);
  const offsets: [number, number][] = t.prefixIds.map(() => [0, 0]);
  const specialTokensMask: number[] = t.prefixIds.map(() => 1);
  const typeId = t.sequenceTypeId;
  for (let w = from; w < to; w++) {
    const p = wp[w];
    for (let j = 0; j < p.ids.length; j++) {
      inputIds.push(p.ids[j]);
      tokens.push(p.tokens[j]);
      typeIds.push(typeId);
      wordIds.push(w);
      offsets.push([p.offsets[j][0], p.offsets[j][1]]);
      specialTokensMask.push(0);
    }
  }
  for (let j = 0; j < t.suffixIds.length; j++) {
    inputIds.push(t.suffixIds[j]);
    tokens.push(t.suffixTokens[j]);
    typeIds.push(t.suffixTypeIds[j]);
    wordIds.push(null);
    offsets.push([0, 0]);
    specialTokensMask.push(1);
  }
  return {
    sentence,
    wordCount: wp.length,
    inputIds,
    attentionMask: inputIds.map(() => 1),
    typeIds,
    wordIds,
    offsets,
    specialTokensMask,
    tokens,
    window,
  };
}

export interface MergeOptions {
  /** Number of sentences (default: one more than the highest `sentence` in the encodings). */
  sentenceCount?: number;
}

/**
 * Turns per-window, per-token predictions (label ids, one array per encoding, aligned with its
 * `inputIds`; extra padding positions are ignored) into one prediction per word of each
 * sentence: the prediction at the word's **first sub-token**, taken from the window responsible
 * for scoring it. A word that produced no tokens (e.g. only control characters) gets `null`.
 */
export function mergeWindowPredictions(
  encodings: readonly Encoding[],
  predictions: readonly (ArrayLike<number>)[],
  options: MergeOptions = {},
): (number | null)[][] {
  if (predictions.length !== encodings.length) {
    throw new TokentagError(`got ${predictions.length} prediction rows for ${encodings.length} encodings; expected one per encoding`);
  }
  let count = options.sentenceCount ?? 0;
  if (options.sentenceCount === undefined) for (const e of encodings) count = Math.max(count, e.sentence + 1);
  const out: (number | null)[][] = new Array(count);
  for (let i = 0; i < encodings.length; i++) {
    const e = encodings[i];
    const pred = predictions[i];
    if (pred.length < e.inputIds.length) {
      throw new TokentagError(`prediction row ${i} has ${pred.length} entries for ${e.inputIds.length} tokens`);
    }
    if (e.sentence >= count) throw new TokentagError(`encoding ${i} is for sentence ${e.sentence}, beyond sentenceCount ${count}`);
    const row = (out[e.sentence] ??= new Array<number | null>(e.wordCount).fill(null));
    const { scoreStart, scoreEnd } = e.window;
    let prev: number | null = null;
    for (let t = 0; t < e.wordIds.length; t++) {
      const w = e.wordIds[t];
      if (w !== null && w !== prev && w >= scoreStart && w < scoreEnd) row[w] = pred[t];
      prev = w;
    }
  }
  for (let s = 0; s < count; s++) out[s] ??= [];
  return out;
}
