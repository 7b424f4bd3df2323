/**
 * Types of the token-classification pipeline's post-processing (the contract between the
 * model/tokenizer side and `aggregate.ts`). Semantics are Hugging Face's
 * `TokenClassificationPipeline`; see docs/pipeline-aggregation.md.
 *
 * Light on purpose: the CLI's flag parser checks a strategy name from here without loading the
 * pipeline (and ONNX Runtime) for commands that never run a model.
 */
import { TokentagError } from '../errors.ts';

export type AggregationStrategy = 'none' | 'simple' | 'first' | 'average' | 'max';

const STRATEGIES: readonly AggregationStrategy[] = ['none', 'simple', 'first', 'average', 'max'];

/** Checks a strategy name (case-insensitive, as HF upper-cases it). */
export function parseStrategy(s: unknown): AggregationStrategy {
  const v = typeof s === 'string' ? s.toLowerCase() : s;
  if (!STRATEGIES.includes(v as AggregationStrategy)) {
    throw new TokentagError(`aggregation strategy must be one of ${STRATEGIES.join(', ')}, got ${JSON.stringify(s)}`);
  }
  return v as AggregationStrategy;
}

/** What the model and tokenizer produced for one sequence (one window of one text). */
export interface TokenizedPrediction {
  /** The string offsets point into (for pre-split input: the words joined with the delimiter). */
  text: string;
  inputIds: readonly number[];
  /** convert_ids_to_tokens, e.g. '##soft', 'Ġsoft', '▁soft'. */
  tokens: readonly string[];
  /**
   * Char offsets into `text`, **in UTF-16 code units** (JS string indices: `text.slice(start, end)`
   * is the token's source text). HF/Python offsets are code points; a caller holding code-point
   * offsets must convert them first (`codePointOffsetsToUtf16` in aggregate.ts). `[0, 0]` for specials.
   */
  offsets: readonly (readonly [number, number])[];
  /** 1 for special tokens ([CLS], [SEP], <s>, padding), which are skipped. */
  specialTokensMask: readonly number[];
  /** When the input was pre-split words: the word index per token (null for specials). */
  wordIds?: readonly (number | null)[];
  /** Softmax over labels per token (same length as inputIds). */
  probs: readonly Float32Array[];
}

export interface TokenizerFacts {
  unkTokenId: number | undefined;
  /** e.g. '##' for WordPiece; undefined for byte-level BPE / SentencePiece (then the whitespace heuristic is used). */
  continuingSubwordPrefix: string | undefined;
  /** convert_tokens_to_string */
  tokensToString(tokens: readonly string[]): string;
}

/** Output of strategy 'none' (HF keys). */
export interface TokenEntity {
  entity: string;
  score: number;
  index: number;
  word: string;
  start: number | null;
  end: number | null;
}

/** Output of strategies 'simple' | 'first' | 'average' | 'max' (HF keys). */
export interface GroupedEntity {
  entity_group: string;
  score: number;
  word: string;
  start: number | null;
  end: number | null;
}

/** Constrained decoding scheme for `bioViterbi` (viterbi.ts). */
export type ViterbiScheme = 'IOB2' | 'IOBES';

export interface AggregateOptions {
  strategy: AggregationStrategy;
  /** Default `['O']`; applied AFTER grouping, on `entity` (none) / `entity_group` (others). */
  ignoreLabels?: readonly string[];
  /**
   * Decide sub-words from `wordIds` (same word id as the previous kept token ⇒ sub-word) instead of
   * the `##`-length rule / whitespace heuristic. Deliberate improvement over HF (transformers#33579);
   * default false — the pipeline turns it on for pre-split input. Ignored when `wordIds` is absent.
   */
  useWordIds?: boolean;
  /**
   * Optional constrained decoding (not in HF): replace the per-unit argmax by the Viterbi path
   * over log-probabilities that satisfies the scheme. The unit is the token for none/simple and
   * the word (its FIRST/AVERAGE/MAX distribution) for first/average/max. Default: off.
   */
  viterbi?: false | ViterbiScheme;
}

export { postprocess, aggregateOverlappingEntities, softmax, codePointOffsetsToUtf16 } from './aggregate.ts';
export { bioViterbi } from './viterbi.ts';
