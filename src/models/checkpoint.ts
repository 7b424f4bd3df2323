/**
 * Token classifiers in and out of the Hugging Face directory layout: `config.json` +
 * `model.safetensors` (or a sharded `model.safetensors.index.json`, or a pickled
 * `pytorch_model.bin`, read without executing it).
 *
 * Loading maps the checkpoint's tensors onto the architecture's parameters by name, as
 * `from_pretrained` does: a checkpoint saved from the base model (`BertModel` saves
 * `embeddings.…`, not `bert.embeddings.…`) gets the base model prefix; legacy LayerNorm
 * `gamma` / `beta` names become `weight` / `bias`; buffers (`…embeddings.position_ids`) are
 * skipped; a missing head is initialised and reported; tensors the model does not use are
 * reported; a head whose shape differs (another label count) is an error unless
 * `ignoreMismatchedSizes`.
 *
 * Saving writes a directory that Python's `AutoModelForTokenClassification.from_pretrained`
 * loads, atomically: everything is written into a temporary directory first.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TensorData } from '../engine/dtype.ts';
import { architectureFor, checkParams, type Architecture } from './auto.ts';
import { type ModelConfig, configToString, defaultLabels, numLabelsOf, readConfig, withLabels } from './config.ts';
import { NormalGenerator, initParam } from './init.ts';
import { readPytorchBin } from './pickle.ts';
import { fsyncDir, writeFileSynced } from '../io/atomic.ts';
import { describeFsError, fsErrorCodeOf, makeDirs } from '../io/writable.ts';
import { CheckpointError, type LoadedTensor, SAFETENSORS_INDEX_NAME, readSafetensors, readShardedSafetensors, writeSafetensors } from './safetensors.ts';

export const CONFIG_NAME = 'config.json';
export const SAFETENSORS_NAME = 'model.safetensors';
export const PYTORCH_NAME = 'pytorch_model.bin';
export const PYTORCH_INDEX_NAME = 'pytorch_model.bin.index.json';

export interface LoadOptions {
  /** Labels of the head. Default: the config's. A different count re-initialises the head (see `ignoreMismatchedSizes`). */
  numLabels?: number;
  /** Label names by id (an array, or `{ "0": "O", … }` as in config.json); sets the labels and their count. */
  id2label?: readonly string[] | Readonly<Record<string, string>>;
  /** Re-initialise (and report) a head whose shape differs from the checkpoint's instead of failing. */
  ignoreMismatchedSizes?: boolean;
  /** Seed of the weights initialised here (a missing or mismatched head); default 42. */
  seed?: number;
}

export interface MismatchedWeight {
  readonly name: string;
  readonly checkpoint: readonly number[];
  readonly model: readonly number[];
}

export interface LoadReport {
  /** The file the weights came from (`model.safetensors`, an index, or `pytorch_model.bin`). */
  readonly weightsFile: string;
  /** Parameters the checkpoint did not have, initialised from scratch (the head of a base checkpoint). */
  readonly newlyInitialized: string[];
  /** Checkpoint tensors the model does not use (checkpoint names, e.g. `cls.predictions.bias`, `bert.pooler.dense.weight`). */
  readonly unused: string[];
  /** Head weights whose shape differed, re-initialised because of `ignoreMismatchedSizes`. */
  readonly mismatched: MismatchedWeight[];
  /** Buffers skipped because they are not weights (`bert.embeddings.position_ids`). */
  readonly ignoredBuffers: string[];
  /** Checkpoint names that were mapped to another parameter name (`embeddings.…` → `bert.embeddings.…`, `gamma` → `weight`). */
  readonly renamed: ReadonlyArray<readonly [from: string, to: string]>;
}

export interface LoadedTokenClassifier {
  readonly config: ModelConfig;
  /** The weights in the architecture's checkpoint order. */
  readonly params: Map<string, TensorData<'float32'>>;
  readonly report: LoadReport;
  readonly architecture: Architecture<ModelConfig>;
}

function labelsFromOption(id2label: LoadOptions['id2label']): string[] {
  if (Array.isArray(id2label)) return [...(id2label as readonly string[])];
  const entries = Object.entries(id2label as Readonly<Record<string, string>>);
  const names: string[] = new Array(entries.length);
  for (const [k, v] of entries) {
    const id = Number(k);
    if (!Number.isInteger(id) || id < 0 || id >= entries.length) throw new CheckpointError('id2label option', undefined, `label ids must be 0..${entries.length - 1}, found ${JSON.stringify(k)}`);
    names[id] = v;
  }
  return names;
}

/** The config with the labels the caller asked for. */
/** The config with the labels `opts` asks for (`id2label`, `numLabels`). */
export function applyLabels(config: ModelConfig, opts: LoadOptions): ModelConfig {
  if (opts.numLabels !== undefined && !(Number.isInteger(opts.numLabels) && opts.numLabels >= 1)) {
    throw new CheckpointError('numLabels option', undefined, `numLabels must be a positive integer, got ${opts.numLabels}`);
  }
  if (opts.id2label !== undefined) {
    const labels = labelsFromOption(opts.id2label);
    if (opts.numLabels !== undefined && opts.numLabels !== labels.length) {
      throw new CheckpointError('numLabels option', undefined, `numLabels ${opts.numLabels} does not match the ${labels.length} labels of id2label`);
    }
    return withLabels(config, labels);
  }
  if (opts.numLabels !== undefined && opts.numLabels !== numLabelsOf(config)) return withLabels(config, defaultLabels(opts.numLabels));
  return config;
}

// ---- reading the weights -------------------------------------------------------------------

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** `pytorch_model.bin.index.json`: shards named by a weight_map, each a torch.save file. */
function readShardedPytorch(indexFile: string): Map<string, LoadedTensor> {
  let index: unknown;
  try {
    index = JSON.parse(fs.readFileSync(indexFile, 'utf8'));
  } catch (e) {
    throw new CheckpointError(indexFile, undefined, `cannot read the index: ${(e as Error).message}`);
  }
  const weightMap = (index as { weight_map?: unknown })?.weight_map;
  if (typeof weightMap !== 'object' || weightMap === null || Array.isArray(weightMap)) {
    throw new CheckpointError(indexFile, undefined, '"weight_map" must be an object of tensor name → shard file');
  }
  const dir = path.dirname(indexFile);
  const shards = new Map<string, Map<string, LoadedTensor>>();
  const out = new Map<string, LoadedTensor>();
  for (const [name, shard] of Object.entries(weightMap as Record<string, unknown>)) {
    if (typeof shard !== 'string' || shard !== path.basename(shard) || shard === '..' || shard === '.' || shard === '') {
      throw new CheckpointError(indexFile, name, `the shard must be a file name inside the checkpoint directory, found ${JSON.stringify(shard)}`);
    }
    let tensors = shards.get(shard);
    if (!tensors) shards.set(shard, (tensors = readPytorchBin(path.join(dir, shard)).tensors));
    const t = tensors.get(name);
    if (!t) throw new CheckpointError(indexFile, name, `the weight_map puts it in ${JSON.stringify(shard)}, which does not contain it`);
    out.set(name, t);
  }
  return out;
}

/** The weights file a load of `dir` reads (safetensors preferred, as Hugging Face does), or null. */
export function weightsFileOf(dir: string): string | null {
  for (const name of [SAFETENSORS_NAME, SAFETENSORS_INDEX_NAME, PYTORCH_NAME, PYTORCH_INDEX_NAME]) {
    if (isFile(path.join(dir, name))) return path.join(dir, name);
  }
  return null;
}

/** The checkpoint's tensors, from the first weights file found (safetensors preferred, as Hugging Face does). */
export function readCheckpointTensors(dir: string): { file: string; tensors: Map<string, LoadedTensor> } {
  const file = weightsFileOf(dir);
  switch (file && path.basename(file)) {
    case SAFETENSORS_NAME:
      return { file: file!, tensors: readSafetensors(file!).tensors };
    case SAFETENSORS_INDEX_NAME:
      return { file: file!, tensors: readShardedSafetensors(file!).tensors };
    case PYTORCH_NAME:
      return { file: file!, tensors: readPytorchBin(file!).tensors };
    case PYTORCH_INDEX_NAME:
      return { file: file!, tensors: readShardedPytorch(file!) };
  }
  const others = ['tf_model.h5', 'flax_model.msgpack', 'model.ckpt.index'].filter((f) => isFile(path.join(dir, f)));
  throw new CheckpointError(
    dir,
    undefined,
    `no model weights found (looked for ${SAFETENSORS_NAME}, ${SAFETENSORS_INDEX_NAME}, ${PYTORCH_NAME}, ${PYTORCH_INDEX_NAME})` +
      (others.length ? `; ${others.join(', ')} ${others.length === 1 ? 'is' : 'are'} TensorFlow/Flax weights, which tokentag does not read — convert them to safetensors with transformers first` : ''),
  );
}

// ---- loading -------------------------------------------------------------------------------

/** Hugging Face's legacy renames: LayerNorm `gamma`/`beta` → `weight`/`bias`. */
function legacyName(name: string): string {
  if (name.endsWith('.gamma')) return `${name.slice(0, -'.gamma'.length)}.weight`;
  if (name.endsWith('.beta')) return `${name.slice(0, -'.beta'.length)}.bias`;
  return name;
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

const fmt = (dims: readonly number[]) => `[${dims.join(', ')}]`;

/**
 * Weights that are NaN or infinite make every prediction NaN (empty predictions, F1 0, and no
 * error anywhere): such a checkpoint is refused where it is read, naming the tensor.
 */
function checkFinite(data: Float32Array, file: string, name: string): void {
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum += data[i]! * 0; // NaN · 0 and ±Infinity · 0 are NaN
  if (sum === 0) return;
  let bad = 0;
  let first = -1;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) {
      bad++;
      if (first < 0) first = i;
    }
  }
  throw new CheckpointError(
    file,
    name,
    `has ${bad} value${bad === 1 ? '' : 's'} that ${bad === 1 ? 'is' : 'are'} not a finite number (the first, at index ${first}, is ${data[first]}): ` +
      'the weights are broken (saved from a training run that diverged?)',
  );
}

/**
 * Maps checkpoint tensors onto a config's parameters (the heart of {@link loadTokenClassifier},
 * usable on tensors from anywhere). `file` is named in errors.
 */
export function mapCheckpoint(
  config: ModelConfig,
  tensors: ReadonlyMap<string, LoadedTensor>,
  file: string,
  opts: Pick<LoadOptions, 'ignoreMismatchedSizes' | 'seed'> & { readonly labelsFromConfig?: boolean } = {},
): { params: Map<string, TensorData<'float32'>>; report: Omit<LoadReport, 'weightsFile'> } {
  const arch = architectureFor(config);
  const expected = arch.paramShapes(config);
  const expectedNames = new Set(expected.map((p) => p.name));
  const heads = new Set(arch.headNames);
  const prefix = `${arch.baseModelPrefix}.`;

  // A checkpoint saved from the base model has no `bert.` prefix anywhere: add it where it makes a parameter name.
  const hasPrefix = [...tensors.keys()].some((k) => k.startsWith(prefix));
  const found = new Map<string, { tensor: LoadedTensor; from: string }>();
  const unused: string[] = [];
  const ignoredBuffers: string[] = [];
  const renamed: [string, string][] = [];
  for (const [original, tensor] of tensors) {
    let name = legacyName(original);
    if (!hasPrefix && !expectedNames.has(name) && expectedNames.has(prefix + name)) name = prefix + name;
    if (arch.ignoredBuffers.some((re) => re.test(name))) {
      ignoredBuffers.push(original);
      continue;
    }
    if (!expectedNames.has(name)) {
      unused.push(original);
      continue;
    }
    const previous = found.get(name);
    if (previous) throw new CheckpointError(file, original, `maps to parameter '${name}', which '${previous.from}' already provides`);
    if (name !== original) renamed.push([original, name]);
    found.set(name, { tensor, from: original });
  }

  const normal = new NormalGenerator(opts.seed ?? 42);
  const params = new Map<string, TensorData<'float32'>>();
  const newlyInitialized: string[] = [];
  const mismatched: MismatchedWeight[] = [];
  const missing: string[] = [];
  for (const p of expected) {
    const hit = found.get(p.name);
    if (!hit) {
      if (heads.has(p.name)) {
        params.set(p.name, initParam(p, config.initializerRange, normal));
        newlyInitialized.push(p.name);
      } else {
        missing.push(p.name);
      }
      continue;
    }
    const t = hit.tensor;
    if (!sameDims(t.dims, p.dims)) {
      if (!heads.has(p.name)) {
        throw new CheckpointError(file, hit.from, `has shape ${fmt(t.dims)} but the config (${config.modelType}) needs ${fmt(p.dims)} for '${p.name}': config.json and the weights disagree`);
      }
      if (!opts.ignoreMismatchedSizes) {
        throw new CheckpointError(
          file,
          hit.from,
          opts.labelsFromConfig
            ? `the checkpoint's head has shape ${fmt(t.dims)} but config.json has ${numLabelsOf(config)} labels (${fmt(p.dims)}): config.json and the weights disagree`
            : `the checkpoint's head has shape ${fmt(t.dims)} but the model needs ${fmt(p.dims)} (${numLabelsOf(config)} labels); ` +
                'pass ignoreMismatchedSizes to re-initialise the head',
        );
      }
      params.set(p.name, initParam(p, config.initializerRange, normal));
      mismatched.push({ name: p.name, checkpoint: [...t.dims], model: [...p.dims] });
      continue;
    }
    if (t.dtype !== 'float32') throw new CheckpointError(file, hit.from, `is ${t.dtype}; model weights must be floating point`);
    checkFinite(t.data as Float32Array, file, hit.from);
    params.set(p.name, t);
  }
  if (missing.length > 0) {
    const shown = missing.slice(0, 8).join(', ');
    throw new CheckpointError(
      file,
      undefined,
      `the checkpoint lacks ${missing.length} weight${missing.length === 1 ? '' : 's'} of the ${config.modelType} encoder: ${shown}${missing.length > 8 ? `, … (${missing.length - 8} more)` : ''}` +
        (found.size === 0 ? ` (none of its tensors matched; is it a ${config.modelType} checkpoint?)` : ''),
    );
  }
  return { params, report: { newlyInitialized, unused, mismatched, ignoredBuffers, renamed } };
}

/**
 * Loads a token classifier from a Hugging Face model directory: `config.json`, then the weights
 * (`model.safetensors`, a sharded safetensors index, or `pytorch_model.bin`). See the module
 * comment for how names are mapped; `report` says what was initialised, unused or mismatched.
 */
export function loadTokenClassifier(dir: string, opts: LoadOptions = {}): LoadedTokenClassifier {
  if (!fs.existsSync(dir)) throw new CheckpointError(dir, undefined, 'no such directory');
  if (!fs.statSync(dir).isDirectory()) throw new CheckpointError(dir, undefined, 'not a directory (a model is a directory with config.json and model.safetensors)');
  const config = applyLabels(readConfig(path.join(dir, CONFIG_NAME)), opts);
  const { file, tensors } = readCheckpointTensors(dir);
  const labelsFromConfig = opts.id2label === undefined && opts.numLabels === undefined;
  const { params, report } = mapCheckpoint(config, tensors, file, { ...opts, labelsFromConfig });
  return { config, params, report: { weightsFile: file, ...report }, architecture: architectureFor(config) };
}

// ---- saving --------------------------------------------------------------------------------

export interface SaveOptions {
  /**
   * Extra files to write next to the model, by file name (e.g. `tokenizer.json`,
   * `tokenizer_config.json`, `special_tokens_map.json`, `vocab.txt`): text (UTF-8) or bytes.
   */
  tokenizerFiles?: ReadonlyMap<string, string | Uint8Array> | Readonly<Record<string, string | Uint8Array>>;
}

/** The metadata `save_pretrained` writes; `from_pretrained` rejects safetensors files without a known format. */
export const SAFETENSORS_METADATA = { format: 'pt' } as const;

/**
 * Writes a token classifier in the Hugging Face layout: `config.json` (with `architectures`,
 * `model_type`, `id2label`, `label2id`, `torch_dtype`) and `model.safetensors` (metadata
 * `{"format": "pt"}`), plus `tokenizerFiles`. Everything is written into a temporary directory
 * and fsynced before anything is renamed into `dir`, so a failure leaves no half-written model.
 * A stale sharded index (`model.safetensors.index.json`) and its shards in `dir` are removed,
 * since they would describe other weights.
 */
export function saveTokenClassifier(dir: string, config: ModelConfig, params: ReadonlyMap<string, TensorData<'float32'>>, opts: SaveOptions = {}): void {
  checkParams(config, params);
  const files = new Map<string, string | Uint8Array>();
  const extra = opts.tokenizerFiles instanceof Map ? [...opts.tokenizerFiles] : Object.entries(opts.tokenizerFiles ?? {});
  for (const [name, data] of extra) {
    if (name !== path.basename(name) || name === '' || name === '.' || name === '..' || name.includes('\0')) {
      throw new CheckpointError(dir, undefined, `tokenizer file name ${JSON.stringify(name)} must be a plain file name`);
    }
    if (name === CONFIG_NAME || name === SAFETENSORS_NAME) throw new CheckpointError(dir, undefined, `tokenizer files cannot be called ${name}`);
    if (typeof data !== 'string' && !(data instanceof Uint8Array)) throw new CheckpointError(dir, undefined, `tokenizer file ${name} must be a string or bytes`);
    files.set(name, data);
  }
  // Tensors in checkpoint order (the safetensors writer orders the file itself).
  const ordered = new Map<string, TensorData<'float32'>>();
  for (const p of architectureFor(config).paramShapes(config)) ordered.set(p.name, params.get(p.name)!);

  const target = path.resolve(dir);
  const exists = fs.existsSync(target);
  if (exists && !fs.statSync(target).isDirectory()) throw new CheckpointError(dir, undefined, 'exists and is not a directory');
  const parent = path.dirname(target);
  makeDirs(parent);
  // A new directory is built beside its final name and renamed once; into an existing one, files are renamed one by one.
  const tmp = exists ? path.join(target, `.tokentag-save-${process.pid}-${randomBytes(6).toString('hex')}`) : `${target}.tokentag-${process.pid}-${randomBytes(6).toString('hex')}.tmp`;
  fs.mkdirSync(tmp);
  try {
    writeSafetensors(path.join(tmp, SAFETENSORS_NAME), ordered, SAFETENSORS_METADATA);
    writeFileSynced(path.join(tmp, CONFIG_NAME), configToString(config));
    for (const [name, data] of files) writeFileSynced(path.join(tmp, name), data);
    fsyncDir(tmp);
    if (!exists) {
      fs.renameSync(tmp, target);
    } else {
      const staleIndex = path.join(target, SAFETENSORS_INDEX_NAME);
      const staleShards = isFile(staleIndex) ? shardsOf(staleIndex) : [];
      for (const name of [SAFETENSORS_NAME, ...files.keys(), CONFIG_NAME]) fs.renameSync(path.join(tmp, name), path.join(target, name));
      fs.rmdirSync(tmp);
      for (const f of [...staleShards, SAFETENSORS_INDEX_NAME]) fs.rmSync(path.join(target, f), { force: true });
    }
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    // Named for the model directory, not the temporary file inside it that failed.
    const code = fsErrorCodeOf(e);
    if (code) throw new CheckpointError(dir, undefined, `cannot save the model: ${describeFsError({ code })}${exists ? '; the model that was there is unchanged' : ''}`, { cause: e });
    if (e instanceof CheckpointError) throw e;
    throw new CheckpointError(dir, undefined, `cannot save the model: ${(e as Error).message}`);
  }
  fsyncDir(exists ? target : parent);
}

/** Shard files named by a safetensors index that look like Hugging Face shards (`model-00001-of-00002.safetensors`). */
function shardsOf(indexFile: string): string[] {
  try {
    const index = JSON.parse(fs.readFileSync(indexFile, 'utf8')) as { weight_map?: Record<string, unknown> };
    const names = new Set(Object.values(index.weight_map ?? {}).filter((v): v is string => typeof v === 'string'));
    return [...names].filter((n) => /^model-\d+-of-\d+\.safetensors$/.test(n));
  } catch {
    return [];
  }
}
