/**
 * `AutoTokenizer.from_pretrained(dirOrId)` (transformers.js's spelling): a tokenizer you call on
 * pre-split words, as the course does —
 *
 *   const inputs = await tokenizer(words, { is_split_into_words: true });
 *   inputs.tokens();   // ['[CLS]', 'EU', 'rejects', …, 'la', '##mb', '.', '[SEP]']
 *   inputs.word_ids(); // [null, 0, 1, …, 7, 7, 8, null]
 *
 * It is a thin face over {@link FastTokenizer} and {@link encodeWords} (Hugging Face's
 * `tokenizers` library, byte-identical to Python's fast tokenizers); the call is asynchronous
 * because the library's batch encoder is.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Callable } from '../callable.ts';
import { TokentagError } from '../errors.ts';
import { resolveModel } from '../hub/model.ts';
import type { HubOptions } from '../hub/settings.ts';
import { writeFilesAtomic } from '../io/atomic.ts';
import { encodeWords, type Encoding } from './encode.ts';
import { loadTokenizer, type FastTokenizer } from './tokenizer.ts';
import { tokenizerFiles } from './train.ts';

/** What a call takes, in Python's (and transformers.js's) spelling. */
export interface TokenizerCallOptions {
  /**
   * The input is words, already split (a CoNLL sentence): required, as tokentag's tokenizer call
   * encodes pre-split words (raw text goes through `pipeline()`).
   */
  readonly is_split_into_words: true;
  /** Cut every sequence to `max_length` tokens (special tokens included), as Python does. Default false. */
  readonly truncation?: boolean;
  /** With `truncation`: default the tokenizer's `model_max_length`. */
  readonly max_length?: number;
}

/**
 * The encoded input (Python's `BatchEncoding`): `input_ids`, `token_type_ids` and
 * `attention_mask` — lists for one sentence, lists of lists for a batch — and `word_ids(i)`,
 * `tokens(i)`. Add columns as the course adds `labels` (`tokenized_inputs.labels = new_labels`);
 * returned from a batched `map`, its lists become the dataset's columns.
 */
export class BatchEncoding<T extends number[] | number[][] = number[][]> {
  input_ids: T;
  token_type_ids: T;
  attention_mask: T;
  /** Aligned token labels, when the caller adds them (`align_labels_with_tokens`). */
  declare labels?: T;
  readonly #encodings: readonly Encoding[];
  readonly #batched: boolean;

  /** @internal Built by a {@link PreTrainedTokenizer} call. */
  constructor(encodings: readonly Encoding[], batched: boolean) {
    this.#encodings = encodings;
    this.#batched = batched;
    const pick = (f: (e: Encoding) => number[]) => (batched ? encodings.map(f) : f(encodings[0])) as T;
    this.input_ids = pick((e) => e.inputIds);
    this.token_type_ids = pick((e) => e.typeIds);
    this.attention_mask = pick((e) => e.attentionMask);
  }

  #at(batchIndex: number, what: string): Encoding {
    const n = this.#encodings.length;
    if (!Number.isInteger(batchIndex) || batchIndex < 0 || batchIndex >= n) {
      throw new TokentagError(`${what}(${batchIndex}): the batch has ${n} sequence${n === 1 ? '' : 's'} (indices 0..${n - 1})`);
    }
    return this.#encodings[batchIndex];
  }

  /** For each token, the index of the word it comes from; `null` for special tokens. `batchIndex` picks a sentence of a batch. */
  word_ids(batchIndex = 0): (number | null)[] {
    return [...this.#at(batchIndex, 'word_ids').wordIds];
  }

  /** The tokens (`['[CLS]', 'EU', …, '##mb', '.', '[SEP]']`). */
  tokens(batchIndex = 0): string[] {
    return [...this.#at(batchIndex, 'tokens').tokens];
  }

  /** How many sequences: 1 for a single sentence. */
  get length(): number {
    return this.#batched ? this.#encodings.length : 1;
  }
}

/** Cuts an encoding to `maxLength` tokens, keeping the special tokens at both ends (Python's `truncation=True`). */
function truncate(e: Encoding, maxLength: number, prefix: number, suffix: number): Encoding {
  const n = e.inputIds.length;
  const room = maxLength - prefix - suffix;
  if (n <= maxLength) return e;
  const keep = <T>(a: readonly T[]): T[] => [...a.slice(0, prefix + room), ...a.slice(n - suffix)];
  return {
    ...e,
    inputIds: keep(e.inputIds),
    attentionMask: keep(e.attentionMask),
    typeIds: keep(e.typeIds),
    wordIds: keep(e.wordIds),
    offsets: keep(e.offsets),
    specialTokensMask: keep(e.specialTokensMask),
    tokens: keep(e.tokens),
  };
}

export interface PreTrainedTokenizer {
  /** One sentence of pre-split words → lists (`input_ids: number[]`). */
  (words: readonly string[], options: TokenizerCallOptions): Promise<BatchEncoding<number[]>>;
  /** A batch of sentences → lists of lists (`input_ids: number[][]`), as a batched `map` passes `examples["tokens"]`. */
  (sentences: readonly (readonly string[])[], options: TokenizerCallOptions): Promise<BatchEncoding<number[][]>>;
}

/** A fast tokenizer, called as in Python; see the module comment. */
export class PreTrainedTokenizer extends Callable {
  /** The tokenizer underneath (Hugging Face's `tokenizers` library). */
  readonly backend: FastTokenizer;
  /** Always true: every tokenizer here is a fast one (`word_ids` need it). */
  readonly is_fast = true;

  constructor(backend: FastTokenizer) {
    let self!: PreTrainedTokenizer;
    super((input: unknown, options?: TokenizerCallOptions) => self.#call(input, options));
    self = this;
    this.backend = backend;
  }

  /** transformers.js's `AutoTokenizer.from_pretrained`: a model directory, or a Hub id (taken from Python's cache or downloaded into it). */
  static async from_pretrained(pretrained_model_name_or_path: string, options: { readonly hub?: HubOptions } = {}): Promise<PreTrainedTokenizer> {
    const dir = existsSync(pretrained_model_name_or_path)
      ? pretrained_model_name_or_path
      : (await resolveModel(pretrained_model_name_or_path, { ...options.hub, purpose: 'weights' })).dir;
    const hasTokenizer = ['tokenizer.json', 'vocab.txt'].some((f) => existsSync(join(dir, f)));
    if (!hasTokenizer) throw new TokentagError(`${dir}: no tokenizer (tokenizer.json or vocab.txt) in this directory`);
    return new PreTrainedTokenizer(await loadTokenizer(dir));
  }

  /** The padding token (`[PAD]`), or undefined when the tokenizer has none. */
  get pad_token(): string | undefined {
    return this.backend.specialTokens.pad_token;
  }

  /** The padding token's id, or undefined when the tokenizer has none (then it cannot pad a batch). */
  get pad_token_id(): number | undefined {
    const t = this.pad_token;
    return t === undefined ? undefined : this.backend.tokenToId(t);
  }

  /** The most tokens the model takes (`model_max_length`), when the tokenizer says. */
  get model_max_length(): number | undefined {
    return this.backend.modelMaxLength;
  }

  /** The vocabulary size, added tokens included. */
  get vocab_size(): number {
    return this.backend.vocabSize;
  }

  /** Writes `tokenizer.json`, `tokenizer_config.json`, `special_tokens_map.json` (and `vocab.txt` for WordPiece) into `dir`, each file atomically. */
  save_pretrained(dir: string): string[] {
    mkdirSync(dir, { recursive: true });
    const files = [...tokenizerFiles(this.backend)].map(([name, text]) => ({ file: join(dir, name), chunks: text }));
    writeFilesAtomic(files);
    return files.map((f) => f.file);
  }

  async #call(input: unknown, options: TokenizerCallOptions | undefined): Promise<BatchEncoding<number[]> | BatchEncoding<number[][]>> {
    if (options?.is_split_into_words !== true) {
      throw new TokentagError('tokenizer(words, { is_split_into_words: true }): this tokenizer encodes pre-split words (for raw text, use pipeline())');
    }
    if (!Array.isArray(input)) throw new TokentagError(`tokenizer: expected words (string[]) or a batch of sentences (string[][]), got ${input === null ? 'null' : typeof input}`);
    const batched = input.length > 0 && Array.isArray(input[0]);
    const sentences = (batched ? input : [input]) as readonly (readonly string[])[];
    sentences.forEach((s, i) => {
      if (!Array.isArray(s)) throw new TokentagError(`tokenizer: sentence ${i} is not an array of words (a batch is string[][], one sentence string[])`);
    });
    const encodings = await encodeWords(this.backend, sentences, { maxLength: null });
    let out = encodings;
    if (options.truncation) {
      const max = options.max_length ?? this.backend.modelMaxLength;
      const t = this.backend.template;
      if (max === undefined) throw new TokentagError('truncation: true needs max_length (the tokenizer has no model_max_length)');
      if (!Number.isInteger(max) || max <= this.backend.numSpecialTokens) throw new TokentagError(`max_length must be an integer above the ${this.backend.numSpecialTokens} special tokens, got ${max}`);
      out = encodings.map((e) => truncate(e, max, t.prefixIds.length, t.suffixIds.length));
    } else if (options.max_length !== undefined) {
      throw new TokentagError('max_length only applies with truncation: true');
    }
    return batched ? new BatchEncoding<number[][]>(out, true) : new BatchEncoding<number[]>(out, false);
  }
}

/** transformers.js's `AutoTokenizer`: `await AutoTokenizer.from_pretrained('bert-base-cased')`. */
export const AutoTokenizer = Object.freeze({
  /** A model directory or a Hub id → its fast tokenizer, callable on pre-split words. */
  from_pretrained: (pretrained_model_name_or_path: string, options: { readonly hub?: HubOptions } = {}): Promise<PreTrainedTokenizer> =>
    PreTrainedTokenizer.from_pretrained(pretrained_model_name_or_path, options),
});
