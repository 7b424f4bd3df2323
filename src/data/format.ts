/**
 * The one rule for what a data file is, shared by every command (`train`, `evaluate`,
 * `data inspect`, `predict`, `score`) and by `loadDataset`:
 *
 * 1. An explicit format (`--format` / `--input-format`, or the `format` option) wins.
 * 2. An extension that can only mean one thing decides: `.parquet` → Parquet; `.jsonl` `.ndjson`
 *    → JSON Lines; `.conllu` → CoNLL-U; `.conll` `.iob` `.iob2` `.bio` `.bioes` `.tsv` → CoNLL.
 * 3. Anything else (`.txt`, `.json`, no extension, standard input) is decided by its first lines:
 *    a line starting with `{` → JSON Lines (`Dataset.to_json()` writes JSON Lines and names it
 *    `.json`); `[` → refused (a JSON array: write JSON Lines); ten tab-separated fields with a
 *    CoNLL-U ID first (`1`, `2-3`, `4.1`), or a `# global.columns =` header → CoNLL-U; otherwise
 *    CoNLL. Where raw text is possible too (`predict`), the lines are CoNLL only when every one
 *    has the same number of columns (at least two) and the last column holds tags: every value is
 *    `O` or has a `B-`/`I-`/`E-`/`S-`/`L-`/`U-` prefix (or suffix), or, with ten lines or more,
 *    it takes at most a third as many distinct values as there are lines (tags repeat, words do
 *    not); otherwise each line is a text.
 *
 * See docs/data.md ("File types").
 */
import { extname } from 'node:path';
import { InputError } from '../errors.ts';

/** What a dataset file can be. */
export type DataFormat = 'conll' | 'jsonl' | 'conllu' | 'parquet';
/** What `predict` can read: a dataset format, or raw text (one text per line). */
export type InputFormat = DataFormat | 'text';

export const DATA_FORMATS: readonly DataFormat[] = ['conll', 'jsonl', 'conllu', 'parquet'];
export const INPUT_FORMATS: readonly InputFormat[] = ['text', 'conll', 'jsonl', 'conllu'];

const BY_EXTENSION: Readonly<Record<string, DataFormat>> = {
  '.parquet': 'parquet',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.conllu': 'conllu',
  '.conll': 'conll',
  '.iob': 'conll',
  '.iob2': 'conll',
  '.bio': 'conll',
  '.bioes': 'conll',
  '.tsv': 'conll',
};

/** Extensions of files that hold a split (a directory's `train.txt`, `dev.json`, `test.conllu`, …). */
export const SPLIT_FILE_EXTENSIONS: ReadonlySet<string> = new Set(['.txt', '.json', ...Object.keys(BY_EXTENSION)]);

/** The format an extension alone decides, or undefined when the content must. */
export function formatOfExtension(file: string): DataFormat | undefined {
  return BY_EXTENSION[extname(file).toLowerCase()];
}

/** Non-blank lines of the sample looked at; enough to see a few sentences, little enough to read ahead. */
export const SAMPLE_LINES = 200;

const CONLLU_ID = /^(\d+|\d+-\d+|\d+\.\d+)$/;
const TAG = /^(O|[BIESLU]-\S+|\S+-[BIESLU])$/;

/** A CoNLL-U token line: ten tab-separated fields (or the declared count) with an ID first. */
function looksLikeConllu(line: string): boolean {
  const fields = line.split('\t');
  return fields.length === 10 && CONLLU_ID.test(fields[0]!);
}

/** CoNLL rather than raw text: consistent columns, and a last column that holds tags (see the module comment). */
function looksLikeTaggedColumns(lines: readonly string[]): boolean {
  const rows = lines.map((l) => l.trim().split(/\s+/));
  const width = rows[0]!.length;
  if (width < 2 || rows.some((r) => r.length !== width)) return false;
  const last = rows.map((r) => r[width - 1]!);
  if (last.every((t) => TAG.test(t))) return true;
  return rows.length >= 10 && new Set(last).size * 3 <= rows.length;
}

export interface DetectedFormat<F extends InputFormat = InputFormat> {
  readonly format: F;
  /** Why, in words: "the .jsonl extension", "its first line starts with {", … */
  readonly reason: string;
}

/** Decides by content (rule 3). `file` names the source in errors; `allowText`: raw text is a possible answer. */
function sniff(sample: string, file: string, allowText: boolean): DetectedFormat {
  const body = sample.charCodeAt(0) === 0xfeff ? sample.slice(1) : sample;
  const lines: string[] = [];
  let firstLine = 0;
  const all = body.split('\n');
  for (let i = 0; i < all.length && lines.length < SAMPLE_LINES; i++) {
    const l = all[i]!.replace(/\r$/, '');
    if (l.trim() === '') continue;
    if (lines.length === 0) firstLine = i + 1;
    lines.push(l);
  }
  if (lines.length === 0) return { format: allowText ? 'text' : 'conll', reason: 'it is empty' };
  const first = lines[0]!.trimStart();
  if (first.startsWith('{')) return { format: 'jsonl', reason: 'its first line starts with {' };
  if (first.startsWith('[')) {
    throw new InputError(file, firstLine, 'this is a JSON array; tokentag reads JSON Lines, one JSON object per line (Dataset.to_json() writes them; in Python: to_json(path, lines=True))');
  }
  if (first.startsWith('# global.columns')) return { format: 'conllu', reason: 'it starts with a CoNLL-U Plus # global.columns header' };
  const tokenLines = lines.filter((l) => !l.startsWith('#'));
  if (tokenLines.length > 0 && looksLikeConllu(tokenLines[0]!)) return { format: 'conllu', reason: 'its lines have the ten tab-separated CoNLL-U fields' };
  if (!allowText) return { format: 'conll', reason: 'its lines are neither JSON nor CoNLL-U' };
  return looksLikeTaggedColumns(lines)
    ? { format: 'conll', reason: 'every line has the same columns and the last one holds tags' }
    : { format: 'text', reason: 'its lines are not token-and-tag columns' };
}

function detect(file: string, sample: () => string, explicit: InputFormat | undefined, allowText: boolean): DetectedFormat {
  if (explicit) return { format: explicit, reason: 'it was given' };
  const byExtension = formatOfExtension(file);
  if (byExtension) return { format: byExtension, reason: `the ${extname(file).toLowerCase()} extension` };
  return sniff(sample(), file, allowText);
}

/** Rules 1–3 for a dataset file (CoNLL, JSON Lines or CoNLL-U). `sample()` gives its head, or all of it. */
export function detectDataFormat(file: string, sample: () => string, explicit?: DataFormat): DetectedFormat<DataFormat> {
  return detect(file, sample, explicit, false) as DetectedFormat<DataFormat>;
}

/** Rules 1–3 for `predict`'s input, where raw text (one text per line) is possible too. */
export function detectInputFormat(file: string, sample: () => string, explicit?: InputFormat): DetectedFormat {
  return detect(file, sample, explicit, true);
}
