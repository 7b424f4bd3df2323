/**
 * Training a WordPiece vocabulary from a dataset's words (for models trained from scratch), and
 * saving a tokenizer in the Hugging Face layout.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bertNormalizer, bertPreTokenizer } from 'tokenizers';
import { TokentagError } from '../errors.ts';
import { makeDirs } from '../io/writable.ts';
import { countPreTokens, learnWordPiece, resolveTrainWordPiece, type TrainWordPieceOptions } from './learn-wordpiece.ts';
import { tokenizerFiles as wordTokenizerFiles } from './tokenizer-files.ts';
import { FastTokenizer, bertWordPieceTokenizer, bindingToJson } from './tokenizer.ts';

export { BERT_SPECIAL_TOKENS } from './bert-json.ts';
export type { TrainWordPieceOptions } from './learn-wordpiece.ts';

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
  const { vocabSize, lowercase, stripAccents, chinese, minFrequency, config } = resolveTrainWordPiece(options);
  // 1. Count the pre-tokens after the binding's normalizer and pre-tokenizer.
  const normalizer = bertNormalizer({ cleanText: true, handleChineseChars: chinese, stripAccents, lowercase });
  const preTokenizer = bertPreTokenizer();
  const pieceCounts = countPreTokens(sentences, (w) => preTokenizer.preTokenizeString(normalizer.normalizeString(w)).map(([piece]) => piece));
  const vocab = learnWordPiece(pieceCounts, vocabSize, minFrequency);
  return bertWordPieceTokenizer(vocab, config, {});
}

// ---------------------------------------------------------------------------------------------
// Saving

/**
 * Writes the tokenizer as Hugging Face does (`save_pretrained`): `tokenizer.json` (as the
 * library serialises it), `tokenizer_config.json`, `special_tokens_map.json`, and for WordPiece
 * also `vocab.txt` (see `tokenizerFiles`). Returns the paths written.
 */
export function saveTokenizerFiles(tokenizer: FastTokenizer, dir: string): string[] {
  makeDirs(dir);
  const paths: string[] = [];
  for (const [name, text] of tokenizerFiles(tokenizer)) {
    const p = join(dir, name);
    writeFileSync(p, text);
    paths.push(p);
  }
  return paths;
}

/**
 * The tokenizer's files in the Hugging Face layout (`tokenizer.json`, `tokenizer_config.json`,
 * `special_tokens_map.json`, `vocab.txt` for WordPiece), as `name → text`: what checkpoints and
 * saved models carry, written by the caller (atomically).
 */
export function tokenizerFiles(tokenizer: FastTokenizer): Map<string, string> {
  return new Map([...wordTokenizerFiles(tokenizer, bindingToJson(tokenizer.binding))].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
