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

/** Label names per tag column, as lists. */
export type ResolvedLabels = Readonly<Record<string, readonly string[]>>;

export const LABEL_PRESETS = Object.freeze({
  conll2003: Object.freeze({ pos_tags: CONLL2003_POS, chunk_tags: CONLL2003_CHUNK, ner_tags: CONLL2003_NER }),
  wnut_17: Object.freeze({ ner_tags: WNUT17_NER }),
} satisfies Record<string, ResolvedLabels>);

export type LabelPreset = keyof typeof LABEL_PRESETS;

/**
 * Label names per tag column: a list (`{ner_tags: ['O', 'B-PER', …]}`), or a preset whose list of
 * that column is meant (`{ner_tags: 'conll2003'}`).
 */
export type ColumnLabels = Readonly<Record<string, readonly string[] | LabelPreset>>;

/** A preset name (all its columns) or names per column. */
export type LabelSpec = LabelPreset | ColumnLabels;

export function isLabelPreset(name: string): name is LabelPreset {
  return Object.hasOwn(LABEL_PRESETS, name);
}

const presetList = (): string => Object.keys(LABEL_PRESETS).join(', ');

/** Lists per column; a preset named for one column gives that column's list. Anything else is a clear error. */
export function resolveLabels(spec: LabelSpec | undefined): ResolvedLabels {
  if (spec === undefined) return {};
  if (typeof spec === 'string') {
    if (!isLabelPreset(spec)) throw new TokentagError(`labels: unknown label preset '${spec}' (presets: ${presetList()})`);
    return LABEL_PRESETS[spec];
  }
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
    throw new TokentagError(`labels must be a preset name (${presetList()}) or an object of label names per column, e.g. { ner_tags: ['O', 'B-PER', 'I-PER'] } or { ner_tags: 'conll2003' }; got ${JSON.stringify(spec)}`);
  }
  const out: Record<string, readonly string[]> = {};
  for (const [column, value] of Object.entries(spec)) {
    if (typeof value === 'string') {
      if (!isLabelPreset(value)) throw new TokentagError(`labels.${column}: unknown label preset '${value}' (presets: ${presetList()})`);
      const lists: ResolvedLabels = LABEL_PRESETS[value];
      if (!Object.hasOwn(lists, column)) {
        throw new TokentagError(`labels.${column}: the preset '${value}' has no ${column} (it names: ${Object.keys(lists).join(', ')})`);
      }
      out[column] = lists[column];
    } else if (Array.isArray(value)) {
      const bad = value.findIndex((v) => typeof v !== 'string');
      if (bad >= 0) throw new TokentagError(`labels.${column}: label names must be strings; item ${bad} is ${JSON.stringify(value[bad])}`);
      out[column] = value;
    } else {
      throw new TokentagError(`labels.${column} must be a preset name (${presetList()}) or an array of label names, got ${JSON.stringify(value)}`);
    }
  }
  return out;
}
