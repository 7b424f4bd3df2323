/**
 * The options that say how to read a data file, the same on every command that reads one
 * (`data inspect`, `train`, `evaluate`, `predict`): `--format`, `--columns`, `--labels`, `--tab`.
 * What a file is when `--format` is not given is decided by src/data/format.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { UsageError } from '../errors.ts';
import { DATA_FORMATS, type DataFormat } from '../data/format.ts';
import { isLabelPreset, LABEL_PRESETS, resolveLabels, type LabelSpec } from '../data/labels.ts';
import type { LoadOptions } from '../data/load.ts';

export const DATA_OPTIONS = {
  format: { type: 'string' },
  columns: { type: 'string' },
  labels: { type: 'string' },
  tab: { type: 'boolean' },
} as const;

const presets = Object.keys(LABEL_PRESETS).join(' | ');

/** The help lines of the data options; `formatFlag` is `--format` (predict: `--input-format`). */
export function dataOptionsHelp(formatFlag = '--format'): string {
  return `  ${`${formatFlag} F`.padEnd(18)}conll | jsonl | conllu | parquet (default: from the extension, else
                    the content; see docs/data.md, "File types")
  --columns LIST    what the file's columns are, comma-separated: CoNLL by position, '_' skips
                    one (default: guessed from the column count), e.g. tokens,pos_tags,_,ner_tags;
                    CoNLL-U by name: upos, xpos, deprel, an extra field or a MISC key (default upos);
                    JSON Lines: the tag fields (default: *_tags, tags, labels)
  --labels L        label names, needed for JSON Lines with integer tag ids: a preset
                    (${presets}, the Hub's order), a comma-separated list for the label
                    column, or a JSON file ({"ner_tags": [...]}, a list, or a dataset_info.json)
                    (default: collected from the data, 'O' first)
  --tab             CoNLL columns are separated by tabs only (tokens may contain spaces)
`;
}

/** Label names per column from a dataset_info.json `features` entry, a `{column: names}` object or a list. */
function labelsFromJson(json: unknown, file: string, labelColumn: string): LabelSpec {
  if (Array.isArray(json)) return { [labelColumn]: json as string[] };
  if (json === null || typeof json !== 'object') throw new UsageError(`--labels ${file}: expected a list of label names or an object of lists per column`);
  const features = (json as { features?: unknown }).features;
  if (features && typeof features === 'object') {
    // datasets' dataset_info.json: {"features": {"ner_tags": {"feature": {"names": [...], "_type": "ClassLabel"}, "_type": "Sequence"}}}
    const out: Record<string, string[]> = {};
    for (const [column, f] of Object.entries(features as Record<string, { feature?: { names?: unknown }; names?: unknown }>)) {
      const names = f?.feature?.names ?? f?.names;
      if (Array.isArray(names)) out[column] = names as string[];
    }
    if (Object.keys(out).length === 0) throw new UsageError(`--labels ${file}: its "features" name no ClassLabel columns`);
    return out;
  }
  return json as LabelSpec;
}

/** `--labels`: a preset, a JSON file, or a comma-separated list for `labelColumn`. */
export function parseLabelsOption(value: string | undefined, labelColumn = 'ner_tags', flag = '--labels'): LabelSpec | undefined {
  if (value === undefined) return undefined;
  let spec: LabelSpec;
  if (isLabelPreset(value)) spec = value;
  else if (/\.json$/i.test(value)) {
    if (!existsSync(value)) throw new UsageError(`${flag} ${value}: no such file`);
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(value, 'utf8'));
    } catch (e) {
      throw new UsageError(`${flag} ${value}: not valid JSON (${(e as Error).message})`);
    }
    spec = labelsFromJson(json, value, labelColumn);
  } else if (value.includes(',')) {
    spec = { [labelColumn]: value.split(',').map((s) => s.trim()) };
  } else {
    throw new UsageError(`${flag} must be a preset (${presets}), a .json file or a comma-separated list of label names, got '${value}'`);
  }
  try {
    resolveLabels(spec); // checked here, so the message names the flag
  } catch (e) {
    throw new UsageError(`${flag} ${value}: ${(e as Error).message}`);
  }
  return spec;
}

/** `--format` / `--input-format`, checked against the formats that apply. */
export function parseFormatOption<F extends string>(value: string | undefined, allowed: readonly F[], flag: string): F | undefined {
  if (value === undefined) return undefined;
  if (!allowed.includes(value as F)) throw new UsageError(`${flag} must be ${allowed.join(', ')}, not '${value}'`);
  return value as F;
}

/** The `loadDataset` options the data flags ask for. */
export function dataLoadOptions(
  values: { format?: string; columns?: string; labels?: string; tab?: boolean },
  labelColumn = 'ner_tags',
  label: (option: string) => string = (o) => `--${o}`,
): LoadOptions {
  const format = parseFormatOption<DataFormat>(values.format, DATA_FORMATS, label('format'));
  const columns = values.columns?.split(',').map((c) => c.trim()).filter((c) => c !== '');
  const labels = parseLabelsOption(values.labels, labelColumn, label('labels'));
  return {
    ...(format ? { format } : {}),
    ...(columns ? { columns } : {}),
    ...(labels ? { labels } : {}),
    separator: values.tab ? 'tab' : 'whitespace',
  };
}
