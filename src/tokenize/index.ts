// Public API of tokentag's tokenize stage: fast tokenizer with word ids, windows, label alignment.
export {
  FastTokenizer,
  bertWordPieceTokenizer,
  checkTokenizerFitsModel,
  checkTokenizerJson,
  loadTokenizer,
  parseVocabTxt,
  type SequenceTemplate,
  type SpecialTokensMap,
  type TokenizerConfig,
  type TokenizerJson,
  type TokenizerOptions,
  type WordPieces,
} from './tokenizer.ts';
export type { TextTokens, WordTokenizer } from './types.ts';
export { WordPieceTokenizer, wordPieceUnsupported } from './wordpiece.ts';
export { bertTokenizerJson } from './bert-json.ts';
export {
  countSplitSentences,
  encodeWords,
  mergeWindowPredictions,
  type EncodeWordsOptions,
  type Encoding,
  type MergeOptions,
  type WindowInfo,
} from './encode.ts';
export { IGNORE_INDEX, alignLabels, type AlignOptions } from './align.ts';
export {
  BERT_SPECIAL_TOKENS,
  saveTokenizerFiles,
  tokenizerFiles,
  trainWordPiece,
  type TrainWordPieceOptions,
} from './train.ts';
export { fastDecoder, wordPieceDecoder, type TokensDecoder } from './decode.ts';
export { AutoTokenizer, BatchEncoding, PreTrainedTokenizer, type TokenizerCallOptions } from './auto.ts';
