/**
 * Raw-text encoding for the token-classification pipeline: the tokenizer's ids, tokens and
 * offsets (converted to UTF-16 code units of the ORIGINAL string), and overlapping windows for
 * texts longer than the model can read.
 *
 * The `tokenizers` binding reports offsets in Unicode code points (`'😀 Paris'` gives `Paris` at
 * [2, 7], while `'😀 Paris'.slice(3, 8)` is `Paris` in JavaScript), so every offset goes through
 * {@link utf16Offsets} before it leaves this file.
 */
import { TokentagError } from '../errors.ts';
import type { FastTokenizer } from '../tokenize/index.ts';
import { isAsciiPunct } from '../tokenize/plain-wordpiece.ts';

/** One model input: a window of one text, with its special tokens. */
export interface TextWindow {
  /** Index of the text in the call. */
  readonly textIndex: number;
  /** Window number within the text and the number of windows of the text. */
  readonly window: number;
  readonly windowCount: number;
  /** Position of the window's first (non-special) token in the text's token sequence. */
  readonly tokenStart: number;
  readonly inputIds: number[];
  readonly typeIds: number[];
  readonly tokens: string[];
  /** `[start, end)` in UTF-16 code units of the original text; `[0, 0]` for special tokens. */
  readonly offsets: [number, number][];
  readonly specialTokensMask: number[];
}

/** A text's tokens without special tokens (offsets already UTF-16). */
export interface TextTokens {
  readonly ids: number[];
  readonly tokens: string[];
  readonly offsets: [number, number][];
}

const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * Maps code-point offsets (as the binding reports them) to UTF-16 offsets into `text`. Returns
 * the identity (no work) when the text has no characters outside the BMP.
 */
export function codePointToUtf16(text: string): ((cp: number) => number) | null {
  if (!SURROGATE.test(text)) return null;
  const map: number[] = [];
  let u = 0;
  for (const ch of text) {
    map.push(u);
    u += ch.length;
  }
  map.push(u);
  return (cp) => map[Math.min(cp, map.length - 1)]!;
}

/** Converts `[start, end)` code-point offsets into UTF-16 code-unit offsets of `text`, in place. */
export function utf16Offsets(text: string, offsets: [number, number][]): [number, number][] {
  const conv = codePointToUtf16(text);
  if (conv) for (const o of offsets) { o[0] = conv(o[0]); o[1] = conv(o[1]); }
  return offsets;
}

/**
 * Tokenizes texts (no special tokens). Texts a BERT-style tokenizer would split into words by
 * whitespace and ASCII punctuation alone (see {@link asciiWordSplitter}) are split here and
 * their words looked up in the tokenizer's word cache (unseen words go to the Rust library in
 * one batch): the same tokens and offsets as encoding the whole text, without a round trip to
 * the library for every text. Every other text is encoded whole by the library, in one batch.
 */
export async function tokenizeTexts(tok: FastTokenizer, texts: readonly string[]): Promise<TextTokens[]> {
  const out: TextTokens[] = new Array(texts.length);
  const split = asciiWordSplitter(tok);
  const slow: number[] = [];
  const fast: { text: number; words: string[]; starts: number[] }[] = [];
  texts.forEach((text, i) => {
    const words = split?.(text);
    if (words) fast.push({ text: i, ...words });
    else slow.push(i);
  });
  if (fast.length > 0) {
    const pieces = await tok.encodeWordPieces(fast.flatMap((f) => f.words));
    let k = 0;
    for (const f of fast) {
      const ids: number[] = [];
      const tokens: string[] = [];
      const offsets: [number, number][] = [];
      for (let w = 0; w < f.words.length; w++, k++) {
        const p = pieces[k]!;
        const at = f.starts[w]!;
        for (let j = 0; j < p.ids.length; j++) {
          ids.push(p.ids[j]!);
          tokens.push(p.tokens[j]!);
          offsets.push([at + p.offsets[j]![0], at + p.offsets[j]![1]]);
        }
      }
      out[f.text] = { ids, tokens, offsets };
    }
  }
  if (slow.length > 0) {
    const encs = await tok.binding.encodeBatch(slow.map((i) => texts[i]!), { addSpecialTokens: false });
    slow.forEach((i, k) => {
      const e = encs[k]!;
      out[i] = { ids: e.getIds(), tokens: e.getTokens(), offsets: utf16Offsets(texts[i]!, e.getOffsets().map((o) => [o[0]!, o[1]!] as [number, number])) };
    });
  }
  return out;
}

/** Printable ASCII plus tab, newline and carriage return: no control characters for `clean_text` to drop. */
const PLAIN_ASCII = /^[\t\n\r\x20-\x7e]*$/;
const splitters = new WeakMap<FastTokenizer, ((text: string) => { words: string[]; starts: number[] } | undefined) | null>();

/**
 * For a WordPiece tokenizer with `BertPreTokenizer` (and an ASCII-preserving normalizer), a
 * function that splits a plain-ASCII text into the words that pre-tokenizer makes (runs of
 * characters between whitespace, each ASCII punctuation character on its own), with their
 * UTF-16 starts; `undefined` for a text it cannot vouch for (non-ASCII, control characters, or
 * an added token such as `[MASK]` inside, which the library matches before splitting). `null`
 * when the tokenizer is of another kind.
 */
export function asciiWordSplitter(tok: FastTokenizer): ((text: string) => { words: string[]; starts: number[] } | undefined) | null {
  let f = splitters.get(tok);
  if (f !== undefined) return f;
  const added = (tok.json.added_tokens ?? []).map((t) => t.content.toLowerCase()).filter((c) => c !== '');
  const hasAdded = (text: string): boolean => {
    if (added.length === 0) return false;
    const lower = text.toLowerCase();
    return added.some((c) => lower.includes(c));
  };
  f = tok.plainWordPiece ? (text) => (PLAIN_ASCII.test(text) && !hasAdded(text) ? splitAsciiWords(text) : undefined) : null;
  splitters.set(tok, f);
  return f;
}

function splitAsciiWords(text: string): { words: string[]; starts: number[] } {
  const words: string[] = [];
  const starts: number[] = [];
  let start = -1;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 32;
    const space = c === 32 || c === 9 || c === 10 || c === 13;
    if (space || isAsciiPunct(c)) {
      if (start >= 0) {
        words.push(text.slice(start, i));
        starts.push(start);
        start = -1;
      }
      if (!space) {
        words.push(text[i]!);
        starts.push(i);
      }
    } else if (start < 0) start = i;
  }
  return { words, starts };
}

/** The default overlap in tokens between consecutive windows: `min(128, ⌊room / 2⌋)`. */
export function defaultStride(room: number): number {
  return Math.min(128, Math.floor(room / 2));
}

/**
 * Splits one text's tokens into windows of at most `room` tokens (the model's maximum length less
 * the special tokens), consecutive windows sharing `stride` tokens, as Hugging Face's
 * `return_overflowing_tokens=True, stride=…` does (the window start moves by `room − stride`).
 * Returns the start of each window.
 */
export function windowStarts(n: number, room: number, stride: number): number[] {
  if (room < 1) throw new TokentagError(`the model's maximum length leaves no room for tokens (room ${room})`);
  if (!Number.isInteger(stride) || stride < 0 || stride >= room) {
    throw new TokentagError(`stride must be an integer in [0, ${room - 1}] (the overlap in tokens between windows of ${room} tokens), got ${stride}`);
  }
  const starts = [0];
  let s = 0;
  while (s + room < n) {
    s += room - stride;
    starts.push(s);
  }
  return starts;
}

/** Builds the model windows of tokenized texts, special tokens added from the tokenizer's template. */
export function buildWindows(tok: FastTokenizer, texts: readonly TextTokens[], maxLength: number, stride: number | undefined): TextWindow[] {
  const t = tok.template;
  const room = maxLength - tok.numSpecialTokens;
  const st = stride ?? defaultStride(room);
  const out: TextWindow[] = [];
  texts.forEach((tt, textIndex) => {
    const starts = windowStarts(tt.ids.length, room, st);
    starts.forEach((start, w) => {
      const end = Math.min(start + room, tt.ids.length);
      const n = end - start;
      out.push({
        textIndex,
        window: w,
        windowCount: starts.length,
        tokenStart: start,
        inputIds: [...t.prefixIds, ...tt.ids.slice(start, end), ...t.suffixIds],
        typeIds: [...t.prefixTypeIds, ...new Array<number>(n).fill(t.sequenceTypeId), ...t.suffixTypeIds],
        tokens: [...t.prefixTokens, ...tt.tokens.slice(start, end), ...t.suffixTokens],
        offsets: [
          ...t.prefixIds.map((): [number, number] => [0, 0]),
          ...tt.offsets.slice(start, end),
          ...t.suffixIds.map((): [number, number] => [0, 0]),
        ],
        specialTokensMask: [...t.prefixIds.map(() => 1), ...new Array<number>(n).fill(0), ...t.suffixIds.map(() => 1)],
      });
    });
  });
  return out;
}

/**
 * For each token of a text split into windows, which window scores it: the one where the smaller
 * of its left and right context is largest (ties: the earlier window). Returns, per token, the
 * window number.
 */
export function responsibleWindows(n: number, starts: readonly number[], room: number): number[] {
  const owner = new Array<number>(n).fill(0);
  const best = new Array<number>(n).fill(-1);
  starts.forEach((s, w) => {
    const e = Math.min(s + room, n);
    for (let i = s; i < e; i++) {
      const ctx = Math.min(i - s, e - 1 - i);
      if (ctx > best[i]!) { best[i] = ctx; owner[i] = w; }
    }
  });
  return owner;
}
