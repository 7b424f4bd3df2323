/**
 * CoNLL-U (Universal Dependencies): one word per line in ten tab-separated fields
 * `ID FORM LEMMA UPOS XPOS FEATS HEAD DEPREL DEPS MISC`, `#` comment lines before each sentence,
 * a blank line after it. The words are the FORM column; multi-word token lines (`1-2`, the
 * surface token `del` = `de` + `el`) and empty nodes (`1.1`, enhanced dependencies) are skipped,
 * so the words are the syntactic words the tags belong to. CoNLL-U Plus files name their fields
 * in a `# global.columns = …` first line; extra fields (e.g. a NER column) can then be tag columns.
 *
 * Tag columns are chosen by name (`columns`, case-insensitive): `upos`, `xpos`, `deprel`, an extra
 * CoNLL-U Plus field, or a key of the MISC field (`ner` reads `NER=B-PER` from MISC). A column is
 * named by its lower-case name, as Hugging Face's `universal_dependencies` dataset names `upos` and
 * `xpos`. Default: `upos`, plus every extra CoNLL-U Plus field.
 * See https://universaldependencies.org/format.html and docs/data.md.
 */
import { InputError, TokentagError } from '../errors.ts';
import type { RawRow, RawSplit } from './build.ts';
import { SKIP } from './columns.ts';
import { describeNames } from './features.ts';
import type { LabelSpec } from './labels.ts';
import { splitLines } from './text.ts';
import type { LabelVocab, Vocabs } from './vocab.ts';

export interface ConlluReadOptions<C extends string = string> {
  /**
   * The tag columns to read, by name: `upos`, `xpos`, `deprel`, an extra CoNLL-U Plus field, or a
   * MISC key (`ner` for `NER=…`). `'tokens'` and `'_'` entries are ignored, so one list serves every
   * format. Default: `upos` and every extra CoNLL-U Plus field.
   */
  readonly columns?: readonly (C | 'tokens' | typeof SKIP)[];
  readonly labels?: LabelSpec;
}

export const CONLLU_FIELDS = Object.freeze(['ID', 'FORM', 'LEMMA', 'UPOS', 'XPOS', 'FEATS', 'HEAD', 'DEPREL', 'DEPS', 'MISC']);
/** Standard fields that may be tag columns (the others are ids, words, lemmas, features or heads). */
const TAG_FIELDS = new Set(['UPOS', 'XPOS', 'DEPREL']);
const INTEGER_ID = /^[1-9]\d*$/;
const RANGE_ID = /^\d+-\d+$/;
const EMPTY_NODE_ID = /^\d+\.\d+$/;

/** What one line of a CoNLL-U file is. `fields` only for word lines. */
export type ConlluLine =
  | { readonly kind: 'blank' | 'comment' | 'multiword' | 'empty-node' }
  | { readonly kind: 'word'; readonly fields: readonly string[] };

/** The fields of a file: the standard ten, or those a `# global.columns =` first line declares. */
export class ConlluLayout {
  readonly fields: readonly string[];
  readonly form: number;
  constructor(fields: readonly string[] = CONLLU_FIELDS) {
    this.fields = fields;
    this.form = fields.indexOf('FORM');
  }

  /** Reads a `# global.columns = ID FORM …` line; undefined for any other line. */
  static fromHeader(line: string, file: string): ConlluLayout | undefined {
    const m = /^#\s*global\.columns\s*=\s*(.*)$/.exec(line);
    if (!m) return undefined;
    const fields = m[1]!.trim().split(/\s+/);
    if (fields[0] !== 'ID' || !fields.includes('FORM')) {
      throw new InputError(file, 1, `# global.columns must name ID first and a FORM field, found '${m[1]!.trim()}'`);
    }
    return new ConlluLayout(fields);
  }

  /** Classifies a line; a word line with the wrong field count or a bad ID is an error naming it. */
  classify(line: string, file: string, lineNo: number): ConlluLine {
    if (line.trim() === '') return { kind: 'blank' };
    if (line.startsWith('#')) return { kind: 'comment' };
    const fields = line.split('\t');
    if (fields.length !== this.fields.length) {
      throw new InputError(
        file,
        lineNo,
        `expected ${this.fields.length} tab-separated CoNLL-U fields (${this.fields.join(' ')}), found ${fields.length}` +
          (fields.length === 1 && /\s/.test(line.trim()) ? ' (the fields must be separated by tabs)' : ''),
      );
    }
    const id = fields[0]!;
    if (RANGE_ID.test(id)) return { kind: 'multiword' };
    if (EMPTY_NODE_ID.test(id)) return { kind: 'empty-node' };
    if (!INTEGER_ID.test(id)) throw new InputError(file, lineNo, `the ID field is '${id}'; expected a word index (1, 2, …), a range (1-2) or an empty node (1.1)`);
    if (fields[this.form] === '') throw new InputError(file, lineNo, 'the FORM field is empty');
    return { kind: 'word', fields };
  }

  /** Extra CoNLL-U Plus fields, lower-cased: the default tag columns besides `upos`. */
  extraColumns(): string[] {
    return this.fields.filter((f) => !CONLLU_FIELDS.includes(f)).map((f) => f.toLowerCase());
  }
}

/** The value of `key=` in a MISC field (`SpaceAfter=No|NER=B-PER`), keys compared case-insensitively. */
function miscValue(misc: string, key: string): string | undefined {
  if (misc === '_') return undefined;
  for (const item of misc.split('|')) {
    const eq = item.indexOf('=');
    if (eq > 0 && item.slice(0, eq).toLowerCase() === key) return item.slice(eq + 1);
  }
  return undefined;
}

/**
 * Reads tag column `column` (`upos`, `xpos`, `deprel`, an extra CoNLL-U Plus field or a MISC key)
 * from a word line's fields: the value, or an error naming the line when a MISC key is missing.
 */
export function conlluTagReader(column: string, layout: ConlluLayout, file: string): (fields: readonly string[], lineNo: number) => string {
  const upper = column.toUpperCase();
  const index = layout.fields.indexOf(upper);
  if (index >= 0) {
    if (CONLLU_FIELDS.includes(upper) && !TAG_FIELDS.has(upper)) {
      throw new TokentagError(`${file}: the CoNLL-U field ${upper} cannot be a tag column (choose upos, xpos, deprel, an extra CoNLL-U Plus field or a MISC key)`);
    }
    return (fields) => fields[index]!;
  }
  const misc = layout.fields.indexOf('MISC');
  if (misc < 0) throw new TokentagError(`${file}: no CoNLL-U field named ${upper} (fields: ${layout.fields.join(' ')}) and no MISC field to find a ${column}= key in`);
  const key = column.toLowerCase();
  return (fields, lineNo) => {
    const v = miscValue(fields[misc]!, key);
    if (v === undefined) throw new InputError(file, lineNo, `the MISC field has no ${key}= value ('${fields[misc]}'); every word needs one when ${key} is a tag column`);
    return v;
  };
}

/** Parses one CoNLL-U text into the rows of one split; ids stay provisional until `assemble`. */
export function parseConlluSplit(text: string, file: string, name: string, options: ConlluReadOptions, vocabs: Vocabs): RawSplit {
  const lines = splitLines(text);
  const layout = (lines.length > 0 && ConlluLayout.fromHeader(lines[0]!, file)) || new ConlluLayout();
  const chosen = options.columns?.filter((c) => c !== 'tokens' && c !== SKIP);
  const columns = (chosen && chosen.length > 0 ? chosen : ['upos', ...layout.extraColumns()]).map((c) => c.toLowerCase());
  const dup = columns.find((c, i) => columns.indexOf(c) !== i);
  if (dup) throw new TokentagError(`column '${dup}' is named twice`);
  const readers = columns.map((c) => conlluTagReader(c, layout, file));
  const vocabList: LabelVocab[] = columns.map((c) => vocabs.get(c));
  const rows: RawRow[] = [];
  let tokens: string[] = [];
  let tags: number[][] = columns.map(() => []);
  const flush = (): void => {
    if (tokens.length === 0) return;
    rows.push({ id: String(rows.length), tokens, tags });
    tokens = [];
    tags = columns.map(() => []);
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const kind = layout.classify(line, file, i + 1);
    if (kind.kind === 'blank') flush();
    if (kind.kind !== 'word') continue;
    const { fields } = kind;
    tokens.push(fields[layout.form]!);
    for (let j = 0; j < columns.length; j++) {
      const label = readers[j]!(fields, i + 1);
      const id = vocabList[j]!.id(label);
      if (id < 0) throw new InputError(file, i + 1, `unknown ${columns[j]} label '${label}' (expected ${describeNames(vocabList[j]!.fixed!.names)})`);
      tags[j]!.push(id);
    }
  }
  flush();
  return { name, file, columns, rows };
}
