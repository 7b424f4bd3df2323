import path from 'node:path';
import { loadTokenClassifier, saveTokenClassifier } from '../../src/models/index.ts';
import { saveTokenizerFiles, trainWordPiece } from '../../src/tokenize/index.ts';

const FIXTURE = path.join(import.meta.dirname, '..', 'fixtures', 'models', 'bert');
export const TINY_CORPUS = [
  ['Zürich', 'Paris', 'London', 'Berlin', 'Ada', 'Lovelace', 'Alan', 'Turing', 'lived', 'in', 'the', 'city', 'of', 'and', 'went', 'to', 'met', 'with', '😀'],
];

/**
 * A model directory for the pipeline: the 5-label random BERT fixture (vocab 100, 64 positions),
 * its classifier sharpened with a seeded perturbation so that predictions vary between labels,
 * and a cased WordPiece tokenizer.json trained here (≤ 100 ids).
 */
export async function makeTinyNerModel(root: string, name = 'bert'): Promise<string> {
  const dir = path.join(root, name);
  const { config, params } = loadTokenClassifier(FIXTURE);
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  const w = params.get('classifier.weight')!;
  const b = params.get('classifier.bias')!;
  for (let i = 0; i < w.data.length; i++) (w.data as Float32Array)[i] = rand() * 0.6;
  for (let i = 0; i < b.data.length; i++) (b.data as Float32Array)[i] = rand() * 0.5;
  saveTokenClassifier(dir, config, params);
  const tok = await trainWordPiece(TINY_CORPUS, { vocabSize: 100, lowercase: false, modelMaxLength: 64 });
  saveTokenizerFiles(tok, dir);
  return dir;
}
