/**
 * BERT's tokenizer in TypeScript: the `tokenizers` library's BertNormalizer, BertPreTokenizer,
 * WordPiece model and BERT post-processor, for places where the library's Node binding cannot
 * load (a browser tab). It reads the same `tokenizer.json` and gives the same ids, tokens,
 * offsets and word ids: test/tokenize/wordpiece.test.ts compares it with the library on every
 * word of a realistic corpus, for cased and uncased vocabularies, and on every code point.
 *
 * Each step mirrors the library:
 * - added tokens that are not normalized (`[CLS]`, `[MASK]`, …) are matched first, in the raw
 *   text, leftmost-longest;
 * - the normalizer, per character, in the library's order: `clean_text` (drop NUL, U+FFFD and
 *   control / format / private-use characters, turn whitespace into ' '), `handle_chinese_chars`
 *   (spaces around CJK ideographs), `strip_accents` (NFD, then drop non-spacing marks),
 *   `lowercase` (per character: no final-sigma rule). The character classes are those of the
 *   library's own Unicode tables (bert-unicode.ts, read off the library), not JavaScript's, which
 *   follow a newer Unicode;
 * - the pre-tokenizer splits on whitespace (dropped) and isolates punctuation;
 * - WordPiece takes the longest vocabulary entry from the left, `##` on every piece but the
 *   first, the unknown token for the whole word when a piece has no match or the word has more
 *   than `max_input_chars_per_word` characters.
 * Every normalized character remembers which character of the original it came from, so token
 * offsets point into the original text (in code points, as the library reports them; texts get
 * UTF-16 offsets, as the pipeline wants).
 */
import { TokentagError } from '../errors.ts';
import { specialTokensFromJson } from './bert-json.ts';
import { CHINESE, CONTROL, CLEAN_SPACE, LOWERCASE_EXCEPTIONS, NFD_EXCEPTIONS, NON_SPACING_MARK, PUNCTUATION, SPLIT_SPACE } from './bert-unicode.ts';
import { fastDecoder } from './decode.ts';
import { utf16Offsets } from './offsets.ts';
import type { SequenceTemplate, SpecialTokensMap, TextTokens, TokenizerJson, WordPieces, WordTokenizer } from './types.ts';

// ---- character classes ---------------------------------------------------------------------

/** Whether `cp` is in a table of [first, last] pairs (binary search). */
function inRanges(table: readonly number[], cp: number): boolean {
  let lo = 0;
  let hi = table.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cp < table[2 * mid]!) hi = mid - 1;
    else if (cp > table[2 * mid + 1]!) lo = mid + 1;
    else return true;
  }
  return false;
}

/** A class as a lookup: a byte table for the first 256 code points, binary search above. */
function charClass(table: readonly number[]): (cp: number) => boolean {
  const low = new Uint8Array(256);
  for (let cp = 0; cp < 256; cp++) low[cp] = inRanges(table, cp) ? 1 : 0;
  return (cp) => (cp < 256 ? low[cp] === 1 : inRanges(table, cp));
}

const isControl = charClass(CONTROL);
const isCleanSpace = charClass(CLEAN_SPACE);
const isSplitSpace = charClass(SPLIT_SPACE);
const isPunctuation = charClass(PUNCTUATION);
const isChinese = charClass(CHINESE);
const isNonSpacingMark = charClass(NON_SPACING_MARK);

// ---- normalization with alignment -----------------------------------------------------------

export interface BertNormalizerOptions {
  readonly cleanText: boolean;
  readonly handleChineseChars: boolean;
  readonly stripAccents: boolean;
  readonly lowercase: boolean;
}

/**
 * Normalized text: one entry per code point of the result, with the index (in code points) of
 * the original character it came from.
 */
interface Normalized {
  readonly chars: string[];
  readonly from: number[];
}

function stripAccents(c: string, cp: number): string {
  const exception = NFD_EXCEPTIONS.get(cp);
  if (exception !== undefined) return exception;
  const nfd = c.normalize('NFD');
  if (nfd === c) return isNonSpacingMark(cp) ? '' : c;
  let out = '';
  for (const d of nfd) if (!isNonSpacingMark(d.codePointAt(0)!)) out += d;
  return out;
}

function lowercase(c: string, cp: number): string {
  if (cp < 128) return cp >= 65 && cp <= 90 ? String.fromCharCode(cp + 32) : c;
  return LOWERCASE_EXCEPTIONS.get(cp) ?? c.toLowerCase();
}

/** Normalizes code points `[start, end)` of `cps` (the original text's), appending to `out`. */
function normalizeInto(cps: readonly string[], start: number, end: number, o: BertNormalizerOptions, out: Normalized): void {
  for (let i = start; i < end; i++) {
    let c = cps[i]!;
    let cp = c.codePointAt(0)!;
    if (o.cleanText) {
      if (cp === 0 || cp === 0xfffd || isControl(cp)) continue;
      if (isCleanSpace(cp)) {
        c = ' ';
        cp = 32;
      }
    }
    if (o.handleChineseChars && isChinese(cp)) {
      out.chars.push(' ', c, ' ');
      out.from.push(i, i, i);
      continue;
    }
    let s = o.stripAccents ? stripAccents(c, cp) : c;
    if (o.lowercase) {
      let lower = '';
      for (const x of s) lower += lowercase(x, x.codePointAt(0)!);
      s = lower;
    }
    for (const x of s) {
      out.chars.push(x);
      out.from.push(i);
    }
  }
}

// ---- the tokenizer --------------------------------------------------------------------------

interface AddedToken {
  readonly id: number;
  readonly content: string;
}

interface WordPieceModel {
  readonly vocab: ReadonlyMap<string, number>;
  readonly unkToken: string;
  readonly unkId: number;
  readonly prefix: string;
  readonly maxInputCharsPerWord: number;
}

/** Why a `tokenizer.json` cannot be tokenized here, or `null` when it can. */
export function wordPieceUnsupported(json: TokenizerJson): string | null {
  const m = json.model;
  if (m?.type !== 'WordPiece') return `its model is ${m?.type ?? 'missing'}, not WordPiece`;
  if (json.pre_tokenizer?.type !== 'BertPreTokenizer') return `its pre-tokenizer is ${json.pre_tokenizer?.type ?? 'none'}, not BertPreTokenizer`;
  const n = json.normalizer as { type?: string } | null | undefined;
  if (n && n.type !== 'BertNormalizer') return `its normalizer is ${n.type}, not BertNormalizer`;
  const post = json.post_processor;
  if (post && post.type !== 'TemplateProcessing' && post.type !== 'BertProcessing') return `its post-processor is ${post.type}`;
  for (const t of json.added_tokens ?? []) {
    if (t.normalized || t.single_word || t.lstrip || t.rstrip) return `added token ${JSON.stringify(t.content)} uses normalized / single_word / lstrip / rstrip`;
  }
  return null;
}

function normalizerOptions(json: TokenizerJson): BertNormalizerOptions {
  const n = json.normalizer as { clean_text?: boolean; handle_chinese_chars?: boolean; strip_accents?: boolean | null; lowercase?: boolean } | null | undefined;
  if (!n) return { cleanText: false, handleChineseChars: false, stripAccents: false, lowercase: false };
  const lower = n.lowercase ?? true;
  return { cleanText: n.clean_text ?? true, handleChineseChars: n.handle_chinese_chars ?? true, stripAccents: n.strip_accents ?? lower, lowercase: lower };
}

function templateOf(json: TokenizerJson): SequenceTemplate {
  const post = json.post_processor as
    | { type: 'TemplateProcessing'; single: ({ SpecialToken?: { id: string; type_id: number }; Sequence?: { id: string; type_id: number } })[]; special_tokens: Record<string, { ids: number[]; tokens: string[] }> }
    | { type: 'BertProcessing'; cls: [string, number]; sep: [string, number] }
    | null
    | undefined;
  const t = { prefixIds: [] as number[], prefixTokens: [] as string[], prefixTypeIds: [] as number[], suffixIds: [] as number[], suffixTokens: [] as string[], suffixTypeIds: [] as number[], sequenceTypeId: 0 };
  if (!post) return t;
  if (post.type === 'BertProcessing') {
    return { ...t, prefixIds: [post.cls[1]], prefixTokens: [post.cls[0]], prefixTypeIds: [0], suffixIds: [post.sep[1]], suffixTokens: [post.sep[0]], suffixTypeIds: [0] };
  }
  let seen = false;
  for (const piece of post.single) {
    if (piece.Sequence) {
      seen = true;
      t.sequenceTypeId = piece.Sequence.type_id;
      continue;
    }
    const s = post.special_tokens[piece.SpecialToken!.id];
    if (!s) throw new TokentagError(`tokenizer.json: the template names the special token ${JSON.stringify(piece.SpecialToken!.id)} but does not define it`);
    const [ids, tokens, types] = seen ? [t.suffixIds, t.suffixTokens, t.suffixTypeIds] : [t.prefixIds, t.prefixTokens, t.prefixTypeIds];
    ids.push(...s.ids);
    tokens.push(...s.tokens);
    for (let k = 0; k < s.ids.length; k++) types.push(piece.SpecialToken!.type_id);
  }
  return t;
}

/** One token before it is placed: id, text, offsets in code points of the input. */
interface Piece {
  id: number;
  token: string;
  start: number;
  end: number;
}

/**
 * BERT's WordPiece tokenizer in TypeScript (see the module comment); the same contract as the
 * library-backed `FastTokenizer`.
 */
export class WordPieceTokenizer implements WordTokenizer {
  readonly json: TokenizerJson;
  readonly template: SequenceTemplate;
  readonly modelMaxLength: number | undefined;
  readonly specialTokens: SpecialTokensMap;
  private readonly normalizer: BertNormalizerOptions;
  private readonly model: WordPieceModel;
  private readonly added: readonly AddedToken[];
  private readonly addedIds: ReadonlyMap<string, number>;
  private readonly decoder: (tokens: readonly string[]) => string;
  private readonly cache = new Map<string, WordPieces>();

  constructor(json: TokenizerJson, options: { modelMaxLength?: number; specialTokens?: SpecialTokensMap } = {}) {
    const why = wordPieceUnsupported(json);
    if (why) throw new TokentagError(`this tokenizer cannot run in TypeScript: ${why} (in a browser, tokentag tokenizes BERT-style WordPiece tokenizers only)`);
    this.json = json;
    const m = json.model as { vocab?: unknown; unk_token?: unknown; continuing_subword_prefix?: unknown; max_input_chars_per_word?: unknown };
    if (typeof m.vocab !== 'object' || m.vocab === null) throw new TokentagError('tokenizer.json: the WordPiece model has no vocab');
    const vocab = new Map<string, number>();
    for (const [token, id] of Object.entries(m.vocab as Record<string, unknown>)) if (typeof id === 'number') vocab.set(token, id);
    const unkToken = typeof m.unk_token === 'string' ? m.unk_token : '[UNK]';
    const unkId = vocab.get(unkToken);
    if (unkId === undefined) throw new TokentagError(`tokenizer.json: the unknown token ${JSON.stringify(unkToken)} is not in the vocabulary`);
    this.model = {
      vocab,
      unkToken,
      unkId,
      prefix: typeof m.continuing_subword_prefix === 'string' ? m.continuing_subword_prefix : '##',
      maxInputCharsPerWord: typeof m.max_input_chars_per_word === 'number' ? m.max_input_chars_per_word : 100,
    };
    this.added = (json.added_tokens ?? []).filter((t) => t.content !== '').map((t) => ({ id: t.id, content: t.content }));
    this.addedIds = new Map(this.added.map((t) => [t.content, t.id]));
    this.normalizer = normalizerOptions(json);
    this.template = templateOf(json);
    const max = options.modelMaxLength;
    this.modelMaxLength = max !== undefined && max > 0 && max < 1_000_000 ? max : undefined;
    this.specialTokens = options.specialTokens ?? specialTokensFromJson(json);
    const decode = fastDecoder(json);
    this.decoder = decode ?? ((tokens) => tokens.join(' '));
  }

  get numSpecialTokens(): number {
    return this.template.prefixIds.length + this.template.suffixIds.length;
  }

  get vocabSize(): number {
    let n = this.model.vocab.size;
    for (const t of this.added) if (!this.model.vocab.has(t.content)) n++;
    return n;
  }

  tokenToId(token: string): number | undefined {
    return this.addedIds.get(token) ?? this.model.vocab.get(token);
  }

  tokensToString(tokens: readonly string[]): string {
    return this.decoder(tokens);
  }

  /** Each word on its own (cached), offsets in code points of the word, as the library gives them. */
  async encodeWordPieces(words: readonly string[]): Promise<WordPieces[]> {
    return words.map((w) => {
      if (typeof w !== 'string') throw new TokentagError(`words must be strings, got ${typeof w}`);
      let hit = this.cache.get(w);
      if (!hit) {
        const pieces = this.tokenize(w);
        hit = { ids: pieces.map((p) => p.id), tokens: pieces.map((p) => p.token), offsets: pieces.map((p) => [p.start, p.end] as const) };
        if (this.cache.size >= 1_000_000) this.cache.clear();
        this.cache.set(w, hit);
      }
      return hit;
    });
  }

  async encodeTexts(texts: readonly string[]): Promise<TextTokens[]> {
    return texts.map((text) => {
      const pieces = this.tokenize(text);
      return {
        ids: pieces.map((p) => p.id),
        tokens: pieces.map((p) => p.token),
        offsets: utf16Offsets(text, pieces.map((p) => [p.start, p.end])),
      };
    });
  }

  /**
   * The normalizer and pre-tokenizer alone (no added-token matching), as the vocabulary trainer
   * runs them: the normalized words WordPiece would see.
   */
  preTokenize(text: string): string[] {
    const cps = [...text];
    const n: Normalized = { chars: [], from: [] };
    normalizeInto(cps, 0, cps.length, this.normalizer, n);
    return this.splitWords(n).map((w) => w.chars.join(''));
  }

  /** Added tokens and normalized runs between them. */
  private segments(cps: readonly string[]): { added?: AddedToken; start: number; end: number; normalized?: Normalized }[] {
    const out: { added?: AddedToken; start: number; end: number; normalized?: Normalized }[] = [];
    const text = cps.join('');
    let at = 0; // code points
    let u = 0; // UTF-16 index of `at`
    const pushText = (end: number) => {
      if (end <= at) return;
      const n: Normalized = { chars: [], from: [] };
      normalizeInto(cps, at, end, this.normalizer, n);
      out.push({ start: at, end, normalized: n });
    };
    while (this.added.length > 0 && u < text.length) {
      // Leftmost, then longest, added token.
      let best: { token: AddedToken; index: number } | undefined;
      for (const t of this.added) {
        const i = text.indexOf(t.content, u);
        if (i < 0) continue;
        if (!best || i < best.index || (i === best.index && t.content.length > best.token.content.length)) best = { token: t, index: i };
      }
      if (!best) break;
      const startCp = at + [...text.slice(u, best.index)].length;
      pushText(startCp);
      const len = [...best.token.content].length;
      out.push({ added: best.token, start: startCp, end: startCp + len });
      at = startCp + len;
      u = best.index + best.token.content.length;
    }
    pushText(cps.length);
    return out;
  }

  /** BertPreTokenizer: whitespace dropped, punctuation isolated. */
  private splitWords(n: Normalized): { chars: string[]; from: number[] }[] {
    const words: { chars: string[]; from: number[] }[] = [];
    let cur: { chars: string[]; from: number[] } | null = null;
    for (let i = 0; i < n.chars.length; i++) {
      const c = n.chars[i]!;
      const cp = c.codePointAt(0)!;
      if (isSplitSpace(cp)) {
        cur = null;
        continue;
      }
      if (isPunctuation(cp)) {
        words.push({ chars: [c], from: [n.from[i]!] });
        cur = null;
        continue;
      }
      if (!cur) words.push((cur = { chars: [], from: [] }));
      cur.chars.push(c);
      cur.from.push(n.from[i]!);
    }
    return words;
  }

  /** The whole pipeline on one string: pieces with code-point offsets into it. */
  private tokenize(text: string): Piece[] {
    const out: Piece[] = [];
    for (const seg of this.segments([...text])) {
      if (seg.added) {
        out.push({ id: seg.added.id, token: seg.added.content, start: seg.start, end: seg.end });
        continue;
      }
      for (const w of this.splitWords(seg.normalized!)) this.wordPiece(w.chars, w.from, out);
    }
    return out;
  }

  /** WordPiece of one pre-token (its characters and their original positions). */
  private wordPiece(chars: readonly string[], from: readonly number[], out: Piece[]): void {
    const m = this.model;
    const n = chars.length;
    const unk = (): void => {
      out.push({ id: m.unkId, token: m.unkToken, start: from[0]!, end: from[n - 1]! + 1 });
    };
    if (n > m.maxInputCharsPerWord) return unk();
    const pieces: Piece[] = [];
    let start = 0;
    while (start < n) {
      let end = n;
      let found: Piece | undefined;
      while (end > start) {
        let s = chars.slice(start, end).join('');
        if (start > 0) s = m.prefix + s;
        const id = m.vocab.get(s);
        if (id !== undefined) {
          found = { id, token: s, start: from[start]!, end: from[end - 1]! + 1 };
          break;
        }
        end--;
      }
      if (!found) return unk();
      pieces.push(found);
      start = end;
    }
    out.push(...pieces);
  }
}
