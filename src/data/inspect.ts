/** Summaries of a dataset for people: counts per split and label, and one example laid out as a table. */
import type { Dataset, DatasetDict } from './dataset.ts';
import { tagColumns, type Features } from './features.ts';
import { tagIds, type TokenRow } from './row.ts';

export interface SplitStats {
  readonly sentences: number;
  readonly tokens: number;
  /** Per tag column, the number of tokens with each label id. */
  readonly labelCounts: Readonly<Record<string, readonly number[]>>;
}

export function splitStats<R extends TokenRow>(dataset: Dataset<R>): SplitStats {
  const columns = tagColumns(dataset.features);
  const counts = columns.map((c) => new Array<number>(dataset.labels(c).numClasses).fill(0));
  let tokens = 0;
  for (const row of dataset) {
    tokens += row.tokens.length;
    columns.forEach((c, j) => {
      for (const id of tagIds(row, c)) counts[j][id]++;
    });
  }
  return { sentences: dataset.length, tokens, labelCounts: Object.fromEntries(columns.map((c, j) => [c, counts[j]])) };
}

/** Tag columns in the order people read them: NER first, then the rest as stored. */
export function displayColumns(features: Features): string[] {
  const columns = tagColumns(features);
  return columns.includes('ner_tags') ? ['ner_tags', ...columns.filter((c) => c !== 'ner_tags')] : columns;
}

/** Right-aligns numbers and left-aligns text under a header; columns separated by two spaces. */
export function renderTable(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [header, ...rows].map((r) => r.map(String));
  const widths = header.map((_, j) => Math.max(...cells.map((r) => r[j].length)));
  const numeric = header.map((_, j) => rows.length > 0 && rows.every((r) => typeof r[j] === 'number'));
  return cells
    .map((r) => r.map((v, j) => (numeric[j] ? v.padStart(widths[j]) : v.padEnd(widths[j]))).join('  ').trimEnd())
    .join('\n');
}

/**
 * A sentence with its tags underneath, each word padded to the widest cell of its column, as
 * the Hugging Face course prints it. Width is string length (East Asian wide characters will
 * misalign; fine for a terminal preview).
 */
export function alignExample(row: TokenRow, features: Features, columns = displayColumns(features)): string {
  const lines: string[][] = [[...row.tokens]];
  for (const c of columns) {
    const names = (features[c] as { feature: { names: readonly string[] } }).feature.names;
    lines.push(tagIds(row, c).map((id) => names[id] ?? String(id)));
  }
  const widths = row.tokens.map((_, k) => Math.max(...lines.map((l) => l[k].length)));
  return lines.map((l) => l.map((cell, k) => cell.padEnd(widths[k])).join(' ').trimEnd()).join('\n');
}

/** The whole `tokentag data inspect` report. */
export function renderInspect<R extends TokenRow>(dict: DatasetDict<R>, example: string): string {
  const splits = [...dict];
  const stats = splits.map(([, ds]) => splitStats(ds));
  const parts: string[] = [
    renderTable(
      ['split', 'sentences', 'tokens'],
      splits.map(([name], i) => [name, stats[i].sentences, stats[i].tokens]),
    ),
  ];
  const features = splits[0]?.[1].features ?? {};
  for (const c of displayColumns(features)) {
    const names = splits[0][1].labels(c).names;
    parts.push(
      renderTable(
        ['id', c, ...splits.map(([name]) => name)],
        names.map((label, id) => [id, label, ...stats.map((s) => s.labelCounts[c][id])]),
      ),
    );
  }
  const ds = dict.get(example);
  if (ds.length > 0) {
    const row = ds.get(0);
    const rowsShown = ['tokens', ...displayColumns(ds.features)].join(', ');
    parts.push(`first example of ${example} (id ${row.id}; rows: ${rowsShown}):\n${alignExample(row, ds.features)}`);
  } else {
    parts.push(`${example} has no examples`);
  }
  return parts.join('\n\n') + '\n';
}
