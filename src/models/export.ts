/**
 * Export a token classifier to ONNX in the layout Hugging Face Optimum writes and transformers.js
 * reads: `DIR/onnx/model.onnx` next to the model's `config.json`, weights as initializers, inputs
 * `input_ids`, `attention_mask` (and `token_type_ids` for BERT and ELECTRA, as Optimum's
 * `BertOnnxConfig` declares it), output `logits`, with the dynamic axes named `batch_size` and
 * `sequence_length`. A model over 2 GiB keeps its weights in `model.onnx_data` beside it
 * (Optimum's and transformers.js' name for the external data of `model.onnx`).
 *
 * transformers.js (v3/v4) feeds a session exactly the inputs it declares (`session.inputNames`),
 * filling a declared but missing `token_type_ids` with zeros (`encoder_forward`), so declaring
 * `token_type_ids` only where the architecture reads it is what both it and ONNX Runtime expect.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DType, TensorData } from '../engine/dtype.ts';
import type { Dim, Graph, Value } from '../engine/graph.ts';
import { readOnnxInfo, type SavedModel, saveModel } from '../engine/onnx.ts';
import { TokentagError } from '../errors.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { makeDirs } from '../io/writable.ts';
import { architectureFor, buildInferenceGraph } from './auto.ts';
import { CONFIG_NAME, loadTokenClassifier, weightsFileOf } from './checkpoint.ts';
import { readConfig } from './config.ts';
import { type ModelConfig, numLabelsOf } from './config.ts';

/** The sub-directory and file name transformers.js loads for `dtype: 'fp32'`. */
export const ONNX_SUBFOLDER = 'onnx';
export const ONNX_MODEL_NAME = 'model.onnx';
/** The dynamic axes, named as Optimum names them. */
export const BATCH_AXIS = 'batch_size';
export const SEQUENCE_AXIS = 'sequence_length';

export class ExportError extends TokentagError {
  override name = 'ExportError';
}

export interface ExportOptions {
  /** Where to write the model. Default: `DIR/onnx/model.onnx`. */
  output?: string;
  /**
   * Keep the weights in an external data file (`<output>_data`, i.e. `model.onnx_data`).
   * Default: only when the model would not fit in one 2 GiB protobuf.
   */
  externalData?: boolean;
}

export interface ExportedTensorInfo {
  readonly name: string;
  readonly dtype: DType;
  /** Sizes, or the names of the dynamic axes (`batch_size`, `sequence_length`). */
  readonly dims: readonly (number | string)[];
}

export interface ExportResult {
  /** The model directory that was read. */
  readonly modelDir: string;
  readonly modelType: ModelConfig['modelType'];
  readonly numLabels: number;
  /** The ONNX file written (absolute). */
  readonly file: string;
  /** Its size in bytes. */
  readonly bytes: number;
  /** The external data file (absolute) and its size, when the weights are not inside `file`. */
  readonly externalData?: { readonly file: string; readonly bytes: number };
  readonly opset: number;
  readonly inputs: readonly ExportedTensorInfo[];
  readonly outputs: readonly ExportedTensorInfo[];
  /** Checkpoint tensors the model does not use (not exported), e.g. a pooler. */
  readonly unusedWeights: readonly string[];
}

/**
 * The inference graph as exported: {@link buildInferenceGraph} with `token_type_ids` exactly where
 * the architecture reads them, and the inputs' and output's axes named and fully specified
 * (`[batch_size, sequence_length]` and `[batch_size, sequence_length, num_labels]`).
 */
export function exportGraph(config: ModelConfig, params: ReadonlyMap<string, TensorData<'float32'>>): Graph {
  const arch = architectureFor(config);
  const graph = buildInferenceGraph(config, params, { tokenTypeIds: arch.hasTokenTypes });
  const axes: readonly Dim[] = [BATCH_AXIS, SEQUENCE_AXIS];
  const inputs: Value[] = graph.inputs.map((v) => ({ ...v, shape: axes }));
  const outputs: Value[] = graph.outputs.map((v) => {
    if (v.name !== 'logits') throw new ExportError(`unexpected output '${v.name}' in the ${config.modelType} inference graph`);
    return { ...v, shape: [...axes, numLabelsOf(config)] };
  });
  const values = new Map(graph.values);
  for (const v of [...inputs, ...outputs]) values.set(v.name, v);
  return { ...graph, inputs, outputs, values };
}

function describe(v: Value): ExportedTensorInfo {
  return { name: v.name, dtype: v.dtype, dims: (v.shape ?? []).map((d) => d ?? '?') };
}

/**
 * Exports the token classifier in model directory `dir` (`config.json` + `model.safetensors`,
 * sharded safetensors or `pytorch_model.bin`) to ONNX: `dir/onnx/model.onnx` unless
 * `opts.output` says otherwise. Returns what was written. A checkpoint without its
 * token-classification head (a base model) is refused: its head would be random.
 */
export function exportOnnx(dir: string, opts: ExportOptions = {}): ExportResult {
  const modelDir = path.resolve(dir);
  if (!fs.existsSync(modelDir)) throw new ExportError(`${dir}: no such directory`);
  if (!fs.statSync(modelDir).isDirectory()) throw new ExportError(`${dir}: not a directory (a model is a directory with config.json and model.safetensors)`);
  if (!fs.existsSync(path.join(modelDir, CONFIG_NAME))) {
    throw new ExportError(`${path.join(dir, CONFIG_NAME)}: no such file (a model directory needs config.json and model.safetensors)`);
  }
  const { config, params, report } = loadTokenClassifier(modelDir);
  if (report.newlyInitialized.length > 0) {
    throw new ExportError(
      `${report.weightsFile}: the checkpoint has no token-classification head (${report.newlyInitialized.join(', ')} missing), ` +
        'so the exported model would predict random labels; fine-tune it first',
    );
  }
  const graph = exportGraph(config, params);
  const file = path.resolve(opts.output ?? path.join(modelDir, ONNX_SUBFOLDER, ONNX_MODEL_NAME));
  // What the export was made from, so that a model trained into this directory later is never
  // run through this stale graph (checkExport).
  const hashes: HashCache = {};
  const metadata = { [EXPORT_SOURCE_KEY]: JSON.stringify(fingerprintModel(modelDir, report.weightsFile, hashes)) };
  try {
    makeDirs(path.dirname(file));
  } catch (e) {
    throw new ExportError(`cannot create ${path.dirname(file)}: ${(e as Error).message}`);
  }
  let written: SavedModel;
  try {
    written = saveModel(graph, file, { metadata, ...(opts.externalData === undefined ? {} : { externalData: opts.externalData }) });
  } catch (e) {
    if (e instanceof TokentagError) throw new ExportError(e.message);
    throw new ExportError(`cannot write ${file}: ${(e as Error).message}`);
  }
  if (!opts.output) writeHashCache(path.join(path.dirname(file), HASH_CACHE_NAME), hashes);
  return {
    modelDir,
    modelType: config.modelType,
    numLabels: numLabelsOf(config),
    file,
    bytes: written.bytes,
    ...(written.externalData ? { externalData: written.externalData } : {}),
    opset: graph.opset,
    inputs: graph.inputs.map(describe),
    outputs: graph.outputs.map(describe),
    unusedWeights: report.unused,
  };
}

// ---- is an export still the model's? ---------------------------------------------------------

/** The ONNX metadata key under which an export records what it was made from. */
export const EXPORT_SOURCE_KEY = 'tokentag.source';
/**
 * Beside the export: the SHA-256 of each weights file by (name, size, modification time), so
 * that checking an unchanged directory costs a `stat`, not a read of the weights. Only a cache:
 * the fingerprint itself is in the ONNX file (which stays deterministic: no times in it).
 */
const HASH_CACHE_NAME = '.tokentag-hashes.json';

interface SourceFile {
  readonly file: string;
  readonly bytes: number;
  readonly sha256: string;
}

/** What an export was made from: the SHA-256 of config.json and of each weights file. */
export interface ExportSource {
  readonly config: string;
  readonly weights: readonly SourceFile[];
}

type HashCache = Record<string, { bytes: number; mtimeMs: number; sha256: string }>;

function sha256File(file: string): string {
  const hash = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 22);
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; ) hash.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

/** The weights files a load reads: the one file, or a sharded index and its shards. */
function weightFilesOf(weightsFile: string): string[] {
  const dir = path.dirname(weightsFile);
  if (!weightsFile.endsWith('.index.json')) return [weightsFile];
  try {
    const index = JSON.parse(fs.readFileSync(weightsFile, 'utf8')) as { weight_map?: Record<string, string> };
    return [weightsFile, ...[...new Set(Object.values(index.weight_map ?? {}))].sort().map((f) => path.join(dir, f))];
  } catch {
    return [weightsFile];
  }
}

function readHashCache(file: string): HashCache {
  try {
    const c = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    return c !== null && typeof c === 'object' && !Array.isArray(c) ? (c as HashCache) : {};
  } catch {
    return {};
  }
}

/**
 * The fingerprint of the model in `dir` (`weightsFile`: the file its weights load from).
 * `cache` (name → size, time, hash) spares hashing a file that has not changed; it is updated.
 */
export function fingerprintModel(dir: string, weightsFile: string, cache: HashCache = {}): ExportSource {
  const weights = weightFilesOf(weightsFile).map((f): SourceFile => {
    const st = fs.statSync(f);
    const name = path.basename(f);
    const hit = cache[name];
    const sha256 = hit && hit.bytes === st.size && hit.mtimeMs === st.mtimeMs ? hit.sha256 : sha256File(f);
    cache[name] = { bytes: st.size, mtimeMs: st.mtimeMs, sha256 };
    return { file: name, bytes: st.size, sha256 };
  });
  return { config: sha256File(path.join(dir, CONFIG_NAME)), weights };
}

export type ExportCheck =
  /** Made from this config.json and these weights. */
  | { readonly status: 'current' }
  /** Made from something else: `reason` says what differs. */
  | { readonly status: 'stale'; readonly reason: string }
  /** Made elsewhere (no fingerprint, e.g. by Optimum); its label count agrees with config.json. */
  | { readonly status: 'unknown' };

/**
 * Whether `DIR/onnx/model.onnx` (or `onnxFile`) is an export of the model in `dir` as it is
 * now. A tokentag export records the SHA-256 of `config.json` and of the weights; an export
 * made elsewhere can only be checked for its label count.
 */
export function checkExport(dir: string, onnxFile = path.join(dir, ONNX_SUBFOLDER, ONNX_MODEL_NAME)): ExportCheck {
  const info = readOnnxInfo(onnxFile);
  const config = readConfig(path.join(dir, CONFIG_NAME));
  const logits = info.outputs.find((o) => o.name === 'logits') ?? info.outputs[0];
  const graphLabels = logits?.dims[logits.dims.length - 1];
  if (typeof graphLabels === 'number' && graphLabels !== numLabelsOf(config)) {
    return { status: 'stale', reason: `has ${graphLabels} labels but config.json has ${numLabelsOf(config)}` };
  }
  const recorded = info.metadata[EXPORT_SOURCE_KEY];
  if (recorded === undefined) return { status: 'unknown' };
  let source: ExportSource;
  try {
    source = JSON.parse(recorded) as ExportSource;
  } catch {
    return { status: 'stale', reason: `has an unreadable ${EXPORT_SOURCE_KEY} record` };
  }
  if (sha256File(path.join(dir, CONFIG_NAME)) !== source.config) return { status: 'stale', reason: 'was exported from another config.json' };
  const weightsFile = weightsFileOf(dir);
  if (weightsFile === null) return { status: 'current' }; // no weights beside it: the export is the model
  const cacheFile = path.join(path.dirname(onnxFile), HASH_CACHE_NAME);
  const cache = readHashCache(cacheFile);
  const before = JSON.stringify(cache);
  const now = fingerprintModel(dir, weightsFile, cache);
  const same = now.weights.length === source.weights.length && now.weights.every((w, i) => w.file === source.weights[i]!.file && w.sha256 === source.weights[i]!.sha256);
  if (same && JSON.stringify(cache) !== before) writeHashCache(cacheFile, cache);
  return same ? { status: 'current' } : { status: 'stale', reason: `was exported from other weights than ${path.basename(weightsFile)}` };
}

/** Best effort: a directory we may not write to (a shared cache) just goes without. */
function writeHashCache(file: string, cache: HashCache): void {
  try {
    writeFileAtomic(file, `${JSON.stringify(cache, null, 2)}\n`);
  } catch {
    /* the cache only saves time */
  }
}
