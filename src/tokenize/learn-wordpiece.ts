/**
 * Learning a WordPiece vocabulary from counted pre-tokens, as Hugging Face's `WordPieceTrainer`
 * does (a BPE trainer with the `##` continuation prefix), deterministically: see `trainWordPiece`
 * (train.ts) for the ordering rules. Plain data in, plain data out, so the Node trainer (which
 * pre-tokenizes with the Rust library) and the browser's (wordpiece-train.ts, with the TypeScript
 * WordPiece's pre-tokenizer) learn the same vocabulary from the same corpus.
 */
import { TokentagError } from '../errors.ts';
import { BERT_SPECIAL_TOKENS } from './bert-json.ts';
import type { TokenizerConfig } from './types.ts';

export interface TrainWordPieceOptions {
  /** Maximum vocabulary size, special tokens included (default 30000, as HF). The alphabet is always kept whole. */
  vocabSize?: number;
  /** Lower-case (and strip accents) as uncased BERT does. Default true. */
  lowercase?: boolean;
  /** Strip accents; default: the same as `lowercase` (HF's `strip_accents=None`). */
  stripAccents?: boolean;
  /** Split CJK characters into single-character words. Default true. */
  tokenizeChineseChars?: boolean;
  /** Pairs seen fewer times than this are not merged (HF's `min_frequency`, default 0). */
  minFrequency?: number;
  /** `model_max_length` to record in `tokenizer_config.json` (default 512). */
  modelMaxLength?: number;
}

/** The options with their defaults, checked, and the `tokenizer_config.json` fields they give. */
export function resolveTrainWordPiece(options: TrainWordPieceOptions) {
  const vocabSize = options.vocabSize ?? 30000;
  const lowercase = options.lowercase ?? true;
  const stripAccents = options.stripAccents ?? lowercase;
  const chinese = options.tokenizeChineseChars ?? true;
  const minFrequency = options.minFrequency ?? 0;
  if (!Number.isInteger(vocabSize) || vocabSize < BERT_SPECIAL_TOKENS.length + 1) {
    throw new TokentagError(`vocabSize must be an integer above ${BERT_SPECIAL_TOKENS.length}, got ${vocabSize}`);
  }
  const config: TokenizerConfig = { do_lower_case: lowercase, strip_accents: stripAccents, tokenize_chinese_chars: chinese, model_max_length: options.modelMaxLength ?? 512 };
  return { vocabSize, lowercase, stripAccents, chinese, minFrequency, config };
}

/** Counts the pre-tokens of every word of `sentences` (each distinct word pre-tokenized once). */
export function countPreTokens(sentences: Iterable<readonly string[]>, preTokenize: (word: string) => Iterable<string>): Map<string, number> {
  const wordCounts = new Map<string, number>();
  for (const words of sentences) for (const w of words) wordCounts.set(w, (wordCounts.get(w) ?? 0) + 1);
  const pieceCounts = new Map<string, number>();
  for (const [w, n] of wordCounts) for (const piece of preTokenize(w)) pieceCounts.set(piece, (pieceCounts.get(piece) ?? 0) + n);
  return pieceCounts;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** BPE merges with the `##` continuation prefix over counted pre-tokens; returns token → id. */
export function learnWordPiece(counts: Map<string, number>, vocabSize: number, minFrequency: number): Record<string, number> {
  const idOf = new Map<string, number>();
  const tokens: string[] = [];
  const add = (t: string): number => {
    let id = idOf.get(t);
    if (id === undefined) {
      id = tokens.length;
      tokens.push(t);
      idOf.set(t, id);
    }
    return id;
  };
  for (const s of BERT_SPECIAL_TOKENS) add(s);
  // Words in a canonical order (so nothing depends on insertion order).
  const entries = [...counts.entries()].sort((a, b) => cmp(a[0], b[0]));
  const starts = new Set<string>();
  const conts = new Set<string>();
  for (const [w] of entries) {
    const chars = [...w];
    if (chars.length === 0) continue;
    starts.add(chars[0]);
    for (let i = 1; i < chars.length; i++) conts.add(chars[i]);
  }
  for (const c of [...new Set([...starts, ...conts])].sort(cmp)) add(c);
  for (const c of [...conts].sort(cmp)) add('##' + c);

  const words: number[][] = [];
  const freq: number[] = [];
  for (const [w, n] of entries) {
    const chars = [...w];
    if (chars.length === 0) continue;
    words.push(chars.map((c, i) => idOf.get(i === 0 ? c : '##' + c)!));
    freq.push(n);
  }
  const SHIFT = 2 ** 24;
  const pairCount = new Map<number, number>();
  const where = new Map<number, Set<number>>();
  const bump = (key: number, delta: number, wi: number): void => {
    pairCount.set(key, (pairCount.get(key) ?? 0) + delta);
    if (delta > 0) {
      let set = where.get(key);
      if (!set) where.set(key, (set = new Set()));
      set.add(wi);
    }
  };
  words.forEach((sym, wi) => {
    for (let i = 0; i + 1 < sym.length; i++) bump(sym[i] * SHIFT + sym[i + 1], freq[wi], wi);
  });
  // Max-heap on (count desc, left piece asc, right piece asc); stale entries skipped on pop.
  type Entry = { key: number; count: number };
  const before = (x: Entry, y: Entry): boolean => {
    if (x.count !== y.count) return x.count > y.count;
    const xa = tokens[Math.floor(x.key / SHIFT)];
    const ya = tokens[Math.floor(y.key / SHIFT)];
    if (xa !== ya) return xa < ya;
    return tokens[x.key % SHIFT] < tokens[y.key % SHIFT];
  };
  const heap: Entry[] = [];
  const push = (e: Entry): void => {
    heap.push(e);
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(heap[i], heap[p])) break;
      [heap[i], heap[p]] = [heap[p], heap[i]];
      i = p;
    }
  };
  const pop = (): Entry | undefined => {
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && before(heap[l], heap[m])) m = l;
        if (r < heap.length && before(heap[r], heap[m])) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m], heap[i]];
        i = m;
      }
    }
    return top;
  };
  for (const [key, count] of pairCount) if (count > 0) push({ key, count });

  while (tokens.length < vocabSize) {
    const top = pop();
    if (!top) break;
    const current = pairCount.get(top.key) ?? 0;
    if (current !== top.count) {
      if (current > 0) push({ key: top.key, count: current });
      continue;
    }
    if (current <= 0 || current < minFrequency) break;
    const a = Math.floor(top.key / SHIFT);
    const b = top.key % SHIFT;
    const bText = tokens[b];
    const merged = add(tokens[a] + (bText.startsWith('##') ? bText.slice(2) : bText));
    const touched = new Set<number>();
    for (const wi of where.get(top.key) ?? []) {
      const sym = words[wi];
      let has = false;
      for (let i = 0; i + 1 < sym.length; i++) if (sym[i] === a && sym[i + 1] === b) has = true;
      if (!has) continue;
      for (let i = 0; i + 1 < sym.length; i++) {
        const k = sym[i] * SHIFT + sym[i + 1];
        bump(k, -freq[wi], wi);
        touched.add(k);
      }
      const out: number[] = [];
      for (let i = 0; i < sym.length; i++) {
        if (i + 1 < sym.length && sym[i] === a && sym[i + 1] === b) {
          out.push(merged);
          i++;
        } else out.push(sym[i]);
      }
      words[wi] = out;
      for (let i = 0; i + 1 < out.length; i++) {
        const k = out[i] * SHIFT + out[i + 1];
        bump(k, freq[wi], wi);
        touched.add(k);
      }
    }
    for (const k of touched) {
      const c = pairCount.get(k) ?? 0;
      if (c > 0) push({ key: k, count: c });
    }
  }
  const vocab: Record<string, number> = Object.create(null);
  tokens.forEach((t, i) => {
    vocab[t] = i;
  });
  return vocab;
}
