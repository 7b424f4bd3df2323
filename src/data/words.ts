/**
 * Splits raw text into the words a BERT pre-tokenizer makes: runs of characters between
 * whitespace, with every punctuation character (ASCII punctuation, as Rust's
 * `is_ascii_punctuation`, or any Unicode `P*` character) a word of its own. These are the words
 * the `token-classification` pipeline labels with `aggregation_strategy="first"`, so corpora
 * written in them (the synthetic corpus, `examples/real-sentences`) are scored on the words a
 * user's raw text is cut into.
 */
const SPLIT = /\s+|([!-/:-@[-`{-~]|\p{P})/u;

export function splitWords(text: string): string[] {
  return text.split(SPLIT).filter((w): w is string => w !== undefined && w !== '');
}
