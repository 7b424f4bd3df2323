/**
 * Built-in label lists, in the exact order of the Hugging Face Hub datasets, so that tag ids
 * (and a model's `id2label`) agree with models trained in Python on the same data.
 * Checked against the `conll2003` dataset script (huggingface/datasets) and the
 * `wnut_17` features shown in the transformers token-classification guide.
 */
import { TokentagError } from '../errors.ts';

export const CONLL2003_NER = Object.freeze(['O', 'B-PER', 'I-PER', 'B-ORG', 'I-ORG', 'B-LOC', 'I-LOC', 'B-MISC', 'I-MISC']);

export const CONLL2003_POS = Object.freeze([
  '"', "''", '#', '$', '(', ')', ',', '.', ':', '``', 'CC', 'CD', 'DT', 'EX', 'FW', 'IN', 'JJ', 'JJR', 'JJS', 'LS', 'MD',
  'NN', 'NNP', 'NNPS', 'NNS', 'NN|SYM', 'PDT', 'POS', 'PRP', 'PRP$', 'RB', 'RBR', 'RBS', 'RP', 'SYM', 'TO', 'UH', 'VB',
  'VBD', 'VBG', 'VBN', 'VBP', 'VBZ', 'WDT', 'WP', 'WP$', 'WRB',
]);

export const CONLL2003_CHUNK = Object.freeze([
  'O', 'B-ADJP', 'I-ADJP', 'B-ADVP', 'I-ADVP', 'B-CONJP', 'I-CONJP', 'B-INTJ', 'I-INTJ', 'B-LST', 'I-LST', 'B-NP', 'I-NP',
  'B-PP', 'I-PP', 'B-PRT', 'I-PRT', 'B-SBAR', 'I-SBAR', 'B-UCP', 'I-UCP', 'B-VP', 'I-VP',
]);

export const WNUT17_NER = Object.freeze([
  'O', 'B-corporation', 'I-corporation', 'B-creative-work', 'I-creative-work', 'B-group', 'I-group', 'B-location',
  'I-location', 'B-person', 'I-person', 'B-product', 'I-product',
]);

/** Label names per tag column. */
export type ColumnLabels = Readonly<Record<string, readonly string[]>>;

export const LABEL_PRESETS = Object.freeze({
  conll2003: Object.freeze({ pos_tags: CONLL2003_POS, chunk_tags: CONLL2003_CHUNK, ner_tags: CONLL2003_NER }),
  wnut_17: Object.freeze({ ner_tags: WNUT17_NER }),
} satisfies Record<string, ColumnLabels>);

export type LabelPreset = keyof typeof LABEL_PRESETS;

/** A preset name or explicit names per column (`{ner_tags: ['O', 'B-PER', …]}`). */
export type LabelSpec = LabelPreset | ColumnLabels;

export function isLabelPreset(name: string): name is LabelPreset {
  return Object.hasOwn(LABEL_PRESETS, name);
}

export function resolveLabels(spec: LabelSpec | undefined): ColumnLabels {
  if (spec === undefined) return {};
  if (typeof spec !== 'string') return spec;
  if (!isLabelPreset(spec)) throw new TokentagError(`unknown label preset '${spec}' (presets: ${Object.keys(LABEL_PRESETS).join(', ')})`);
  return LABEL_PRESETS[spec];
}
