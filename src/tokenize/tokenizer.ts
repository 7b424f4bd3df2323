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
import { Tokenizer, type Encoding as BindingEncoding } from 'tokenizers';
import { TokentagError } from '../errors.ts';
import { bertSpecialTokens, bertTokenizerJson, parseJson, parseVocabTxt, specialTokensFromJson, specialTokensFromMap } from './bert-json.ts';
import { fastDecoder } from './decode.ts';
import { utf16Offsets } from './offsets.ts';
import { asciiWordSplitter, encodePlainWord, isPlainWord, plainWordPieceOf, type PlainWordPiece } from './plain-wordpiece.ts';
import type { JsonComponent, SequenceTemplate, SpecialTokensMap, TextTokens, TokenizerConfig, TokenizerJson, TokenizerOptions, WordPieces, WordTokenizer } from './types.ts';

export type { SequenceTemplate, SpecialTokensMap, TextTokens, TokenizerConfig, TokenizerJson, TokenizerOptions, WordPieces, WordTokenizer } from './types.ts';
export { parseVocabTxt } from './bert-json.ts';

/** The binding's tokenizer class, re-exported so callers need not import `tokenizers`. */
export type BindingTokenizer = Tokenizer;

/** Above this, `model_max_length` is HF's "no limit" sentinel (`int(1e30)`). */
const NO_LIMIT = 1_000_000;

export class FastTokenizer implements WordTokenizer {
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

  /**
   * Tokenizes texts (no special tokens; offsets in UTF-16). Texts a BERT-style tokenizer would
   * split into words by whitespace and ASCII punctuation alone (see {@link asciiWordSplitter})
   * are split here and their words looked up in the word cache (unseen words go to the Rust
   * library in one batch): the same tokens and offsets as encoding the whole text, without a
   * round trip to the library for every text. Every other text is encoded whole by the
   * library, in one batch.
   */
  async encodeTexts(texts: readonly string[]): Promise<TextTokens[]> {
    const out: TextTokens[] = new Array(texts.length);
    const split = asciiWordSplitter(this);
    const slow: number[] = [];
    const fast: { text: number; words: string[]; starts: number[] }[] = [];
    texts.forEach((text, i) => {
      const words = split?.(text);
      if (words) fast.push({ text: i, ...words });
      else slow.push(i);
    });
    if (fast.length > 0) {
      const pieces = await this.encodeWordPieces(fast.flatMap((f) => f.words));
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
      const encs = await this.binding.encodeBatch(slow.map((i) => texts[i]!), { addSpecialTokens: false });
      slow.forEach((i, k) => {
        const e = encs[k]!;
        out[i] = { ids: e.getIds(), tokens: e.getTokens(), offsets: utf16Offsets(texts[i]!, e.getOffsets().map((o) => [o[0]!, o[1]!] as [number, number])) };
      });
    }
    return out;
  }

  private decoder: ((tokens: readonly string[]) => string) | undefined;

  /** `convert_tokens_to_string`: the TypeScript decoder when there is one (decode.ts), else the library's. */
  tokensToString(tokens: readonly string[]): string {
    if (!this.decoder) {
      const library = this.binding.getDecoder();
      this.decoder = fastDecoder(this.json) ?? (library ? (t) => library.decode([...t]) : (t) => t.join(' '));
    }
    return this.decoder(tokens);
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
  if (specialMap !== undefined && options.specialTokens === undefined) opts.specialTokens = specialTokensFromMap(specialMap);
  const jsonPath = isFile ? path : join(dir, 'tokenizer.json');
  if (existsSync(jsonPath)) return FastTokenizer.fromJson(readFileSync(jsonPath, 'utf8'), opts, jsonPath);
  const vocabPath = join(dir, 'vocab.txt');
  if (existsSync(vocabPath)) return bertWordPieceTokenizer(readFileSync(vocabPath, 'utf8'), config, opts);
  throw new TokentagError(`${path}: no tokenizer.json or vocab.txt; expected a Hugging Face model or tokenizer directory`);
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
  return FastTokenizer.fromJson(bertTokenizerJson(vocab, config), {
    ...options,
    modelMaxLength: options.modelMaxLength ?? config.model_max_length,
    specialTokens: options.specialTokens ?? bertSpecialTokens(config),
  });
}
