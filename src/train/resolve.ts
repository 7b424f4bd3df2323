/**
 * What `tokentag train` / `evaluate` are asked to use: `--model` (a preset name, a model
 * directory or a Hugging Face Hub id) and `--dataset` (a file or directory, a Hub dataset id, or
 * nothing for the built-in synthetic corpus). This is the one place that decides what a model or
 * dataset argument means; the Hub part is src/hub (a Hub model becomes a directory in the cache).
 */
import { existsSync, statSync } from 'node:fs';
import { basename, join, resolve as resolvePath } from 'node:path';
import type { DatasetDict } from '../data/dataset.ts';
import { classLabelOf, tagColumns } from '../data/features.ts';
import { loadDataset, type DataSource, type LoadOptions } from '../data/load.ts';
import type { TaggedRow } from '../data/row.ts';
import { SYNTHETIC_DEFAULT_SIZES, syntheticNer } from '../data/synthetic.ts';
import { HubError, TokentagError } from '../errors.ts';
import { resolveHubDataset } from '../hub/dataset.ts';
import { resolveModel as resolveHubModel } from '../hub/model.ts';
import { parseRepoRef } from '../hub/repo-id.ts';
import type { HubOptions } from '../hub/settings.ts';
import { readConfig, type ModelConfig } from '../models/config.ts';
import { whyMissing } from '../io/writable.ts';
import { checkTagLabels } from './label-map.ts';
import type { TrainingArgumentsInit } from './args.ts';
import { DEFAULT_PRESET, getPreset, presetNames, type ModelPreset } from './presets.ts';

const WEIGHT_FILES = ['model.safetensors', 'model.safetensors.index.json', 'pytorch_model.bin', 'pytorch_model.bin.index.json'];
const TOKENIZER_FILES = ['tokenizer.json', 'vocab.txt'];

/** Where a Hub model came from: the id as given, the revision asked for, the commit it is. */
export interface HubOrigin {
  readonly id: string;
  readonly revision: string;
  readonly commit: string;
}

export type ResolvedModel =
  /** A preset: a new BERT of that shape, from scratch, with a WordPiece vocabulary trained on the data. */
  | { readonly kind: 'preset'; readonly name: string; readonly preset: ModelPreset }
  /** A directory with config.json (and maybe a tokenizer) but no weights: from scratch with that config. */
  | { readonly kind: 'config'; readonly name: string; readonly dir: string; readonly config: ModelConfig; readonly hasTokenizer: boolean; readonly hub?: HubOrigin }
  /** A directory with config.json, weights and a tokenizer: fine-tuning. */
  | { readonly kind: 'pretrained'; readonly name: string; readonly dir: string; readonly config: ModelConfig; readonly hub?: HubOrigin };

export interface ResolveOptions {
  /** How to reach the Hub (default: the environment). */
  readonly hub?: HubOptions;
}

function unknownModel(spec: string): never {
  throw new TokentagError(
    `--model ${spec}: not a model directory and not a preset. Presets: ${presetNames()
      .map((n) => `${n} (${getPreset(n)!.description})`)
      .join(', ')}; or a directory with config.json (+ model.safetensors and a tokenizer to fine-tune)`,
  );
}

/** A path the user meant as a local one: no Hub id looks like this. */
function looksLocal(s: string): boolean {
  return s.startsWith('.') || s.startsWith('/') || s.startsWith('~') || s.includes('\\') || /^[A-Za-z]:/.test(s) || parseRepoRef(s, 'model') === undefined;
}

/**
 * Resolves `--model`: undefined → the default preset; a preset name; a model directory; or a
 * Hub id (`bert-base-cased`, `org/name@revision`), fetched into Python's cache with its weights.
 * A local path wins over a Hub id; a preset name wins over a bare Hub id of the same name.
 */
export async function resolveModel(spec: string | undefined, options: ResolveOptions = {}): Promise<ResolvedModel> {
  const s = spec ?? DEFAULT_PRESET;
  if (!existsSync(s)) {
    const preset = getPreset(s);
    if (preset) return { kind: 'preset', name: preset.name, preset };
    if (looksLocal(s)) {
      if (!s.includes('/') && !s.includes('\\')) unknownModel(s);
      throw new TokentagError(`--model ${s}: no such directory (and not a preset: ${presetNames().join(', ')})`);
    }
    let hub;
    try {
      hub = await resolveHubModel(s, { ...options.hub, purpose: 'weights' });
    } catch (e) {
      // A bare name may have been meant as a preset.
      if (e instanceof HubError && !s.includes('/')) throw new HubError(e.kind, `${e.message} (and '${s}' is not a preset: ${presetNames().join(', ')})`, e.status);
      throw e;
    }
    const origin: HubOrigin = { id: hub.id!, revision: hub.revision!, commit: hub.commit! };
    return { ...classifyDir(hub.dir, `--model ${s}`, basename(hub.id!)), hub: origin };
  }
  if (!statSync(s).isDirectory()) throw new TokentagError(`--model ${s}: expected a model directory (with config.json) or a preset name, got a file`);
  return classifyDir(s, `--model ${s}`, basename(resolvePath(s)));
}

/** A model directory: config only (from scratch) or config + weights + tokenizer (fine-tuning). */
function classifyDir(s: string, what: string, name: string): Extract<ResolvedModel, { kind: 'config' | 'pretrained' }> {
  const configPath = join(s, 'config.json');
  if (!existsSync(configPath)) {
    throw new TokentagError(`${what}: no config.json in this directory; expected a Hugging Face model directory or a preset (${presetNames().join(', ')})`);
  }
  const config = readConfig(configPath);
  const hasWeights = WEIGHT_FILES.some((f) => existsSync(join(s, f)));
  const hasTokenizer = TOKENIZER_FILES.some((f) => existsSync(join(s, f)));
  if (!hasWeights) return { kind: 'config', name, dir: s, config, hasTokenizer };
  if (!hasTokenizer) {
    throw new TokentagError(`${what}: has weights but no tokenizer (tokenizer.json or vocab.txt); a pre-trained model must come with the tokenizer it was trained with`);
  }
  return { kind: 'pretrained', name, dir: s, config };
}

export interface ResolvedDataset {
  readonly dataset: DatasetDict<TaggedRow>;
  /** A line for the user: where the data came from. */
  readonly description: string;
  readonly synthetic: boolean;
  /** A Hub dataset: its id and configuration (for the model card). */
  readonly hub?: { readonly id: string; readonly config: string; readonly commit: string };
  /** Training defaults this dataset asks of a model trained from scratch (flags still win). */
  readonly trainingDefaults?: Partial<TrainingArgumentsInit>;
  /** The word dropout this dataset asks of a model trained from scratch (`--word-dropout` wins). */
  readonly wordDropout?: number;
}

/**
 * The main job's schedule on the synthetic corpus. Its training split is large and never
 * repeats a sentence or a name list's tier, so a few passes over fresh sentences teach more per
 * second than the presets' twelve passes over a small set plus a masked copy (word dropout): at
 * the same number of steps, 16,000 sentences without dropout beat 8,000 with it on the
 * hand-tagged real sentences (docs/cli-train.md, "The main job").
 *
 * Batches are not grouped by length here: the corpus is made from templates, so sentences of one
 * length mostly come from a few templates, and a length-grouped batch is a batch of near copies.
 * Grouped, the main job lost 0.05 F1 on the synthetic test split (0.873 → 0.817) and 0.04 on the
 * hand-tagged real sentences (0.815 → 0.779); on a corpus of CoNLL-2003's length distribution the
 * difference was −0.006 (docs/benchmarks.md), which is why grouping stays the default elsewhere.
 */
export const SYNTHETIC_TRAINING: Partial<TrainingArgumentsInit> = { numTrainEpochs: 3, groupByLength: false };
export const SYNTHETIC_WORD_DROPOUT = 0;

/** What `resolveDataset` reads with: `loadDataset`'s options (format, columns, labels, splits, a Hub configuration, …). */
export type ResolveDatasetOptions = ResolveOptions & LoadOptions;

/**
 * Resolves `--dataset`: undefined → the built-in synthetic corpus; a file or directory (CoNLL,
 * JSON Lines, CoNLL-U, Parquet) or files per split (`{train: …, validation: …}`, from
 * `--train-file` …) via `loadDataset`; else a Hub dataset id (its Parquet files, from Python's
 * cache or downloaded).
 */
export async function resolveDataset(spec: DataSource | undefined, options: ResolveDatasetOptions = {}): Promise<ResolvedDataset> {
  if (spec === undefined) {
    if (options.config !== undefined) throw new TokentagError('--dataset-config needs a Hub --dataset');
    const dataset = syntheticNer() as unknown as DatasetDict<TaggedRow>;
    const { train, validation, test } = SYNTHETIC_DEFAULT_SIZES;
    return {
      dataset,
      description: `the built-in synthetic NER corpus (syntheticNer(): seed 42, ${train} / ${validation} / ${test} sentences)`,
      synthetic: true,
      trainingDefaults: SYNTHETIC_TRAINING,
      wordDropout: SYNTHETIC_WORD_DROPOUT,
    };
  }
  if (spec === '') throw new TokentagError('--dataset must not be empty');
  const { hub: hubOptions, config, ...load } = options;
  const local = typeof spec !== 'string' || existsSync(spec);
  if (local && config !== undefined) throw new TokentagError(`--dataset-config names a configuration of a Hub dataset; ${typeof spec === 'string' ? `${spec} is a local path` : 'the split files are local'}`);
  if (typeof spec !== 'string') {
    for (const file of Object.values(spec).flat()) {
      if (!existsSync(file)) throw new TokentagError(`--dataset ${file}: ${whyMissing(file)}`);
    }
    const description = Object.entries(spec).map(([split, files]) => `${split}: ${[files].flat().join(', ')}`).join('; ');
    return { dataset: await loadDataset(spec, load), description, synthetic: false };
  }
  if (local) return { dataset: await loadDataset(spec, load), description: spec, synthetic: false };
  if (looksLocal(spec)) throw new TokentagError(`--dataset ${spec}: ${whyMissing(spec)}`);
  const hub = await resolveHubDataset(spec, { ...(config !== undefined ? { config } : {}), ...(hubOptions ? { hub: hubOptions } : {}) });
  const dataset = await loadDataset(hub.files, { ...load, featureLabels: hub.featureLabels });
  return { dataset, description: hub.description, synthetic: false, hub: { id: hub.id, config: hub.config, commit: hub.commit } };
}

/** The label names of `column`, checked to exist in every split. */
export function labelNamesOf(dataset: DatasetDict<TaggedRow>, column: string): string[] {
  for (const [split, ds] of dataset) {
    const cols = tagColumns(ds.features);
    if (!cols.includes(column)) {
      throw new TokentagError(`label column '${column}' is not in the ${split} split (its tag columns: ${cols.join(', ') || 'none'}); choose one with --label-column`);
    }
  }
  const first = dataset.get(dataset.names[0]);
  const names = [...classLabelOf(first.features, column).names];
  checkTagLabels(names, column);
  return names;
}

/** The training split, or a clear error. */
export function requireSplit(dataset: DatasetDict<TaggedRow>, split: string, what: string): void {
  if (!dataset.has(split)) throw new TokentagError(`the dataset has no ${split} split (it has: ${dataset.names.join(', ')}); ${what}`);
}
