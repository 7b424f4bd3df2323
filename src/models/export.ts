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
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DType, TensorData } from '../engine/dtype.ts';
import type { Dim, Graph, Value } from '../engine/graph.ts';
import { type SavedModel, saveModel } from '../engine/onnx.ts';
import { TokentagError } from '../errors.ts';
import { architectureFor, buildInferenceGraph } from './auto.ts';
import { CONFIG_NAME, loadTokenClassifier } from './checkpoint.ts';
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
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
  } catch (e) {
    throw new ExportError(`cannot create ${path.dirname(file)}: ${(e as Error).message}`);
  }
  let written: SavedModel;
  try {
    written = saveModel(graph, file, opts.externalData === undefined ? {} : { externalData: opts.externalData });
  } catch (e) {
    if (e instanceof TokentagError) throw new ExportError(e.message);
    throw new ExportError(`cannot write ${file}: ${(e as Error).message}`);
  }
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
