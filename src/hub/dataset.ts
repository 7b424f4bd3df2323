/**
 * Datasets by Hub id (`conll2003`, `eriktks/conll2003`, `leondz/wnut_17@<commit>`): the Parquet
 * files of one configuration, in Python's cache, for `loadDataset` to read.
 *
 * Where the Parquet files are:
 * 1. the repository's own (a dataset pushed with `datasets`' `push_to_hub`): grouped into
 *    configurations and splits by the card's `configs:` section, else as `datasets` does without
 *    one: a single `default` configuration, the split named in each path (`data/train-00000-of-00001.parquet`);
 * 2. otherwise the Hub's own conversion, the `refs/convert/parquet` revision:
 *    `<config>/<split>/0000.parquet` (`partial-<split>` for conversions of a part).
 *
 * Every split of the chosen configuration is fetched at once (they are small next to a model), so
 * a cached configuration is always whole; `splits` only limits what is read.
 *
 * Label names come from what the dataset declares: the Parquet files' `huggingface` metadata
 * (read by data/parquet.ts), else the card's `dataset_info` (returned here as `featureLabels`).
 */
import { parse as parseYaml } from 'yaml';
import { HubError, TokentagError } from '../errors.ts';
import { columnsFromCardFeatures, declaredLabels } from '../data/hf-features.ts';
import type { ResolvedLabels } from '../data/labels.ts';
import { describeRef, parseRepoRef, type RepoRef } from './repo-id.ts';
import { hubSettings, type HubOptions } from './settings.ts';
import { snapshot, type Choice, type Chooser } from './snapshot.ts';
import { join } from 'node:path';

export const PARQUET_REVISION = 'refs/convert/parquet';

/** config → split → Parquet paths. */
export type ParquetLayout = Map<string, Map<string, string[]>>;

export interface HubDatasetOptions {
  /** The configuration (`--dataset-config`). */
  readonly config?: string;
  readonly hub?: HubOptions;
  /** Ask the Hub for the branch's current commit even when the cache has the files. */
  readonly refresh?: boolean;
}

export interface HubDatasetFiles {
  readonly id: string;
  readonly config: string;
  /** `main` (the repository's files) or `refs/convert/parquet`. */
  readonly revision: string;
  readonly commit: string;
  /** split → local Parquet files, in the Hub's split order (train, validation, test, then the rest). */
  readonly files: Record<string, string[]>;
  /** Label names from the card's `dataset_info`, for files without `huggingface` metadata. */
  readonly featureLabels: ResolvedLabels;
  /** One line for the user. */
  readonly description: string;
  readonly fromCache: boolean;
}

// ---- the dataset card --------------------------------------------------------------------

export interface DatasetCard {
  readonly configs?: unknown;
  readonly dataset_info?: unknown;
}

/** The YAML front matter of a README.md (empty when it has none). */
export function parseCard(text: string, where = 'README.md'): DatasetCard {
  const m = /^---\r?\n([\s\S]*?)\r?\n---\s*(?:\r?\n|$)/.exec(text.replace(/^\uFEFF/, ''));
  if (!m) return {};
  try {
    const y = parseYaml(m[1]!) as unknown;
    return typeof y === 'object' && y !== null ? (y as DatasetCard) : {};
  } catch (e) {
    throw new TokentagError(`${where}: its YAML metadata does not parse (${(e as Error).message.split('\n')[0]})`);
  }
}

/** The card's label names for a configuration (`dataset_info` is one object or a list with `config_name`). */
export function cardLabels(card: DatasetCard, config: string, where: string): ResolvedLabels {
  const info = card.dataset_info;
  const entries = Array.isArray(info) ? info : info ? [info] : [];
  const entry = (entries as { config_name?: string; features?: unknown }[]).find((e) => (e.config_name ?? 'default') === config) ?? (entries.length === 1 ? entries[0] : undefined);
  if (!entry?.features) return {};
  return declaredLabels(columnsFromCardFeatures(entry.features, `${where} dataset_info`));
}

// ---- which files are which split ---------------------------------------------------------

const SPLIT_KEYWORDS: readonly [string, readonly string[]][] = [
  ['train', ['train', 'training']],
  ['validation', ['validation', 'valid', 'dev', 'val']],
  ['test', ['test', 'testing', 'eval', 'evaluation']],
];
const SPLIT_ORDER = ['train', 'validation', 'test'];

/** The split a path names (`data/train-00000-of-00001.parquet` → train), as `datasets` finds it without a card. */
export function splitOfPath(path: string): string | undefined {
  for (const segment of path.toLowerCase().split(/[/._\- ]+/)) {
    for (const [split, words] of SPLIT_KEYWORDS) if (words.includes(segment)) return split;
  }
  return undefined;
}

/** `data/train-*` as a regular expression (`*` within a folder, `**` across folders). */
function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
      if (glob[i + 1] === '/') i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function add(layout: ParquetLayout, config: string, split: string, path: string): void {
  let splits = layout.get(config);
  if (!splits) layout.set(config, (splits = new Map()));
  const files = splits.get(split) ?? [];
  if (!files.includes(path)) files.push(path);
  splits.set(split, files);
}

/** The repository's own Parquet files by the card's `configs:` (data_files per split, globs). */
export function layoutFromCard(configs: unknown, parquet: readonly string[]): ParquetLayout {
  const layout: ParquetLayout = new Map();
  if (!Array.isArray(configs)) return layout;
  for (const c of configs as { config_name?: string; data_files?: unknown }[]) {
    const name = c.config_name ?? 'default';
    const df = c.data_files;
    const entries: { split: string; paths: string[] }[] =
      typeof df === 'string' ? [{ split: 'train', paths: [df] }]
      : Array.isArray(df) && df.every((x) => typeof x === 'string') ? [{ split: 'train', paths: df as string[] }]
      : Array.isArray(df) ? (df as { split?: string; path?: unknown }[]).map((e) => ({ split: e.split ?? 'train', paths: typeof e.path === 'string' ? [e.path] : Array.isArray(e.path) ? e.path.map(String) : [] }))
      : [];
    for (const { split, paths } of entries) {
      for (const glob of paths) {
        const re = globToRegExp(glob);
        for (const p of parquet) if (re.test(p)) add(layout, name, split, p);
      }
    }
  }
  return layout;
}

/** The repository's own Parquet files without a card: one `default` configuration, splits by name. */
export function layoutByConvention(parquet: readonly string[]): ParquetLayout {
  const layout: ParquetLayout = new Map();
  for (const p of parquet) add(layout, 'default', splitOfPath(p) ?? 'train', p);
  return layout;
}

/** The `refs/convert/parquet` revision: `<config>/<split>/NNNN.parquet` (or `partial-<split>`). */
export function layoutOfConversion(parquet: readonly string[]): ParquetLayout {
  const layout: ParquetLayout = new Map();
  for (const p of parquet) {
    const parts = p.split('/');
    if (parts.length !== 3) continue;
    add(layout, parts[0]!, parts[1]!.replace(/^partial-/, ''), p);
  }
  return layout;
}

function pickConfig(layout: ParquetLayout, card: DatasetCard | undefined, asked: string | undefined, ref: RepoRef): string {
  const names = [...layout.keys()];
  if (asked !== undefined) {
    if (!layout.has(asked)) throw new HubError('unsupported', `${describeRef(ref)} has no configuration '${asked}' with Parquet files (it has: ${names.join(', ') || 'none'})`);
    return asked;
  }
  if (layout.has('default')) return 'default';
  const marked = Array.isArray(card?.configs) ? (card!.configs as { config_name?: string; default?: boolean }[]).find((c) => c.default)?.config_name : undefined;
  if (marked && layout.has(marked)) return marked;
  if (names.length === 1) return names[0]!;
  throw new HubError('unsupported', `${describeRef(ref)} has several configurations (${names.join(', ')}); choose one with --dataset-config (the \`config\` option)`);
}

interface DatasetChoice extends Choice {
  readonly card?: DatasetCard;
  readonly config?: string;
  readonly splits?: Map<string, string[]>;
}

function chooser(revision: 'main' | 'conversion', asked: string | undefined, ref: RepoRef): Chooser<DatasetChoice> {
  return async (listing, read) => {
    const files: string[] = [];
    let card: DatasetCard | undefined;
    if (revision === 'main' && listing.has('README.md')) {
      files.push('README.md');
      card = parseCard(await read('README.md'), `${ref.id}/README.md`);
    }
    const parquet = [...listing].filter((p) => p.endsWith('.parquet')).sort();
    if (parquet.length === 0) return { files, ...(card ? { card } : {}) };
    const layout = revision === 'conversion' ? layoutOfConversion(parquet) : card?.configs ? layoutFromCard(card.configs, parquet) : layoutByConvention(parquet);
    if (layout.size === 0) return { files, ...(card ? { card } : {}) };
    const config = pickConfig(layout, card, asked, ref);
    const splits = layout.get(config)!;
    for (const paths of splits.values()) files.push(...paths);
    return { files, config, splits, ...(card ? { card } : {}) };
  };
}

function ordered(splits: Map<string, string[]>, dir: string): Record<string, string[]> {
  const rank = (s: string) => (SPLIT_ORDER.includes(s) ? SPLIT_ORDER.indexOf(s) : SPLIT_ORDER.length);
  const out: Record<string, string[]> = {};
  for (const [split, paths] of [...splits].sort(([a], [b]) => rank(a) - rank(b) || (a < b ? -1 : 1))) {
    out[split] = paths.map((p) => join(dir, ...p.split('/')));
  }
  return out;
}

export const DATASET_NEEDS = 'Parquet files (in the repository or in its refs/convert/parquet conversion)';

/** The local Parquet files of a Hub dataset's configuration (downloaded into Python's cache if needed). */
export async function resolveHubDataset(spec: string, options: HubDatasetOptions = {}): Promise<HubDatasetFiles> {
  const at = parseRepoRef(spec, 'dataset');
  if (!at) throw new TokentagError(`${spec}: no such file or directory, and not a Hugging Face Hub dataset id (name, org/name, or org/name@revision)`);
  const settings = hubSettings(options.hub);
  const common = { needs: DATASET_NEEDS, spec, refresh: options.refresh ?? false };
  const main = await snapshot(at, settings, chooser('main', options.config, at), common);
  let snap = main;
  if (!main.choice.splits) {
    if (at.revision !== 'main') {
      throw new HubError('unsupported', `${describeRef(at)} has no Parquet files at that revision (the Hub's Parquet conversion is only for the main branch); tokentag reads datasets as Parquet`);
    }
    const conv = { ...at, revision: PARQUET_REVISION };
    try {
      snap = await snapshot(conv, settings, chooser('conversion', options.config, at), common);
    } catch (e) {
      if (e instanceof HubError && e.kind === 'revision-not-found') {
        throw new HubError('unsupported', `${describeRef(at)} has no Parquet files: none in its repository and no Hub conversion (${PARQUET_REVISION}); tokentag reads Hub datasets as Parquet — a script-only dataset must be converted first`);
      }
      throw e;
    }
    if (!snap.choice.splits) throw new HubError('unsupported', `${describeRef(at)} has no Parquet files in its repository nor in ${PARQUET_REVISION}`);
  }
  const config = snap.choice.config!;
  const card = main.choice.card;
  return {
    id: at.id,
    config,
    revision: snap.ref.revision,
    commit: snap.commit,
    files: ordered(snap.choice.splits!, snap.dir),
    featureLabels: card ? cardLabels(card, config, `${at.id}/README.md`) : {},
    description: `${at.id} (Hub dataset, config ${config}, ${snap.ref.revision === PARQUET_REVISION ? `the Hub's Parquet conversion` : 'Parquet files'} at ${snap.commit.slice(0, 8)})`,
    fromCache: main.fromCache && snap.fromCache,
  };
}
