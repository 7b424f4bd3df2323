/**
 * The tokenizer contract of the token-classification stages, free of any implementation: what
 * `encodeWords`, label alignment, the pipeline and the trainer need of a tokenizer. Two classes
 * fulfil it: `FastTokenizer` (tokenizer.ts, the Rust `tokenizers` library through its Node
 * binding) and `WordPieceTokenizer` (wordpiece.ts, BERT's WordPiece in TypeScript, for browsers),
 * which give the same ids, tokens and offsets for BERT-style tokenizers.
 */

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

/** The parts of `tokenizer.json` we read or adjust; everything else passes through. */
export interface TokenizerJson {
  model?: { type?: string; vocab?: unknown; unk_token?: string; continuing_subword_prefix?: string | null; [k: string]: unknown };
  normalizer?: unknown;
  pre_tokenizer?: JsonComponent | null;
  post_processor?: JsonComponent | null;
  added_tokens?: { id: number; content: string; special: boolean; [k: string]: unknown }[];
  [k: string]: unknown;
}

export interface JsonComponent {
  type?: string;
  add_prefix_space?: boolean;
  pretokenizers?: JsonComponent[];
  processors?: JsonComponent[];
  [k: string]: unknown;
}

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

/** A text's tokens without special tokens, offsets in UTF-16 code units of the original text. */
export interface TextTokens {
  readonly ids: number[];
  readonly tokens: string[];
  readonly offsets: [number, number][];
}

/** A tokenizer as the stages after it use it (see the module comment). */
export interface WordTokenizer {
  /** The tokenizer as `tokenizer.json` holds it. */
  readonly json: TokenizerJson;
  readonly template: SequenceTemplate;
  /** The model's maximum sequence length in tokens, when known. */
  readonly modelMaxLength: number | undefined;
  readonly specialTokens: SpecialTokensMap;
  /** Number of special tokens added around one sequence (2 for BERT). */
  readonly numSpecialTokens: number;
  /** The vocabulary size, added tokens included. */
  readonly vocabSize: number;
  tokenToId(token: string): number | undefined;
  /** Each word on its own, no special tokens; in the order of `words`. */
  encodeWordPieces(words: readonly string[]): Promise<WordPieces[]>;
  /** Raw texts, no special tokens; offsets converted to UTF-16. */
  encodeTexts(texts: readonly string[]): Promise<TextTokens[]>;
  /** `convert_tokens_to_string`: the tokens joined as the tokenizer's decoder joins them. */
  tokensToString(tokens: readonly string[]): string;
}
