import * as fs from 'node:fs';
import * as path from 'node:path';

/** The model fixtures made by scripts/make-model-fixtures.py (Debian's python3-torch). */
export const FIXTURES = path.join(import.meta.dirname, '..', 'fixtures', 'models');

/** How close our logits must be to the reference's. */
export const TOLERANCE = 1e-4;

/** A fixture's `expected.json`: the inputs and the reference logits. */
export interface ReferenceLogits {
  input_ids: number[][];
  attention_mask: number[][];
  token_type_ids?: number[][];
  logits: number[][][];
}

export function readReferenceLogits(dir: string): ReferenceLogits {
  return JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8')) as ReferenceLogits;
}
