/**
 * What `tokentag train` / `evaluate` are asked to use: `--model` (a preset name or a model
 * directory) and `--dataset` (a file or directory, or nothing for the built-in synthetic corpus).
 * This is the one place that decides what a model or dataset argument means: Hugging Face Hub
 * ids will slot in here.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, join, resolve as resolvePath } from 'node:path';
import type { DatasetDict } from '../data/dataset.ts';
import { classLabelOf, tagColumns } from '../data/features.ts';
import { loadDataset } from '../data/load.ts';
import type { TaggedRow } from '../data/row.ts';
import { syntheticNer } from '../data/synthetic.ts';
import { TokentagError } from '../errors.ts';
import { readConfig, type ModelConfig } from '../models/config.ts';
import { DEFAULT_PRESET, getPreset, presetNames, type ModelPreset } from './presets.ts';

const WEIGHT_FILES = ['model.safetensors', 'model.safetensors.index.json', 'pytorch_model.bin', 'pytorch_model.bin.index.json'];
const TOKENIZER_FILES = ['tokenizer.json', 'vocab.txt'];

export type ResolvedModel =
  /** A preset: a new BERT of that shape, from scratch, with a WordPiece vocabulary trained on the data. */
  | { readonly kind: 'preset'; readonly name: string; readonly preset: ModelPreset }
  /** A directory with config.json (and maybe a tokenizer) but no weights: from scratch with that config. */
  | { readonly kind: 'config'; readonly name: string; readonly dir: string; readonly config: ModelConfig; readonly hasTokenizer: boolean }
  /** A directory with config.json, weights and a tokenizer: fine-tuning. */
  | { readonly kind: 'pretrained'; readonly name: string; readonly dir: string; readonly config: ModelConfig };

function unknownModel(spec: string): never {
  throw new TokentagError(
    `--model ${spec}: not a model directory and not a preset. Presets: ${presetNames()
      .map((n) => `${n} (${getPreset(n)!.description})`)
      .join(', ')}; or a directory with config.json (+ model.safetensors and a tokenizer to fine-tune)`,
  );
}

/** Resolves `--model`: undefined → the default preset; a preset name; or a model directory. */
export function resolveModel(spec: string | undefined): ResolvedModel {
  const s = spec ?? DEFAULT_PRESET;
  const looksLikePath = s.includes('/') || s.includes('\\') || s.startsWith('.') || existsSync(s);
  if (!looksLikePath) {
    const preset = getPreset(s);
    if (preset) return { kind: 'preset', name: preset.name, preset };
    unknownModel(s);
  }
  if (!existsSync(s)) {
    const preset = getPreset(s);
    if (preset) return { kind: 'preset', name: preset.name, preset };
    throw new TokentagError(`--model ${s}: no such directory (and not a preset: ${presetNames().join(', ')})`);
  }
  if (!statSync(s).isDirectory()) throw new TokentagError(`--model ${s}: expected a model directory (with config.json) or a preset name, got a file`);
  const configPath = join(s, 'config.json');
  if (!existsSync(configPath)) {
    throw new TokentagError(`--model ${s}: no config.json in this directory; expected a Hugging Face model directory or a preset (${presetNames().join(', ')})`);
  }
  const config = readConfig(configPath);
  const name = basename(resolvePath(s));
  const hasWeights = WEIGHT_FILES.some((f) => existsSync(join(s, f)));
  const hasTokenizer = TOKENIZER_FILES.some((f) => existsSync(join(s, f)));
  if (!hasWeights) return { kind: 'config', name, dir: s, config, hasTokenizer };
  if (!hasTokenizer) {
    throw new TokentagError(`--model ${s}: has weights but no tokenizer (tokenizer.json or vocab.txt); a pre-trained model must come with the tokenizer it was trained with`);
  }
  return { kind: 'pretrained', name, dir: s, config };
}

export interface ResolvedDataset {
  readonly dataset: DatasetDict<TaggedRow>;
  /** A line for the user: where the data came from. */
  readonly description: string;
  readonly synthetic: boolean;
}

/** Resolves `--dataset`: undefined → the built-in synthetic corpus; else a file or directory via `loadDataset`. */
export async function resolveDataset(spec: string | undefined): Promise<ResolvedDataset> {
  if (spec === undefined) {
    const dataset = syntheticNer() as unknown as DatasetDict<TaggedRow>;
    return { dataset, description: 'the built-in synthetic NER corpus (syntheticNer(): seed 42, 3000 / 400 / 400 sentences)', synthetic: true };
  }
  if (spec === '') throw new TokentagError('--dataset must not be empty');
  if (!existsSync(spec)) throw new TokentagError(`--dataset ${spec}: no such file or directory`);
  const dataset = await loadDataset(spec);
  return { dataset, description: spec, synthetic: false };
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
  return [...classLabelOf(first.features, column).names];
}

/** The training split, or a clear error. */
export function requireSplit(dataset: DatasetDict<TaggedRow>, split: string, what: string): void {
  if (!dataset.has(split)) throw new TokentagError(`the dataset has no ${split} split (it has: ${dataset.names.join(', ')}); ${what}`);
}
