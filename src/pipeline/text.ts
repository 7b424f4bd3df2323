/**
 * Raw-text encoding for the token-classification pipeline: the tokenizer's ids, tokens and
 * offsets (in UTF-16 code units of the ORIGINAL string: the tokenizer's `encodeTexts` converts
 * them, see tokenize/offsets.ts), and overlapping windows for texts longer than the model can read.
 */
import { TokentagError } from '../errors.ts';
import type { TextTokens, WordTokenizer } from '../tokenize/types.ts';

export { codePointToUtf16, utf16Offsets } from '../tokenize/offsets.ts';
export { asciiWordSplitter } from '../tokenize/plain-wordpiece.ts';
export type { TextTokens };

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

/** Tokenizes texts (no special tokens; UTF-16 offsets): the tokenizer's `encodeTexts`. */
export function tokenizeTexts(tok: WordTokenizer, texts: readonly string[]): Promise<TextTokens[]> {
  return tok.encodeTexts(texts);
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
export function buildWindows(tok: WordTokenizer, texts: readonly TextTokens[], maxLength: number, stride: number | undefined): TextWindow[] {
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
