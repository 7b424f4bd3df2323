/**
 * WordPiece in TypeScript for "plain" words of a BERT-style tokenizer: words of printable ASCII
 * that its pre-tokenizer keeps whole (no whitespace; one punctuation character, or none).
 *
 * For such a word the Rust pipeline is short: the normalizer at most lower-cases it (ASCII has
 * no accents to strip, no control characters to clean, no CJK to isolate), the pre-tokenizer
 * leaves it alone, and WordPiece takes the longest vocabulary entry from the left, the
 * continuation prefix on every piece but the first, the unknown token for the whole word when
 * a piece cannot be matched or the word is longer than `max_input_chars_per_word`. Doing that
 * here saves a round trip to the library for every batch of new words. Anything else goes to
 * the library. `test/tokenize/plain-wordpiece.test.ts` checks the two agree.
 */
import type { TokenizerJson, WordPieces } from './types.ts';

export interface PlainWordPiece {
  readonly vocab: ReadonlyMap<string, number>;
  readonly lowercase: boolean;
  readonly unkToken: string;
  readonly unkId: number;
  readonly prefix: string;
  readonly maxInputCharsPerWord: number;
}

/** Normalizers that leave printable ASCII as it is, but for case. */
const ASCII_SAFE = new Set(['BertNormalizer', 'Lowercase', 'NFC', 'NFD', 'NFKC', 'NFKD', 'StripAccents']);

interface NormalizerJson {
  type?: string;
  lowercase?: unknown;
  normalizers?: NormalizerJson[];
}

/** Whether the normalizer lower-cases (true / false), or `undefined` when it may do more than that to ASCII. */
function lowercasing(n: NormalizerJson | null | undefined): boolean | undefined {
  if (!n) return false;
  if (n.type === 'Sequence') {
    let lower = false;
    for (const m of n.normalizers ?? []) {
      const l = lowercasing(m);
      if (l === undefined) return undefined;
      lower ||= l;
    }
    return lower;
  }
  if (!ASCII_SAFE.has(n.type ?? '')) return undefined;
  if (n.type === 'Lowercase') return true;
  if (n.type === 'BertNormalizer') return typeof n.lowercase === 'boolean' ? n.lowercase : undefined;
  return false;
}

/** The WordPiece parameters of a BERT-style `tokenizer.json` (BertPreTokenizer, WordPiece), or `null` for any other kind. */
export function plainWordPieceOf(json: TokenizerJson): PlainWordPiece | null {
  const m = json.model as { type?: string; vocab?: unknown; unk_token?: unknown; continuing_subword_prefix?: unknown; max_input_chars_per_word?: unknown } | undefined;
  if (m?.type !== 'WordPiece' || json.pre_tokenizer?.type !== 'BertPreTokenizer') return null;
  const lowercase = lowercasing(json.normalizer as NormalizerJson | null | undefined);
  if (lowercase === undefined || typeof m.vocab !== 'object' || m.vocab === null || typeof m.unk_token !== 'string') return null;
  const vocab = new Map<string, number>();
  for (const [token, id] of Object.entries(m.vocab as Record<string, unknown>)) if (typeof id === 'number') vocab.set(token, id);
  const unkId = vocab.get(m.unk_token);
  if (unkId === undefined) return null;
  // The library matches added tokens before anything else, inside words too: one that could
  // be (part of) a plain word would change its tokens.
  if ((json.added_tokens ?? []).some((t) => isPlainWord(t.content))) return null;
  return {
    vocab,
    lowercase,
    unkToken: m.unk_token,
    unkId,
    prefix: typeof m.continuing_subword_prefix === 'string' ? m.continuing_subword_prefix : '##',
    maxInputCharsPerWord: typeof m.max_input_chars_per_word === 'number' ? m.max_input_chars_per_word : 100,
  };
}

/** ASCII punctuation as Rust's `is_ascii_punctuation` (what `BertPreTokenizer` isolates). */
export function isAsciiPunct(c: number): boolean {
  return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
}

/** Printable ASCII that the BERT pre-tokenizer keeps whole: one punctuation character, or no punctuation and no space. */
export function isPlainWord(w: string): boolean {
  if (w.length === 0) return false;
  if (w.length === 1) {
    const c = w.charCodeAt(0);
    return c > 32 && c < 127;
  }
  for (let i = 0; i < w.length; i++) {
    const c = w.charCodeAt(i);
    if (c <= 32 || c >= 127 || isAsciiPunct(c)) return false;
  }
  return true;
}

/** WordPiece of a plain word (see {@link isPlainWord}); offsets inside the word. */
export function encodePlainWord(wp: PlainWordPiece, word: string): WordPieces {
  const unk: WordPieces = { ids: [wp.unkId], tokens: [wp.unkToken], offsets: [[0, word.length]] };
  if (word.length > wp.maxInputCharsPerWord) return unk;
  const s = wp.lowercase ? word.toLowerCase() : word;
  const ids: number[] = [];
  const tokens: string[] = [];
  const offsets: [number, number][] = [];
  let start = 0;
  while (start < s.length) {
    let end = s.length;
    let match: string | undefined;
    let id: number | undefined;
    for (; end > start; end--) {
      const piece = start > 0 ? wp.prefix + s.slice(start, end) : s.slice(start, end);
      id = wp.vocab.get(piece);
      if (id !== undefined) {
        match = piece;
        break;
      }
    }
    if (match === undefined) return unk;
    ids.push(id!);
    tokens.push(match);
    offsets.push([start, end]);
    start = end;
  }
  return { ids, tokens, offsets };
}

/** Printable ASCII plus tab, newline and carriage return: no control characters for `clean_text` to drop. */
const PLAIN_ASCII = /^[\t\n\r\x20-\x7e]*$/;
/** Splits a text into words with their UTF-16 starts, or says it cannot (`undefined`). */
export type AsciiWordSplitter = (text: string) => { words: string[]; starts: number[] } | undefined;

/** What {@link asciiWordSplitter} reads of a tokenizer. */
export interface PlainWordPieceSource {
  readonly json: TokenizerJson;
  readonly plainWordPiece: PlainWordPiece | null;
}

const splitters = new WeakMap<PlainWordPieceSource, AsciiWordSplitter | null>();

/**
 * For a WordPiece tokenizer with `BertPreTokenizer` (and an ASCII-preserving normalizer), a
 * function that splits a plain-ASCII text into the words that pre-tokenizer makes (runs of
 * characters between whitespace, each ASCII punctuation character on its own), with their
 * UTF-16 starts; `undefined` for a text it cannot vouch for (non-ASCII, control characters, or
 * an added token such as `[MASK]` inside, which the library matches before splitting). `null`
 * when the tokenizer is of another kind.
 */
export function asciiWordSplitter(tok: PlainWordPieceSource): AsciiWordSplitter | null {
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
