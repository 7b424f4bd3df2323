/**
 * Hugging Face `config.json` for the encoders tokentag trains: parsed into one precise type per
 * architecture (camelCase, every field present, Hugging Face's defaults filled in), validated
 * with errors that name the file and the field, and written back in the Hugging Face layout.
 *
 * Fields tokentag does not interpret (`bos_token_id`, `use_cache`, `problem_type`, …) are kept
 * in `extra` exactly as the user's file had them and written back unchanged.
 */
import * as fs from 'node:fs';
import { TokentagError } from '../errors.ts';

/** The `model_type`s tokentag can build. */
export const MODEL_TYPES = ['bert', 'distilbert', 'roberta', 'xlm-roberta', 'electra'] as const;
export type ModelType = (typeof MODEL_TYPES)[number];

/** The version of Hugging Face transformers whose `config.json` layout tokentag writes. */
export const TRANSFORMERS_VERSION = '4.46.3';

/** A config that cannot be used: names the file and the field. */
export class ConfigError extends TokentagError {
  override name = 'ConfigError';
  constructor(
    readonly file: string,
    readonly field: string | undefined,
    readonly detail: string,
  ) {
    super(`${file}: ${detail}`);
  }
}

/** What every architecture's config has. */
interface CommonConfig {
  /** Label names by id (`id2label`, ids 0..n-1). */
  readonly id2label: readonly string[];
  /** The inverse of `id2label`. */
  readonly label2id: Readonly<Record<string, number>>;
  readonly vocabSize: number;
  readonly maxPositionEmbeddings: number;
  readonly initializerRange: number;
  /** The padding token id (`padding_idx` of the word embeddings), or null when the config has none. */
  readonly padTokenId: number | null;
  /** Fields of the original file that tokentag does not interpret, written back as they were. */
  readonly extra: Readonly<Record<string, unknown>>;
}

/** The BERT-shaped encoders' fields (BERT, RoBERTa, XLM-RoBERTa, ELECTRA). */
interface BertLikeFields {
  readonly hiddenSize: number;
  readonly numHiddenLayers: number;
  readonly numAttentionHeads: number;
  readonly intermediateSize: number;
  /** Only the exact (erf) GELU is supported. */
  readonly hiddenAct: 'gelu';
  readonly hiddenDropoutProb: number;
  readonly attentionProbsDropoutProb: number;
  readonly typeVocabSize: number;
  readonly layerNormEps: number;
  /** Dropout before the classifier; null means `hiddenDropoutProb`. */
  readonly classifierDropout: number | null;
}

export interface BertConfig extends CommonConfig, BertLikeFields {
  readonly modelType: 'bert';
}

/** RoBERTa and XLM-RoBERTa share one graph; only the model type (and tokenizer) differ. */
export interface RobertaConfig extends CommonConfig, BertLikeFields {
  readonly modelType: 'roberta' | 'xlm-roberta';
  readonly padTokenId: number;
}

export interface ElectraConfig extends CommonConfig, BertLikeFields {
  readonly modelType: 'electra';
  /** Width of the embeddings; when it differs from `hiddenSize`, `electra.embeddings_project` maps it. */
  readonly embeddingSize: number;
}

export interface DistilBertConfig extends CommonConfig {
  readonly modelType: 'distilbert';
  /** Hidden size. */
  readonly dim: number;
  readonly nLayers: number;
  readonly nHeads: number;
  /** Feed-forward size. */
  readonly hiddenDim: number;
  readonly dropout: number;
  readonly attentionDropout: number;
  /** Used by sequence classification only; kept for the round trip. */
  readonly seqClassifDropout: number;
  /** Used by question answering only; kept for the round trip. */
  readonly qaDropout: number;
  readonly activation: 'gelu';
  /** Always false: sinusoidal position embeddings are not supported. */
  readonly sinusoidalPosEmbds: false;
}

export type ModelConfig = BertConfig | RobertaConfig | ElectraConfig | DistilBertConfig;
export type ConfigFor<T extends ModelType> = Extract<ModelConfig, { modelType: T }>;

/** The architecture class tokentag writes into `architectures`. */
export const TOKEN_CLASSIFICATION_CLASS: Readonly<Record<ModelType, string>> = {
  bert: 'BertForTokenClassification',
  distilbert: 'DistilBertForTokenClassification',
  roberta: 'RobertaForTokenClassification',
  'xlm-roberta': 'XLMRobertaForTokenClassification',
  electra: 'ElectraForTokenClassification',
};

/** The encoder's hidden size, whatever the architecture calls it. */
export function hiddenSizeOf(c: ModelConfig): number {
  return c.modelType === 'distilbert' ? c.dim : c.hiddenSize;
}

/** Number of labels of the token-classification head. */
export function numLabelsOf(c: ModelConfig): number {
  return c.id2label.length;
}

// ---- Hugging Face defaults (the `__init__` defaults of each configuration class) -------------

const BERT_DEFAULTS = {
  vocab_size: 30522,
  hidden_size: 768,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  intermediate_size: 3072,
  hidden_act: 'gelu',
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
  max_position_embeddings: 512,
  type_vocab_size: 2,
  initializer_range: 0.02,
  layer_norm_eps: 1e-12,
  pad_token_id: 0,
  classifier_dropout: null,
} as const;

const DEFAULTS: Readonly<Record<ModelType, Readonly<Record<string, unknown>>>> = {
  bert: BERT_DEFAULTS,
  // RobertaConfig / XLMRobertaConfig: BERT's defaults with pad 1 (bos 0, eos 2 stay in `extra`).
  roberta: { ...BERT_DEFAULTS, pad_token_id: 1 },
  'xlm-roberta': { ...BERT_DEFAULTS, pad_token_id: 1 },
  electra: { ...BERT_DEFAULTS, embedding_size: 128, hidden_size: 256, num_attention_heads: 4, intermediate_size: 1024 },
  distilbert: {
    vocab_size: 30522,
    max_position_embeddings: 512,
    sinusoidal_pos_embds: false,
    n_layers: 6,
    n_heads: 12,
    dim: 768,
    hidden_dim: 3072,
    dropout: 0.1,
    attention_dropout: 0.1,
    activation: 'gelu',
    initializer_range: 0.02,
    qa_dropout: 0.1,
    seq_classif_dropout: 0.2,
    pad_token_id: 0,
  },
};

/** Keys tokentag writes itself (never copied from `extra`). */
const MANAGED_KEYS = new Set(['model_type', 'architectures', 'id2label', 'label2id', 'num_labels', '_num_labels', 'torch_dtype', 'dtype', 'transformers_version']);

// ---- reading -------------------------------------------------------------------------------

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  return String(v);
}

/** Reads the typed fields of one raw config, with defaults and per-field errors. */
class FieldReader {
  readonly used = new Set<string>();
  constructor(
    readonly raw: Readonly<Record<string, unknown>>,
    readonly defaults: Readonly<Record<string, unknown>>,
    readonly file: string,
  ) {}

  fail(field: string, detail: string): never {
    throw new ConfigError(this.file, field, detail);
  }

  private get(key: string): unknown {
    this.used.add(key);
    const v = this.raw[key];
    return v === undefined ? this.defaults[key] : v;
  }

  int(key: string, min = 1): number {
    const v = this.get(key);
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) this.fail(key, `${key} must be an integer, found ${show(v)}`);
    if (v < min) this.fail(key, `${key} must be at least ${min}, found ${v}`);
    return v;
  }

  intOrNull(key: string, min = 0): number | null {
    const v = this.get(key);
    if (v === null || v === undefined) return null;
    return this.int(key, min);
  }

  prob(key: string): number {
    const v = this.get(key);
    if (typeof v !== 'number' || !(v >= 0 && v < 1)) this.fail(key, `${key} must be a dropout probability in [0, 1), found ${show(v)}`);
    return v;
  }

  probOrNull(key: string): number | null {
    const v = this.get(key);
    if (v === null || v === undefined) return null;
    return this.prob(key);
  }

  positive(key: string, allowZero = false): number {
    const v = this.get(key);
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
      this.fail(key, `${key} must be a ${allowZero ? 'non-negative' : 'positive'} number, found ${show(v)}`);
    }
    return v;
  }

  gelu(key: string): 'gelu' {
    const v = this.get(key);
    if (v !== 'gelu') {
      this.fail(key, `${key} ${show(v)} is not supported: tokentag implements only "gelu" (the exact erf GELU of BERT)`);
    }
    return 'gelu';
  }

  bool(key: string): boolean {
    const v = this.get(key);
    if (typeof v !== 'boolean') this.fail(key, `${key} must be true or false, found ${show(v)}`);
    return v;
  }
}

/** Which model type a raw config describes: `model_type`, else the `architectures` class names. */
export function modelTypeOf(raw: Readonly<Record<string, unknown>>, file = 'config.json'): ModelType {
  const mt = raw.model_type;
  if (mt !== undefined) {
    if (typeof mt === 'string' && (MODEL_TYPES as readonly string[]).includes(mt)) return mt as ModelType;
    throw new ConfigError(file, 'model_type', `model_type ${show(mt)} is not supported (supported: ${MODEL_TYPES.join(', ')})`);
  }
  const archs = raw.architectures;
  if (Array.isArray(archs)) {
    // Longest prefix first so that "XLMRoberta…" is not taken for "Roberta…" and "DistilBert…" not for "Bert…".
    const prefixes: [string, ModelType][] = [
      ['XLMRoberta', 'xlm-roberta'],
      ['DistilBert', 'distilbert'],
      ['Roberta', 'roberta'],
      ['Electra', 'electra'],
      ['Bert', 'bert'],
    ];
    for (const a of archs) {
      if (typeof a !== 'string') continue;
      for (const [p, t] of prefixes) if (a.startsWith(p)) return t;
    }
    throw new ConfigError(
      file,
      'architectures',
      `no model_type, and architectures ${JSON.stringify(archs)} name no supported architecture (supported model types: ${MODEL_TYPES.join(', ')})`,
    );
  }
  throw new ConfigError(file, 'model_type', `model_type is missing (and there is no architectures list); supported: ${MODEL_TYPES.join(', ')}`);
}

/** Label maps: from `id2label` / `label2id` / `num_labels`, validated against each other. */
function readLabels(raw: Readonly<Record<string, unknown>>, file: string): { id2label: string[]; label2id: Record<string, number> } {
  const fail = (field: string, detail: string): never => {
    throw new ConfigError(file, field, detail);
  };
  let id2label: string[] | undefined;
  if (raw.id2label !== undefined && raw.id2label !== null) {
    if (!isPlainObject(raw.id2label)) fail('id2label', `id2label must be an object of id → label name, found ${show(raw.id2label)}`);
    const entries = Object.entries(raw.id2label as Record<string, unknown>);
    const names: (string | undefined)[] = new Array(entries.length);
    for (const [k, v] of entries) {
      if (!/^(0|[1-9][0-9]*)$/.test(k)) fail('id2label', `id2label key ${JSON.stringify(k)} is not a label id (0, 1, 2, …)`);
      const id = Number(k);
      if (id >= entries.length) fail('id2label', `id2label has ${entries.length} labels, so ids must be 0..${entries.length - 1}; found id ${id}`);
      if (typeof v !== 'string' || v.length === 0) fail('id2label', `id2label[${JSON.stringify(k)}] must be a non-empty label name, found ${show(v)}`);
      names[id] = v as string;
    }
    id2label = names as string[];
    const seen = new Map<string, number>();
    id2label.forEach((n, i) => {
      if (seen.has(n)) fail('id2label', `id2label gives the name ${JSON.stringify(n)} to ids ${seen.get(n)} and ${i}`);
      seen.set(n, i);
    });
  }
  let label2id: Record<string, number> | undefined;
  if (raw.label2id !== undefined && raw.label2id !== null) {
    if (!isPlainObject(raw.label2id)) fail('label2id', `label2id must be an object of label name → id, found ${show(raw.label2id)}`);
    label2id = {};
    for (const [k, v] of Object.entries(raw.label2id as Record<string, unknown>)) {
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail('label2id', `label2id[${JSON.stringify(k)}] must be a label id, found ${show(v)}`);
      label2id[k] = v as number;
    }
  }
  const numLabels = raw.num_labels;
  if (numLabels !== undefined && (typeof numLabels !== 'number' || !Number.isSafeInteger(numLabels) || numLabels < 1)) {
    fail('num_labels', `num_labels must be a positive integer, found ${show(numLabels)}`);
  }
  if (id2label === undefined && label2id !== undefined) {
    const n = Object.keys(label2id).length;
    const names: string[] = new Array(n);
    for (const [k, v] of Object.entries(label2id)) {
      if (v >= n) fail('label2id', `label2id has ${n} labels, so ids must be 0..${n - 1}; ${JSON.stringify(k)} has id ${v}`);
      if (names[v] !== undefined) fail('label2id', `label2id gives id ${v} to both ${JSON.stringify(names[v])} and ${JSON.stringify(k)}`);
      names[v] = k;
    }
    id2label = names;
  }
  if (id2label === undefined) {
    // Hugging Face's default: LABEL_0 … LABEL_{n-1}, n = num_labels or 2.
    id2label = Array.from({ length: (numLabels as number | undefined) ?? 2 }, (_, i) => `LABEL_${i}`);
  }
  if (numLabels !== undefined && numLabels !== id2label.length) {
    fail('num_labels', `num_labels ${numLabels} does not match the ${id2label.length} labels of id2label`);
  }
  const inverse: Record<string, number> = {};
  id2label.forEach((n, i) => (inverse[n] = i));
  if (label2id !== undefined) {
    const keys = Object.keys(label2id);
    if (keys.length !== id2label.length) fail('label2id', `label2id has ${keys.length} labels but id2label has ${id2label.length}`);
    for (const k of keys) {
      if (inverse[k] !== label2id[k]) {
        fail('label2id', `label2id[${JSON.stringify(k)}] = ${label2id[k]} but id2label[${JSON.stringify(String(label2id[k]))}] = ${JSON.stringify(id2label[label2id[k]!])}`);
      }
    }
  }
  return { id2label, label2id: inverse };
}

/**
 * Parses a Hugging Face `config.json` object. `file` is only used in error messages.
 * Throws {@link ConfigError} naming the field for anything tokentag cannot build.
 */
export function parseConfig(raw: unknown, file = 'config.json'): ModelConfig {
  if (!isPlainObject(raw)) throw new ConfigError(file, undefined, `a config must be a JSON object, found ${show(raw)}`);
  const modelType = modelTypeOf(raw, file);
  const r = new FieldReader(raw, DEFAULTS[modelType], file);
  const labels = readLabels(raw, file);
  const positionType = raw.position_embedding_type;
  if (positionType !== undefined && positionType !== 'absolute') {
    r.fail('position_embedding_type', `position_embedding_type ${show(positionType)} is not supported (only "absolute")`);
  }
  for (const flag of ['is_decoder', 'add_cross_attention'] as const) {
    if (raw[flag] === true) r.fail(flag, `${flag} true is not supported: tokentag builds encoders for token classification`);
  }
  let config: ModelConfig;
  if (modelType === 'distilbert') {
    if (raw.sinusoidal_pos_embds === true) {
      r.fail('sinusoidal_pos_embds', 'sinusoidal_pos_embds true is not supported: tokentag implements learned position embeddings only');
    }
    r.bool('sinusoidal_pos_embds');
    config = {
      modelType,
      ...labels,
      vocabSize: r.int('vocab_size'),
      maxPositionEmbeddings: r.int('max_position_embeddings'),
      initializerRange: r.positive('initializer_range', true),
      padTokenId: r.intOrNull('pad_token_id'),
      dim: r.int('dim'),
      nLayers: r.int('n_layers'),
      nHeads: r.int('n_heads'),
      hiddenDim: r.int('hidden_dim'),
      dropout: r.prob('dropout'),
      attentionDropout: r.prob('attention_dropout'),
      seqClassifDropout: r.prob('seq_classif_dropout'),
      qaDropout: r.prob('qa_dropout'),
      activation: r.gelu('activation'),
      sinusoidalPosEmbds: false,
      extra: {},
    };
  } else {
    const common = {
      ...labels,
      vocabSize: r.int('vocab_size'),
      maxPositionEmbeddings: r.int('max_position_embeddings'),
      initializerRange: r.positive('initializer_range', true),
      hiddenSize: r.int('hidden_size'),
      numHiddenLayers: r.int('num_hidden_layers'),
      numAttentionHeads: r.int('num_attention_heads'),
      intermediateSize: r.int('intermediate_size'),
      hiddenAct: r.gelu('hidden_act'),
      hiddenDropoutProb: r.prob('hidden_dropout_prob'),
      attentionProbsDropoutProb: r.prob('attention_probs_dropout_prob'),
      typeVocabSize: r.int('type_vocab_size'),
      layerNormEps: r.positive('layer_norm_eps'),
      classifierDropout: r.probOrNull('classifier_dropout'),
      extra: {},
    };
    if (modelType === 'roberta' || modelType === 'xlm-roberta') {
      const pad = r.intOrNull('pad_token_id');
      if (pad === null) throw new ConfigError(file, 'pad_token_id', `pad_token_id is required for ${modelType}: position ids count from it`);
      config = { modelType, ...common, padTokenId: pad };
    } else if (modelType === 'electra') {
      config = { modelType, ...common, padTokenId: r.intOrNull('pad_token_id'), embeddingSize: r.int('embedding_size') };
    } else {
      config = { modelType, ...common, padTokenId: r.intOrNull('pad_token_id') };
    }
  }
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) if (!r.used.has(k) && !MANAGED_KEYS.has(k)) extra[k] = v;
  config = { ...config, extra };
  validateConfig(config, file);
  return config;
}

/** Reads a `config.json` file as a JSON object, or throws a ConfigError naming the file and what is wrong. */
export function readConfigJson(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a file' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new ConfigError(file, undefined, `cannot read: ${why}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(file, undefined, `not valid JSON (${(e as Error).message})`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(file, undefined, `expected a JSON object of model settings, found ${raw === null ? 'null' : Array.isArray(raw) ? 'an array' : typeof raw}`);
  }
  return raw as Record<string, unknown>;
}

/** Reads and parses a `config.json` file. */
export function readConfig(file: string): ModelConfig {
  return parseConfig(readConfigJson(file), file);
}

/** Cross-field checks of a typed config (also run by {@link createConfig} and {@link withLabels}). */
export function validateConfig(c: ModelConfig, file = 'config.json'): void {
  const fail = (field: string, detail: string): never => {
    throw new ConfigError(file, field, detail);
  };
  const checkInt = (field: string, v: number, min = 1) => {
    if (!Number.isSafeInteger(v) || v < min) fail(field, `${field} must be an integer ≥ ${min}, found ${v}`);
  };
  const checkProb = (field: string, v: number) => {
    if (!(v >= 0 && v < 1)) fail(field, `${field} must be a dropout probability in [0, 1), found ${v}`);
  };
  checkInt('vocab_size', c.vocabSize);
  checkInt('max_position_embeddings', c.maxPositionEmbeddings);
  if (!(c.initializerRange >= 0 && Number.isFinite(c.initializerRange))) fail('initializer_range', `initializer_range must be ≥ 0, found ${c.initializerRange}`);
  if (c.id2label.length < 1) fail('id2label', 'the model needs at least one label');
  if (c.padTokenId !== null) {
    checkInt('pad_token_id', c.padTokenId, 0);
    if (c.padTokenId >= c.vocabSize) fail('pad_token_id', `pad_token_id ${c.padTokenId} is not below vocab_size ${c.vocabSize}`);
  }
  if (c.modelType === 'distilbert') {
    checkInt('dim', c.dim);
    checkInt('n_layers', c.nLayers);
    checkInt('n_heads', c.nHeads);
    checkInt('hidden_dim', c.hiddenDim);
    if (c.dim % c.nHeads !== 0) fail('dim', `dim ${c.dim} is not a multiple of n_heads ${c.nHeads}`);
    checkProb('dropout', c.dropout);
    checkProb('attention_dropout', c.attentionDropout);
    checkProb('seq_classif_dropout', c.seqClassifDropout);
    checkProb('qa_dropout', c.qaDropout);
    if (c.activation !== 'gelu') fail('activation', `activation ${show(c.activation)} is not supported: only "gelu"`);
    if (c.sinusoidalPosEmbds !== false) fail('sinusoidal_pos_embds', 'sinusoidal_pos_embds true is not supported');
    return;
  }
  checkInt('hidden_size', c.hiddenSize);
  checkInt('num_hidden_layers', c.numHiddenLayers);
  checkInt('num_attention_heads', c.numAttentionHeads);
  checkInt('intermediate_size', c.intermediateSize);
  checkInt('type_vocab_size', c.typeVocabSize);
  if (c.hiddenSize % c.numAttentionHeads !== 0) {
    fail('hidden_size', `hidden_size ${c.hiddenSize} is not a multiple of num_attention_heads ${c.numAttentionHeads}`);
  }
  checkProb('hidden_dropout_prob', c.hiddenDropoutProb);
  checkProb('attention_probs_dropout_prob', c.attentionProbsDropoutProb);
  if (c.classifierDropout !== null) checkProb('classifier_dropout', c.classifierDropout);
  if (!(c.layerNormEps > 0)) fail('layer_norm_eps', `layer_norm_eps must be positive, found ${c.layerNormEps}`);
  if (c.hiddenAct !== 'gelu') fail('hidden_act', `hidden_act ${show(c.hiddenAct)} is not supported: only "gelu"`);
  if (c.modelType === 'electra') checkInt('embedding_size', c.embeddingSize);
  if (c.modelType === 'roberta' || c.modelType === 'xlm-roberta') {
    // Position ids run from pad+1 to pad+seq, so the table must have room past the padding row.
    if (c.maxPositionEmbeddings <= c.padTokenId + 1) {
      fail('max_position_embeddings', `max_position_embeddings ${c.maxPositionEmbeddings} leaves no positions after padding_idx ${c.padTokenId} (${c.modelType} counts positions from pad_token_id + 1)`);
    }
  }
}

/** The longest sequence the model's position table can hold. */
export function maxSequenceLength(c: ModelConfig): number {
  return c.modelType === 'roberta' || c.modelType === 'xlm-roberta' ? c.maxPositionEmbeddings - c.padTokenId - 1 : c.maxPositionEmbeddings;
}

/**
 * A config from Hugging Face's defaults for `modelType`, with `overrides` (snake_case, as in
 * config.json, e.g. `{ hidden_size: 64, id2label: {0: 'O', 1: 'B-PER'} }`). Validated.
 */
export function createConfig<T extends ModelType>(modelType: T, overrides: Readonly<Record<string, unknown>> = {}): ConfigFor<T> {
  const id2label = overrides.id2label;
  const raw: Record<string, unknown> = { ...overrides, model_type: modelType };
  if (Array.isArray(id2label)) raw.id2label = Object.fromEntries(id2label.map((n, i) => [String(i), n]));
  return parseConfig(raw, `${modelType} config`) as ConfigFor<T>;
}

/** The same config with new labels (e.g. to fine-tune a base checkpoint on a dataset's tags). */
export function withLabels<C extends ModelConfig>(c: C, labels: readonly string[]): C {
  const { id2label, label2id } = readLabels({ id2label: Object.fromEntries(labels.map((n, i) => [String(i), n])) }, 'labels');
  return { ...c, id2label, label2id };
}

/** `LABEL_0 … LABEL_{n-1}`, Hugging Face's names for unnamed labels. */
export function defaultLabels(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `LABEL_${i}`);
}

// ---- writing -------------------------------------------------------------------------------

/** The typed fields of a config under their Hugging Face names. */
function typedFields(c: ModelConfig): Record<string, unknown> {
  const common = {
    vocab_size: c.vocabSize,
    max_position_embeddings: c.maxPositionEmbeddings,
    initializer_range: c.initializerRange,
    pad_token_id: c.padTokenId,
  };
  if (c.modelType === 'distilbert') {
    return {
      ...common,
      dim: c.dim,
      n_layers: c.nLayers,
      n_heads: c.nHeads,
      hidden_dim: c.hiddenDim,
      dropout: c.dropout,
      attention_dropout: c.attentionDropout,
      seq_classif_dropout: c.seqClassifDropout,
      qa_dropout: c.qaDropout,
      activation: c.activation,
      sinusoidal_pos_embds: false,
    };
  }
  const out: Record<string, unknown> = {
    ...common,
    hidden_size: c.hiddenSize,
    num_hidden_layers: c.numHiddenLayers,
    num_attention_heads: c.numAttentionHeads,
    intermediate_size: c.intermediateSize,
    hidden_act: c.hiddenAct,
    hidden_dropout_prob: c.hiddenDropoutProb,
    attention_probs_dropout_prob: c.attentionProbsDropoutProb,
    type_vocab_size: c.typeVocabSize,
    layer_norm_eps: c.layerNormEps,
    classifier_dropout: c.classifierDropout,
  };
  if (c.modelType === 'electra') out.embedding_size = c.embeddingSize;
  return out;
}

/**
 * The Hugging Face `config.json` object of a token classifier: the user's unknown fields, the
 * typed fields, `architectures: ['…ForTokenClassification']`, `model_type`, `id2label` (string
 * keys), `label2id`, `torch_dtype` and `dtype` (`'float32'`) and `transformers_version`; keys sorted as
 * `PretrainedConfig.to_json_string` sorts them.
 */
export function configToJson(c: ModelConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {
    ...c.extra,
    ...typedFields(c),
    architectures: [TOKEN_CLASSIFICATION_CLASS[c.modelType]],
    model_type: c.modelType,
    id2label: Object.fromEntries(c.id2label.map((n, i) => [String(i), n])),
    label2id: Object.fromEntries(c.id2label.map((n, i) => [n, i])),
    // transformers 4.x reads `torch_dtype`, 5.x `dtype`: the weights tokentag writes are float32.
    torch_dtype: 'float32',
    dtype: 'float32',
    transformers_version: TRANSFORMERS_VERSION,
  };
  const sorted: Record<string, unknown> = {};
  for (const k of Object.keys(out).sort()) sorted[k] = out[k];
  return sorted;
}

/** `config.json` text: two-space indent and a trailing newline, like `save_pretrained`. */
export function configToString(c: ModelConfig): string {
  return `${JSON.stringify(configToJson(c), null, 2)}\n`;
}
