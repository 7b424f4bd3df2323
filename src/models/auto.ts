/**
 * From a config to its architecture: the one entry point the rest of tokentag uses
 * (`architectureFor(config)`), like Hugging Face's `AutoModelForTokenClassification`.
 */
import type { TensorData } from '../engine/dtype.ts';
import { type Graph, GraphBuilder, GraphError, type Value } from '../engine/graph.ts';
import { type LayerContext, layerContext } from '../engine/layers.ts';
import type { ModelFn } from '../engine/optim.ts';
import { bert } from './bert.ts';
import { type ConfigFor, ConfigError, MODEL_TYPES, type ModelConfig, type ModelType, modelTypeOf, parseConfig } from './config.ts';
import { distilbert } from './distilbert.ts';
import { electra } from './electra.ts';
import type { ParamInfo } from './init.ts';
import { roberta } from './roberta.ts';

export interface ModelOptions {
  /** Labels of the head; default: the config's (`id2label`). */
  numLabels?: number;
  /**
   * BERT and ELECTRA only: whether the graph takes a `token_type_ids` input (default true).
   * Without it every token has type 0, as in Hugging Face when `token_type_ids` is not passed.
   */
  tokenTypeIds?: boolean;
}

/** A forward pass without labels or loss: the exported / served model. */
export type InferenceFn = (b: GraphBuilder, params: ReadonlyMap<string, Value>, ctx: LayerContext) => { outputs: { logits: Value } };

/** Everything tokentag knows about one architecture. */
export interface Architecture<C extends ModelConfig = ModelConfig> {
  readonly name: string;
  /** The `model_type`s it builds. */
  readonly modelTypes: readonly ModelType[];
  /** The base model's attribute name: the prefix of the encoder's weights (`bert`, `roberta`, …). */
  readonly baseModelPrefix: string;
  /** Whether the model reads `token_type_ids`. */
  readonly hasTokenTypes: boolean;
  /** The head's parameters (re-initialised when a checkpoint lacks them). */
  readonly headNames: readonly string[];
  /** Checkpoint tensors that are buffers, not weights (`…embeddings.position_ids`): skipped on load. */
  readonly ignoredBuffers: readonly RegExp[];
  /** Parameter names (Hugging Face's), shapes and initialisation, in checkpoint order. */
  paramShapes(config: C): ParamInfo[];
  /**
   * The training model: inputs `input_ids`, `attention_mask` (`token_type_ids` for BERT/ELECTRA),
   * `labels` (all int64 `[batch, sequence]`); loss = mean cross-entropy ignoring -100; output
   * `logits` `[batch, sequence, numLabels]`.
   */
  modelFn(config: C, opts?: ModelOptions): ModelFn;
  /** The same forward pass without labels and loss; output `logits`. */
  inferenceModel(config: C, opts?: ModelOptions): InferenceFn;
  /** From-scratch weights (Hugging Face's `_init_weights`), seeded; default seed 42. */
  init(config: C, seed?: number): Map<string, TensorData<'float32'>>;
}

const ARCHITECTURES: Readonly<Record<ModelType, Architecture<never>>> = {
  bert: bert as Architecture<never>,
  roberta: roberta as Architecture<never>,
  'xlm-roberta': roberta as Architecture<never>,
  electra: electra as Architecture<never>,
  distilbert: distilbert as Architecture<never>,
};

/**
 * The architecture of a config: a parsed {@link ModelConfig}, or a raw `config.json` object
 * (resolved from `model_type`, else from `architectures`). Unknown types fail with the list of
 * supported ones.
 */
export function architectureFor<C extends ModelConfig>(config: C): Architecture<C>;
export function architectureFor(config: Readonly<Record<string, unknown>>): Architecture<ModelConfig>;
export function architectureFor(config: ModelConfig | Readonly<Record<string, unknown>>): Architecture<ModelConfig> {
  const typed = config as Partial<ModelConfig>;
  let type: ModelType;
  if (typeof typed.modelType === 'string') {
    if (!(MODEL_TYPES as readonly string[]).includes(typed.modelType)) {
      throw new ConfigError('config', 'model_type', `model type ${JSON.stringify(typed.modelType)} is not supported (supported: ${MODEL_TYPES.join(', ')})`);
    }
    type = typed.modelType;
  } else {
    type = modelTypeOf(config as Readonly<Record<string, unknown>>);
  }
  return ARCHITECTURES[type] as unknown as Architecture<ModelConfig>;
}

/** Parses a raw `config.json` object and returns it with its architecture. */
export function resolveConfig(raw: unknown, file = 'config.json'): { config: ModelConfig; architecture: Architecture<ModelConfig> } {
  const config = parseConfig(raw, file);
  return { config, architecture: architectureFor(config) };
}

/** The parameter names of a config's model, in checkpoint order. */
export function paramNames(config: ModelConfig): string[] {
  return architectureFor(config).paramShapes(config).map((p) => p.name);
}

/** Checks that `params` has exactly the config's parameters, float32, with the right shapes. */
export function checkParams(config: ModelConfig, params: ReadonlyMap<string, TensorData>): void {
  const expected = architectureFor(config).paramShapes(config);
  const names = new Set(expected.map((p) => p.name));
  for (const p of expected) {
    const t = params.get(p.name);
    if (!t) throw new GraphError(`the ${config.modelType} model needs parameter '${p.name}' [${p.dims.join(', ')}], which is missing`);
    if (t.dtype !== 'float32') throw new GraphError(`parameter '${p.name}' must be float32, it is ${t.dtype}`);
    if (t.dims.length !== p.dims.length || t.dims.some((d, i) => d !== p.dims[i])) {
      throw new GraphError(`parameter '${p.name}' has shape [${t.dims.join(', ')}] but the config needs [${p.dims.join(', ')}]`);
    }
  }
  for (const name of params.keys()) if (!names.has(name)) throw new GraphError(`parameter '${name}' is not part of the ${config.modelType} model`);
}

/**
 * The inference graph of a model with these weights as initializers: inputs `input_ids`,
 * `attention_mask` (and `token_type_ids` for BERT/ELECTRA unless `tokenTypeIds: false`), all
 * int64 `[batch, sequence]`; output `logits` `[batch, sequence, numLabels]`. This is the graph
 * `serializeModel` / `saveModel` turn into `onnx/model.onnx`.
 */
export function buildInferenceGraph<C extends ModelConfig>(config: C, params: ReadonlyMap<string, TensorData<'float32'>>, opts: ModelOptions = {}): Graph {
  checkParams(config, params);
  const arch = architectureFor(config);
  const b = new GraphBuilder('token_classification');
  const values = new Map<string, Value>();
  for (const p of arch.paramShapes(config)) values.set(p.name, b.initializer(p.name, params.get(p.name)!));
  const { outputs } = arch.inferenceModel(config, opts)(b, values, layerContext(b, undefined));
  b.output(outputs.logits, 'logits');
  return b.build();
}

/** Narrows a union config to one architecture's type (for tests and tools). */
export function configAs<T extends ModelType>(config: ModelConfig, type: T): ConfigFor<T> {
  if (config.modelType !== type) throw new ConfigError('config', 'model_type', `expected a ${type} config, got ${config.modelType}`);
  return config as ConfigFor<T>;
}
