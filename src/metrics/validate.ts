import { TokentagError } from '../errors.ts';
import type { Sequences } from './types.ts';

/**
 * seqeval's `check_consistent_length`, with a message that names the first sentence at fault
 * (seqeval prints both full length lists instead).
 */
export function checkConsistentLength(yTrue: Sequences, yPred: Sequences): void {
  if (yTrue.length !== yPred.length) {
    throw new TokentagError(
      `inconsistent numbers of samples: y_true has ${yTrue.length} sentences but y_pred has ${yPred.length}`,
    );
  }
  for (let k = 0; k < yTrue.length; k++) {
    if (!Array.isArray(yTrue[k]) || !Array.isArray(yPred[k])) {
      throw new TokentagError(`sentence ${k}: expected an array of tags in both y_true and y_pred`);
    }
    if (yTrue[k].length !== yPred[k].length) {
      throw new TokentagError(
        `inconsistent sentence lengths: sentence ${k} has ${yTrue[k].length} tags in y_true but ${yPred[k].length} in y_pred`,
      );
    }
  }
}
