/**
 * Training a WordPiece vocabulary with no tokenizer library (in a browser): the words are
 * pre-tokenized by the TypeScript WordPiece's own normalizer and pre-tokenizer (wordpiece.ts,
 * which matches the Rust library's), and the vocabulary is learnt by the same deterministic
 * trainer as in Node (learn-wordpiece.ts). The same corpus and options give the same vocabulary
 * as `trainWordPiece` (train.ts) there; test/tokenize/wordpiece.test.ts checks it.
 */
import { BERT_SPECIAL_TOKENS, bertSpecialTokens, bertTokenizerJson } from './bert-json.ts';
import { countPreTokens, learnWordPiece, resolveTrainWordPiece, type TrainWordPieceOptions } from './learn-wordpiece.ts';
import { WordPieceTokenizer } from './wordpiece.ts';

/** Trains a BERT WordPiece tokenizer on pre-split sentences; see `trainWordPiece` (train.ts) for the rules. */
export function trainWordPieceTokenizer(sentences: Iterable<readonly string[]>, options: TrainWordPieceOptions = {}): WordPieceTokenizer {
  const { vocabSize, minFrequency, config } = resolveTrainWordPiece(options);
  // A tokenizer with only the special tokens: its normalizer and pre-tokenizer are what matter here.
  const specials = Object.fromEntries(BERT_SPECIAL_TOKENS.map((t, i) => [t, i]));
  const pre = new WordPieceTokenizer(bertTokenizerJson(specials, config));
  const vocab = learnWordPiece(countPreTokens(sentences, (w) => pre.preTokenize(w)), vocabSize, minFrequency);
  return new WordPieceTokenizer(bertTokenizerJson(vocab, config), { modelMaxLength: config.model_max_length, specialTokens: bertSpecialTokens(config) });
}
