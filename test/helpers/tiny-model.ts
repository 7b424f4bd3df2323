import path from 'node:path';
import { loadTokenClassifier, saveTokenClassifier } from '../../src/models/index.ts';
import { saveTokenizerFiles, trainWordPiece } from '../../src/tokenize/index.ts';

const FIXTURE = path.join(import.meta.dirname, '..', 'fixtures', 'models', 'bert');
const WORDS = ['Zürich', 'Paris', 'London', 'Berlin', 'Ada', 'Lovelace', 'Alan', 'Turing', 'lived', 'in', 'the', 'city', 'of', 'and', 'went', 'to', 'met', 'with', '😀'];

/**
 * A model directory a pipeline can run: the 5-label random BERT fixture (vocab 100, 64
 * positions) with its classifier sharpened by a seeded perturbation, so that predictions vary
 * between labels, and a cased WordPiece `tokenizer.json` trained on a few words.
 */
export async function makeTinyModel(dir: string): Promise<string> {
  const { config, params } = loadTokenClassifier(FIXTURE);
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  for (const [name, scale] of [['classifier.weight', 0.6], ['classifier.bias', 0.5]] as const) {
    const d = params.get(name)!.data as Float32Array;
    for (let i = 0; i < d.length; i++) d[i] = rand() * scale;
  }
  saveTokenClassifier(dir, config, params);
  saveTokenizerFiles(await trainWordPiece([WORDS], { vocabSize: 100, lowercase: false, modelMaxLength: 64 }), dir);
  return dir;
}
