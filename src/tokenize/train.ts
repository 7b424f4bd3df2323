/**
 * Training a WordPiece vocabulary from a dataset's words (for models trained from scratch), and
 * saving a tokenizer in the Hugging Face layout.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bertNormalizer, bertPreTokenizer } from 'tokenizers';
import { TokentagError } from '../errors.ts';
import { makeDirs } from '../io/writable.ts';
import { FastTokenizer, bertWordPieceTokenizer, bindingToJson, type TokenizerJson } from './tokenizer.ts';

export const BERT_SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;

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

/**
 * Trains a BERT WordPiece tokenizer on pre-split sentences (e.g. `dataset.column('tokens')`).
 *
 * The words go through the binding's own BertNormalizer and BertPreTokenizer, so training sees
 * exactly what encoding will. The vocabulary is then learnt as HF's `WordPieceTrainer` learns it
 * (it is a BPE trainer with the `##` prefix): special tokens `[PAD] [UNK] [CLS] [SEP] [MASK]` at
 * ids 0–4, then the alphabet, then one new piece per merge of the most frequent adjacent pair,
 * until `vocabSize`. Why not the binding's trainer: 0.23.x exposes no `WordPieceTrainer`, only
 * `Tokenizer.train(files)` with a default trainer (vocabulary 30000, no special tokens), and
 * that trainer is not deterministic: it numbers the `##x` alphabet in hash-map order and breaks
 * ties between equally frequent pairs by those numbers, so two runs on the same corpus give
 * different vocabularies. Here ties are broken by the pieces' text (alphabet sorted by code
 * point; equal counts: the pair whose left, then right piece sorts first), so the same input
 * and options give the same files, byte for byte, on every run and machine. On ties the chosen
 * pieces may differ from a given HF run (HF's own choice depends on its hash order).
 */
export async function trainWordPiece(
  sentences: Iterable<readonly string[]>,
  options: TrainWordPieceOptions = {},
): Promise<FastTokenizer> {
  const vocabSize = options.vocabSize ?? 30000;
  const lowercase = options.lowercase ?? true;
  const stripAccents = options.stripAccents ?? lowercase;
  const chinese = options.tokenizeChineseChars ?? true;
  const minFrequency = options.minFrequency ?? 0;
  if (!Number.isInteger(vocabSize) || vocabSize < BERT_SPECIAL_TOKENS.length + 1) {
    throw new TokentagError(`vocabSize must be an integer above ${BERT_SPECIAL_TOKENS.length}, got ${vocabSize}`);
  }
  // 1. Count words, then pre-tokens after the binding's normalizer and pre-tokenizer.
  const wordCounts = new Map<string, number>();
  for (const words of sentences) for (const w of words) wordCounts.set(w, (wordCounts.get(w) ?? 0) + 1);
  const normalizer = bertNormalizer({ cleanText: true, handleChineseChars: chinese, stripAccents, lowercase });
  const preTokenizer = bertPreTokenizer();
  const pieceCounts = new Map<string, number>();
  for (const [w, n] of wordCounts) {
    for (const [piece] of preTokenizer.preTokenizeString(normalizer.normalizeString(w))) {
      pieceCounts.set(piece, (pieceCounts.get(piece) ?? 0) + n);
    }
  }
  const vocab = learnWordPiece(pieceCounts, vocabSize, minFrequency);
  return bertWordPieceTokenizer(
    vocab,
    {
      do_lower_case: lowercase,
      strip_accents: stripAccents,
      tokenize_chinese_chars: chinese,
      model_max_length: options.modelMaxLength ?? 512,
    },
    {},
  );
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** BPE merges with the `##` continuation prefix over counted pre-tokens; returns token → id. */
function learnWordPiece(counts: Map<string, number>, vocabSize: number, minFrequency: number): Record<string, number> {
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

// ---------------------------------------------------------------------------------------------
// Saving

interface BertNormalizerJson {
  type: 'BertNormalizer';
  lowercase?: boolean;
  strip_accents?: boolean | null;
  handle_chinese_chars?: boolean;
}

function findBertNormalizer(n: unknown): BertNormalizerJson | undefined {
  if (!n || typeof n !== 'object') return undefined;
  const o = n as { type?: string; normalizers?: unknown[] };
  if (o.type === 'BertNormalizer') return o as BertNormalizerJson;
  if (o.type === 'Sequence') for (const c of o.normalizers ?? []) { const f = findBertNormalizer(c); if (f) return f; }
  return undefined;
}

/**
 * Writes the tokenizer as Hugging Face does (`save_pretrained`): `tokenizer.json`,
 * `tokenizer_config.json`, `special_tokens_map.json`, and for WordPiece also `vocab.txt`
 * (one token a line, in id order), so Python's `AutoTokenizer.from_pretrained(dir)` loads it.
 * Returns the paths written.
 */
export function saveTokenizerFiles(tokenizer: FastTokenizer, dir: string): string[] {
  makeDirs(dir);
  const json: TokenizerJson = tokenizer.json;
  const paths: string[] = [];
  const write = (name: string, text: string): void => {
    const p = join(dir, name);
    writeFileSync(p, text);
    paths.push(p);
  };
  write('tokenizer.json', JSON.stringify(bindingToJson(tokenizer.binding), null, 2) + '\n');

  const special = tokenizer.specialTokens;
  const specialMap: Record<string, string> = {};
  for (const key of ['cls_token', 'mask_token', 'pad_token', 'sep_token', 'unk_token', 'bos_token', 'eos_token'] as const) {
    const v = special[key];
    if (v !== undefined) specialMap[key] = v;
  }
  const addedDecoder: Record<string, object> = {};
  for (const t of [...(json.added_tokens ?? [])].sort((a, b) => a.id - b.id)) {
    addedDecoder[String(t.id)] = {
      content: t.content,
      lstrip: t.lstrip ?? false,
      normalized: t.normalized ?? false,
      rstrip: t.rstrip ?? false,
      single_word: t.single_word ?? false,
      special: t.special,
    };
  }
  const bert = json.model?.type === 'WordPiece' ? findBertNormalizer(json.normalizer) : undefined;
  const config: Record<string, unknown> = { added_tokens_decoder: addedDecoder, clean_up_tokenization_spaces: true };
  if (bert) {
    config.do_lower_case = bert.lowercase ?? true;
    config.strip_accents = bert.strip_accents ?? null;
    config.tokenize_chinese_chars = bert.handle_chinese_chars ?? true;
  }
  Object.assign(config, specialMap);
  // Unknown: leave it out; transformers then uses its own "no limit" value.
  if (tokenizer.modelMaxLength !== undefined) config.model_max_length = tokenizer.modelMaxLength;
  config.tokenizer_class = bert ? 'BertTokenizer' : 'PreTrainedTokenizerFast';
  const sorted: Record<string, unknown> = {};
  for (const k of Object.keys(config).sort()) sorted[k] = config[k];
  write('tokenizer_config.json', JSON.stringify(sorted, null, 2) + '\n');
  write('special_tokens_map.json', JSON.stringify(specialMap, null, 2) + '\n');

  if (json.model?.type === 'WordPiece') {
    const vocab = tokenizer.binding.getVocab(false);
    const byId: string[] = [];
    for (const [tok, id] of Object.entries(vocab)) byId[id] = tok;
    write('vocab.txt', byId.map((t) => t ?? '').join('\n') + '\n');
  }
  return paths;
}

/**
 * The tokenizer's files in the Hugging Face layout (`tokenizer.json`, `tokenizer_config.json`,
 * `special_tokens_map.json`, `vocab.txt` for WordPiece), as `name → text`: what checkpoints and
 * saved models carry, written by the caller (atomically).
 */
export function tokenizerFiles(tokenizer: FastTokenizer): Map<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'tokentag-tok-'));
  try {
    saveTokenizerFiles(tokenizer, dir);
    return new Map(readdirSync(dir).sort().map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
