/** The built-in synthetic corpus written as files (Node only; synthetic.ts itself touches no file system). */
import { saveDataset } from './load.ts';
import { type SyntheticOptions, syntheticNer } from './synthetic.ts';

/**
 * Writes the corpus as 2-column CoNLL (`token tag`) to `dir/train.txt`, `dir/validation.txt`
 * and `dir/test.txt`, for `tokentag data inspect --dataset DIR`; returns the files written.
 */
export async function writeSyntheticConll(dir: string, options: SyntheticOptions = {}): Promise<string[]> {
  return saveDataset(syntheticNer(options), dir, { format: 'conll' });
}
