/**
 * `FastTokenizer`: Hugging Face's `tokenizers` (Rust, Node binding) wrapped for pre-split words.
 *
 * The binding (0.23.x) declares `isPretokenized` but rejects word arrays. What Python's
 * `is_split_into_words=True` does inside the Rust library is: encode every word as its own
 * sequence (normalizer, pre-tokenizer, model, then the post-processor without special tokens),
 * merge the encodings with offsets kept relative to each word, stamp the word index on every
 * token, and run the post-processor once more to add the special tokens. We do exactly that:
 * words go through `encodeBatch(words, { addSpecialTokens: false })` (each unique word once, in
 * parallel in Rust, then cached), and the special tokens come from the tokenizer's own
 * post-processor, probed once (see `probeTemplate`).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Tokenizer,
  WordPiece,
  bertNormalizer,
  bertPreTokenizer,
  templateProcessing,
  wordPieceDecoder,
  type Encoding as BindingEncoding,
} from 'tokenizers';
import { TokentagError } from '../errors.ts';
import { encodePlainWord, isPlainWord, plainWordPieceOf, type PlainWordPiece } from './plain-wordpiece.ts';

/** The binding's tokenizer class, re-exported so callers need not import `tokenizers`. */
export type BindingTokenizer = Tokenizer;

/** How one word is tokenized: what every sentence containing it reuses. */
export interface WordPieces {
  readonly ids: readonly number[];
  readonly tokens: readonly string[];
  /** `[start, end)` character offsets inside the word (as HF gives for pretokenized input). */
  readonly offsets: readonly (readonly [number, number])[];
}

/** The special tokens the post-processor puts around one sequence (`[CLS] $A [SEP]`). */
export interface SequenceTemplate {
  readonly prefixIds: readonly number[];
  readonly prefixTokens: readonly string[];
  readonly prefixTypeIds: readonly number[];
  readonly suffixIds: readonly number[];
  readonly suffixTokens: readonly string[];
  readonly suffixTypeIds: readonly number[];
  /** The token type id of the sequence itself (`$A:0`). */
  readonly sequenceTypeId: number;
}

export interface TokenizerOptions {
  /**
   * For byte-level BPE (RoBERTa, GPT-2): give every word the prefix space, as
   * `add_prefix_space=True` does in Python. Default `true`: Python refuses pretokenized input
   * without it, because the words would then be encoded as if glued together.
   */
  addPrefixSpace?: boolean;
  /** The model's maximum sequence length in tokens (`model_max_length`), if known. */
  modelMaxLength?: number;
  /** The special tokens by role, as in `special_tokens_map.json`. */
  specialTokens?: SpecialTokensMap;
}

export interface SpecialTokensMap {
  unk_token?: string;
  pad_token?: string;
  cls_token?: string;
  sep_token?: string;
  mask_token?: string;
  bos_token?: string;
  eos_token?: string;
}

/** Above this, `model_max_length` is HF's "no limit" sentinel (`int(1e30)`). */
const NO_LIMIT = 1_000_000;

export class FastTokenizer {
  /** The binding's tokenizer (the Rust pipeline). */
  readonly binding: Tokenizer;
  /** The tokenizer as `tokenizer.json` holds it (after the prefix-space fix). */
  readonly json: TokenizerJson;
  readonly template: SequenceTemplate;
  readonly modelMaxLength: number | undefined;
  readonly specialTokens: SpecialTokensMap;
  private readonly cache = new Map<string, WordPieces>();
  /** Cached words above this count are dropped (all of them) before more are added. */
  cacheLimit = 1_000_000;

  private constructor(binding: Tokenizer, json: TokenizerJson, template: SequenceTemplate, options: TokenizerOptions) {
    this.binding = binding;
    this.json = json;
    this.template = template;
    const max = options.modelMaxLength;
    this.modelMaxLength = max !== undefined && max > 0 && max < NO_LIMIT ? max : undefined;
    this.specialTokens = options.specialTokens ?? specialTokensFromJson(json);
  }

  /**
   * Builds a tokenizer from the text (or parsed object) of a `tokenizer.json`; `file` names it
   * in errors (default `tokenizer.json`).
   */
  static async fromJson(json: string | TokenizerJson, options: TokenizerOptions = {}, file = 'tokenizer.json'): Promise<FastTokenizer> {
    const parsed: TokenizerJson = typeof json === 'string' ? parseJson(json, file) : structuredClone(json);
    checkTokenizerJson(parsed, file);
    if (options.addPrefixSpace ?? true) setAddPrefixSpace(parsed);
    let binding: Tokenizer;
    try {
      binding = Tokenizer.fromString(JSON.stringify(parsed));
    } catch (e) {
      throw new TokentagError(`${file}: the tokenizers library cannot load it: ${(e as Error).message}`);
    }
    const template = await probeTemplate(binding);
    return new FastTokenizer(binding, parsed, template, options);
  }

  /** Wraps a tokenizer built in code with the binding (via its JSON, so the same rules apply). */
  static async fromBinding(binding: Tokenizer, options: TokenizerOptions = {}): Promise<FastTokenizer> {
    return FastTokenizer.fromJson(bindingToJson(binding), options);
  }

  private plain: PlainWordPiece | null | undefined;

  /** WordPiece parameters for tokenizing plain ASCII words here (see plain-wordpiece.ts); `null` for other tokenizers. */
  get plainWordPiece(): PlainWordPiece | null {
    if (this.plain === undefined) this.plain = plainWordPieceOf(this.json);
    return this.plain;
  }

  /** The vocabulary size, added tokens included. */
  get vocabSize(): number {
    return this.binding.getVocabSize(true);
  }

  tokenToId(token: string): number | undefined {
    return this.binding.tokenToId(token) ?? undefined;
  }

  /** Number of special tokens added around one sequence (2 for BERT, RoBERTa, XLM-R). */
  get numSpecialTokens(): number {
    return this.template.prefixIds.length + this.template.suffixIds.length;
  }

  /**
   * Tokenizes words, each on its own (no special tokens), in one batch for all the words not
   * seen before. The result is in the order of `words`.
   */
  async encodeWordPieces(words: readonly string[]): Promise<WordPieces[]> {
    // This call's words, cached or new, are held here: a concurrent call may clear the cache
    // while this one awaits the library.
    const local = new Map<string, WordPieces>();
    const missing = new Set<string>();
    for (const w of words) {
      if (typeof w !== 'string') throw new TokentagError(`words must be strings, got ${typeof w}`);
      if (local.has(w) || missing.has(w)) continue;
      const hit = this.cache.get(w);
      if (hit) local.set(w, hit);
      else missing.add(w);
    }
    if (missing.size > 0) {
      if (this.cache.size + missing.size > this.cacheLimit) this.cache.clear();
      // Plain ASCII words of a BERT-style tokenizer are tokenized here; the rest by the library.
      const wp = this.plainWordPiece;
      const forLibrary: string[] = [];
      const fresh: [string, WordPieces][] = [];
      for (const w of missing) {
        if (wp && isPlainWord(w)) fresh.push([w, encodePlainWord(wp, w)]);
        else forLibrary.push(w);
      }
      if (forLibrary.length > 0) {
        const encodings = await this.binding.encodeBatch(forLibrary, { addSpecialTokens: false });
        for (let i = 0; i < forLibrary.length; i++) fresh.push([forLibrary[i], wordPiecesOf(encodings[i])]);
      }
      for (const [w, p] of fresh) {
        local.set(w, p);
        this.cache.set(w, p);
      }
    }
    return words.map((w) => local.get(w)!);
  }

  /** Forgets the cached word tokenizations. */
  clearCache(): void {
    this.cache.clear();
  }

  /** Writes `tokenizer.json` (only; see `saveTokenizerFiles` for the full HF set). */
  saveJson(path: string): void {
    this.binding.save(path, true);
  }
}

function wordPiecesOf(e: BindingEncoding): WordPieces {
  const offsets = e.getOffsets().map((o) => [o[0], o[1]] as const);
  return { ids: e.getIds(), tokens: e.getTokens(), offsets };
}

/**
 * Finds the special tokens the tokenizer's post-processor adds around a single sequence: encode
 * a probe word without special tokens, run `postProcess(…, addSpecialTokens = true)`, and read
 * what came before and after the probe's own tokens (`specialTokensMask` tells them apart).
 * Works for TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel, Sequence and none.
 */
async function probeTemplate(binding: Tokenizer): Promise<SequenceTemplate> {
  let probe: BindingEncoding | undefined;
  for (const word of ['a', 'the', 'x', '0', '.']) {
    const e = await binding.encode(word, null, { addSpecialTokens: false });
    if (e.getLength() > 0) {
      probe = e;
      break;
    }
  }
  if (probe === undefined) throw new TokentagError('the tokenizer produces no tokens for simple words ("a", "the", "x")');
  const n = probe.getLength();
  const full = binding.postProcess(probe, null, true);
  const mask = full.getSpecialTokensMask();
  const ids = full.getIds();
  const tokens = full.getTokens();
  const typeIds = full.getTypeIds();
  const first = mask.indexOf(0);
  const last = mask.lastIndexOf(0);
  if (first < 0 || last - first + 1 !== n) {
    throw new TokentagError('the post-processor does not keep the sequence in one piece; cannot place special tokens');
  }
  return {
    prefixIds: ids.slice(0, first),
    prefixTokens: tokens.slice(0, first),
    prefixTypeIds: typeIds.slice(0, first),
    suffixIds: ids.slice(last + 1),
    suffixTokens: tokens.slice(last + 1),
    suffixTypeIds: typeIds.slice(last + 1),
    sequenceTypeId: typeIds[first],
  };
}

// ---------------------------------------------------------------------------------------------
// tokenizer.json handling

/** The parts of `tokenizer.json` we read or adjust; everything else passes through. */
export interface TokenizerJson {
  model?: { type?: string; vocab?: unknown; unk_token?: string; continuing_subword_prefix?: string | null; [k: string]: unknown };
  normalizer?: unknown;
  pre_tokenizer?: JsonComponent | null;
  post_processor?: JsonComponent | null;
  added_tokens?: { id: number; content: string; special: boolean; [k: string]: unknown }[];
  [k: string]: unknown;
}

interface JsonComponent {
  type?: string;
  add_prefix_space?: boolean;
  pretokenizers?: JsonComponent[];
  processors?: JsonComponent[];
  [k: string]: unknown;
}

/**
 * What `RobertaTokenizerFast(add_prefix_space=True)` does to the backend: set
 * `add_prefix_space` on every ByteLevel pre-tokenizer and on the ByteLevel / RobertaProcessing
 * post-processor (it changes how offsets are trimmed). Other components are left alone.
 */
function setAddPrefixSpace(json: TokenizerJson): void {
  const visitPre = (c: JsonComponent | null | undefined): void => {
    if (!c) return;
    if (c.type === 'ByteLevel') c.add_prefix_space = true;
    if (c.type === 'Sequence') for (const p of c.pretokenizers ?? []) visitPre(p);
  };
  const visitPost = (c: JsonComponent | null | undefined): void => {
    if (!c) return;
    if (c.type === 'ByteLevel' || c.type === 'RobertaProcessing') c.add_prefix_space = true;
    if (c.type === 'Sequence') for (const p of c.processors ?? []) visitPost(p);
  };
  visitPre(json.pre_tokenizer);
  visitPost(json.post_processor);
}

function specialTokensFromJson(json: TokenizerJson): SpecialTokensMap {
  const special = new Set((json.added_tokens ?? []).filter((t) => t.special).map((t) => t.content));
  const pick = (...names: string[]): string | undefined => names.find((n) => special.has(n));
  const map: SpecialTokensMap = {};
  const unk = json.model?.unk_token ?? pick('[UNK]', '<unk>');
  if (unk !== undefined) map.unk_token = unk;
  const entries: [keyof SpecialTokensMap, string | undefined][] = [
    ['pad_token', pick('[PAD]', '<pad>')],
    ['cls_token', pick('[CLS]', '<s>')],
    ['sep_token', pick('[SEP]', '</s>')],
    ['mask_token', pick('[MASK]', '<mask>')],
  ];
  for (const [k, v] of entries) if (v !== undefined) map[k] = v;
  return map;
}

const MODEL_TYPES = ['WordPiece', 'BPE', 'WordLevel', 'Unigram'];

/**
 * The shape of a `tokenizer.json` as the tokenizers library needs it, checked before the
 * library sees it, so that a wrong file gets a message saying what is wrong rather than the
 * library's serde error (`invalid type: sequence, expected a map at line 1 column 59`).
 */
export function checkTokenizerJson(json: unknown, file = 'tokenizer.json'): asserts json is TokenizerJson {
  const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`);
  const fail = (detail: string): never => {
    throw new TokentagError(`${file}: ${detail}`);
  };
  if (json === null || typeof json !== 'object' || Array.isArray(json)) fail(`expected a JSON object (a tokenizers "tokenizer.json"), found ${kind(json)}`);
  const j = json as TokenizerJson;
  const model = j.model!;
  if (j.model === undefined) fail('has no "model": not a fast tokenizer file (one saved by Hugging Face tokenizers has "version", "model", "normalizer", "pre_tokenizer", …)');
  if (model === null || typeof model !== 'object' || Array.isArray(model)) fail(`"model" must be an object, found ${kind(model)}`);
  const type = model.type ?? (model.vocab !== undefined && model.merges !== undefined ? 'BPE' : undefined);
  if (type === undefined) fail(`"model" has no "type" (one of ${MODEL_TYPES.join(', ')})`);
  if (!MODEL_TYPES.includes(type as string)) fail(`"model.type" ${JSON.stringify(type)} is not a tokenizer model (${MODEL_TYPES.join(', ')})`);
  const vocab = model.vocab;
  if (type === 'Unigram') {
    if (!Array.isArray(vocab)) fail(`"model.vocab" of a Unigram model must be an array of [piece, score] pairs, found ${kind(vocab)}`);
    (vocab as unknown[]).forEach((e, i) => {
      if (!Array.isArray(e) || typeof e[0] !== 'string' || typeof e[1] !== 'number') fail(`"model.vocab"[${i}] must be a [piece, score] pair, found ${JSON.stringify(e)?.slice(0, 80)}`);
    });
  } else {
    if (vocab === null || typeof vocab !== 'object' || Array.isArray(vocab)) fail(`"model.vocab" of a ${type} model must be an object of token → id, found ${kind(vocab)}`);
    for (const [tok, id] of Object.entries(vocab as Record<string, unknown>)) {
      if (!Number.isSafeInteger(id) || (id as number) < 0) fail(`"model.vocab" gives ${JSON.stringify(tok).slice(0, 80)} the id ${JSON.stringify(id)?.slice(0, 40)}; ids must be integers ≥ 0`);
    }
    if (type === 'BPE' && !Array.isArray(model.merges)) fail(`"model.merges" of a BPE model must be an array, found ${kind(model.merges)}`);
  }
  if (j.added_tokens !== undefined && j.added_tokens !== null) {
    if (!Array.isArray(j.added_tokens)) fail(`"added_tokens" must be an array, found ${kind(j.added_tokens)}`);
    j.added_tokens.forEach((t, i) => {
      if (t === null || typeof t !== 'object' || typeof t.content !== 'string' || !Number.isSafeInteger(t.id)) fail(`"added_tokens"[${i}] must be an object with "id" (an integer) and "content" (a string)`);
    });
  }
}

/**
 * Throws unless every id the tokenizer can produce is a row of the model's embedding matrix
 * (`vocabSize` = the config's `vocab_size`): a tokenizer from another model would otherwise
 * fail deep in ONNX Runtime (`Gather … indices element out of data bounds`) or, worse, run.
 */
export function checkTokenizerFitsModel(tok: FastTokenizer, vocabSize: number, where: string): void {
  if (tok.vocabSize > vocabSize) {
    throw new TokentagError(
      `${where}: the tokenizer has ${tok.vocabSize} tokens (ids up to ${tok.vocabSize - 1}) but the model's vocab_size is ${vocabSize}: ` +
        'the tokenizer is not the one this model was trained with',
    );
  }
}

function parseJson<T>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new TokentagError(`${what} is not valid JSON: ${(e as Error).message}`);
  }
}

/** The binding cannot serialise to a string, only to a file: go through a temp directory. */
export function bindingToJson(binding: Tokenizer): TokenizerJson {
  const dir = mkdtempSync(join(tmpdir(), 'tokentag-tok-'));
  try {
    const path = join(dir, 'tokenizer.json');
    binding.save(path, false);
    return parseJson(readFileSync(path, 'utf8'), 'tokenizer.json');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Loading a model directory

/** `tokenizer_config.json` fields we use (HF writes many more). */
export interface TokenizerConfig {
  do_lower_case?: boolean;
  strip_accents?: boolean | null;
  tokenize_chinese_chars?: boolean;
  model_max_length?: number;
  add_prefix_space?: boolean;
  unk_token?: string | { content: string };
  cls_token?: string | { content: string };
  sep_token?: string | { content: string };
  pad_token?: string | { content: string };
  mask_token?: string | { content: string };
  [k: string]: unknown;
}

function tokenName(v: string | { content: string } | undefined, fallback: string): string {
  if (v === undefined || v === null) return fallback;
  return typeof v === 'string' ? v : v.content;
}

function readJsonFile<T>(path: string): T | undefined {
  if (!existsSync(path)) return undefined;
  return parseJson<T>(readFileSync(path, 'utf8'), path);
}

/**
 * Loads the tokenizer of a Hugging Face model directory: `tokenizer.json` if present, otherwise
 * an older BERT directory's `vocab.txt` + `tokenizer_config.json` (see `bertWordPieceTokenizer`).
 * `model_max_length` comes from `tokenizer_config.json`. A path to a `tokenizer.json` file works too.
 */
export async function loadTokenizer(path: string, options: TokenizerOptions = {}): Promise<FastTokenizer> {
  const isFile = path.endsWith('.json');
  const dir = isFile ? join(path, '..') : path;
  const config = readJsonFile<TokenizerConfig>(join(dir, 'tokenizer_config.json')) ?? {};
  const specialMap = readJsonFile<Record<string, string | { content: string }>>(join(dir, 'special_tokens_map.json'));
  const opts: TokenizerOptions = {
    ...options,
    modelMaxLength: options.modelMaxLength ?? config.model_max_length,
  };
  if (specialMap !== undefined && options.specialTokens === undefined) {
    const st: Record<string, string> = {};
    for (const [k, v] of Object.entries(specialMap)) if (typeof v === 'string' || (v && typeof v === 'object' && 'content' in v)) st[k] = tokenName(v, '');
    opts.specialTokens = st as SpecialTokensMap;
  }
  const jsonPath = isFile ? path : join(dir, 'tokenizer.json');
  if (existsSync(jsonPath)) return FastTokenizer.fromJson(readFileSync(jsonPath, 'utf8'), opts, jsonPath);
  const vocabPath = join(dir, 'vocab.txt');
  if (existsSync(vocabPath)) return bertWordPieceTokenizer(readFileSync(vocabPath, 'utf8'), config, opts);
  throw new TokentagError(`${path}: no tokenizer.json or vocab.txt; expected a Hugging Face model or tokenizer directory`);
}

/** Parses `vocab.txt`: one token a line, the id is the line number (a repeated token keeps its last id, as HF's `load_vocab`). */
export function parseVocabTxt(text: string): Record<string, number> {
  const vocab: Record<string, number> = Object.create(null);
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  lines.forEach((line, i) => {
    vocab[line.endsWith('\r') ? line.slice(0, -1) : line] = i;
  });
  return vocab;
}

/**
 * Builds the fast tokenizer of an older BERT directory from `vocab.txt` and
 * `tokenizer_config.json`, as transformers' `BertConverter` does: BertNormalizer
 * (`clean_text`, `handle_chinese_chars = tokenize_chinese_chars`, `strip_accents` — unset
 * means "same as lowercase" — and `lowercase = do_lower_case`, default true),
 * BertPreTokenizer, WordPiece with `##`, the template `[CLS] $A [SEP]` / `[CLS] $A [SEP] $B:1 [SEP]:1`,
 * the WordPiece decoder, and the special tokens registered as special added tokens.
 */
export async function bertWordPieceTokenizer(
  vocabTxt: string | Record<string, number>,
  config: TokenizerConfig = {},
  options: TokenizerOptions = {},
): Promise<FastTokenizer> {
  const vocab = typeof vocabTxt === 'string' ? parseVocabTxt(vocabTxt) : vocabTxt;
  const lowercase = config.do_lower_case ?? true;
  const unk = tokenName(config.unk_token, '[UNK]');
  const cls = tokenName(config.cls_token, '[CLS]');
  const sep = tokenName(config.sep_token, '[SEP]');
  const pad = tokenName(config.pad_token, '[PAD]');
  const mask = tokenName(config.mask_token, '[MASK]');
  for (const [role, tok] of [['cls_token', cls], ['sep_token', sep]] as const) {
    if (vocab[tok] === undefined) throw new TokentagError(`vocab.txt has no ${role} ${JSON.stringify(tok)}`);
  }
  const t = new Tokenizer(WordPiece.init({ ...vocab }, { unkToken: unk, continuingSubwordPrefix: '##', maxInputCharsPerWord: 100 }));
  t.setNormalizer(
    bertNormalizer({
      cleanText: true,
      handleChineseChars: config.tokenize_chinese_chars ?? true,
      stripAccents: config.strip_accents ?? lowercase,
      lowercase,
    }),
  );
  t.setPreTokenizer(bertPreTokenizer());
  t.setPostProcessor(
    templateProcessing(`${cls}:0 $A:0 ${sep}:0`, `${cls}:0 $A:0 ${sep}:0 $B:1 ${sep}:1`, [
      [cls, vocab[cls]],
      [sep, vocab[sep]],
    ]),
  );
  t.setDecoder(wordPieceDecoder('##', true));
  // PreTrainedTokenizerFast registers all special tokens that exist in the vocabulary.
  t.addSpecialTokens([pad, unk, cls, sep, mask].filter((tok) => vocab[tok] !== undefined));
  return FastTokenizer.fromBinding(t, {
    ...options,
    modelMaxLength: options.modelMaxLength ?? config.model_max_length,
    specialTokens: options.specialTokens ?? { unk_token: unk, sep_token: sep, pad_token: pad, cls_token: cls, mask_token: mask },
  });
}
