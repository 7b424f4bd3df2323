/**
 * A token classifier as in-memory files in the Hugging Face layout, with no file system: what a
 * browser tab downloads and opens. `saveTokenClassifier` / `loadTokenClassifier` (checkpoint.ts)
 * write and read the same files in a directory.
 */
import type { TensorData } from '../engine/dtype.ts';
import { serializeModel } from '../engine/onnx.ts';
import { architectureFor, checkParams } from './auto.ts';
import { CONFIG_NAME, SAFETENSORS_METADATA, SAFETENSORS_NAME, applyLabels, mapCheckpoint, type LoadOptions, type LoadedTokenClassifier } from './checkpoint.ts';
import { type ModelConfig, ConfigError, configToString, parseConfig } from './config.ts';
import { ONNX_MODEL_NAME, ONNX_SUBFOLDER, exportGraph } from './export.ts';
import { parseSafetensors, serializeSafetensors } from './safetensors.ts';

/** Concatenates chunks into one array. */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/**
 * `config.json`, `model.safetensors` and (with `onnx`) `onnx/model.onnx`, as `saveTokenClassifier`
 * and `tokentag export onnx` write them.
 */
export function tokenClassifierFiles(config: ModelConfig, params: ReadonlyMap<string, TensorData<'float32'>>, opts: { onnx?: boolean } = {}): Map<string, string | Uint8Array> {
  checkParams(config, params);
  const ordered = new Map<string, TensorData<'float32'>>();
  for (const p of architectureFor(config).paramShapes(config)) ordered.set(p.name, params.get(p.name)!);
  const files = new Map<string, string | Uint8Array>([
    [CONFIG_NAME, configToString(config)],
    [SAFETENSORS_NAME, concatBytes(serializeSafetensors(ordered, SAFETENSORS_METADATA))],
  ]);
  if (opts.onnx) files.set(`${ONNX_SUBFOLDER}/${ONNX_MODEL_NAME}`, serializeModel(exportGraph(config, params)).model);
  return files;
}

/** Parses `config.json` text (named `file` in errors). */
export function configFromText(text: string, file = CONFIG_NAME): ModelConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(file, undefined, `is not valid JSON: ${(e as Error).message}`);
  }
  return parseConfig(raw, file);
}

/** A token classifier from the text of its `config.json` and the bytes of its `model.safetensors`. */
export function tokenClassifierFromFiles(configText: string, weights: Uint8Array, opts: LoadOptions & { weightsFile?: string } = {}): LoadedTokenClassifier {
  const config = applyLabels(configFromText(configText), opts);
  const file = opts.weightsFile ?? SAFETENSORS_NAME;
  const { tensors } = parseSafetensors(weights, file);
  const { params, report } = mapCheckpoint(config, tensors, file, opts);
  return { config, params, report: { weightsFile: file, ...report }, architecture: architectureFor(config) };
}
