import path from 'node:path';
import { loadTokenClassifier, saveTokenClassifier } from '../../src/models/index.ts';
import { saveTokenizerFiles, trainWordPiece } from '../../src/tokenize/index.ts';

/** The words the fixture tokenizer knows whole (others are split into pieces or [UNK]). */
export const NER_WORDS = ['Zürich', 'Paris', 'London', 'Berlin', 'Ada', 'Lovelace', 'Alan', 'Turing', 'lived', 'in', 'the', 'city', 'of', 'and', 'went', 'to', 'met', 'with', '😀'];

/**
 * A small model directory for pipeline, CLI and server tests: the 5-label random BERT fixture
 * (vocab 100, 64 positions), its classifier re-drawn from a seeded generator so that the
 * predictions vary between labels, and a cased WordPiece tokenizer trained on {@link NER_WORDS}.
 */
export async function makeNerModel(root: string, name: string): Promise<string> {
  const dir = path.join(root, name);
  const { config, params } = loadTokenClassifier(path.join(import.meta.dirname, '..', 'fixtures', 'models', 'bert'));
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  for (const [p, scale] of [['classifier.weight', 0.6], ['classifier.bias', 0.5]] as const) {
    const d = params.get(p)!.data as Float32Array;
    for (let i = 0; i < d.length; i++) d[i] = rand() * scale;
  }
  saveTokenClassifier(dir, config, params);
  saveTokenizerFiles(await trainWordPiece([NER_WORDS], { vocabSize: 100, lowercase: false, modelMaxLength: 64 }), dir);
  return dir;
}
