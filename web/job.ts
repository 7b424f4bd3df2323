/**
 * What the page's worker does, as plain functions over the shared stages: data from dropped files
 * or the built-in corpus, a tokenizer (trained here for presets), a model, features, the Trainer,
 * the pipeline, and the model's files. Nothing in here knows it runs in a browser: the worker
 * (worker.ts) wraps it in messages, and Node runs it as it is (test/web/job.test.ts compares the
 * browser's losses with Node's on the very same recipe).
 */
import { assemble, type RawSplit } from '../src/data/build.ts';
import { parseConllSplit } from '../src/data/conll.ts';
import { DatasetDict } from '../src/data/dataset.ts';
import { classLabelOf, tagColumns } from '../src/data/features.ts';
import { parseJsonlSplit } from '../src/data/jsonl.ts';
import type { TaggedRow } from '../src/data/row.ts';
import { syntheticNer } from '../src/data/synthetic.ts';
import { decodeUtf8 } from '../src/data/text.ts';
import { Vocabs } from '../src/data/vocab.ts';
import * as ort from '../src/engine/ort.ts';
import type { TensorData } from '../src/engine/dtype.ts';
import { serializeModel } from '../src/engine/onnx.ts';
import { InputError, TokentagError } from '../src/errors.ts';
import { seqevalCompute } from '../src/metrics/evaluate.ts';
import { classificationReportText } from '../src/metrics/report.ts';
import { architectureFor } from '../src/models/auto.ts';
import { type ModelConfig, createConfig, maxSequenceLength, withLabels } from '../src/models/config.ts';
import { exportGraph } from '../src/models/export.ts';
import { configFromText, tokenClassifierFiles, tokenClassifierFromFiles } from '../src/models/files.ts';
import { type CallOptions, type TokenClassificationPipeline, createTokenClassificationPipeline } from '../src/pipeline/core.ts';
import { sessionRunner } from '../src/pipeline/session-runner.ts';
import { parseJson, specialTokensFromMap } from '../src/tokenize/bert-json.ts';
import { tokenizerFiles } from '../src/tokenize/tokenizer-files.ts';
import type { TokenizerConfig, TokenizerJson } from '../src/tokenize/types.ts';
import { WordPieceTokenizer } from '../src/tokenize/wordpiece.ts';
import { trainWordPieceTokenizer } from '../src/tokenize/wordpiece-train.ts';
import type { TrainingArgumentsInit } from '../src/train/args.ts';
import type { LogRecord } from '../src/train/checkpoint.ts';
import { MemoryCheckpointStore } from '../src/train/checkpoint-store.ts';
import { evaluateModel } from '../src/train/evaluate.ts';
import { type PreparedSplit, mergeEvaluation, prepareSplits, trainingFeatures } from '../src/train/prepare.ts';
import { getPreset } from '../src/train/presets.ts';
import { Trainer, type TrainOutput } from '../src/train/trainer.ts';

/** A file as the page hands it over: its path in the dropped folder (or its name) and its bytes. */
export interface InputFile {
  readonly name: string;
  readonly bytes: Uint8Array;
}

export interface LoadedData {
  readonly dataset: DatasetDict<TaggedRow>;
  readonly labelColumn: string;
  readonly labels: readonly string[];
  readonly description: string;
}

// ---- data ----------------------------------------------------------------------------------

/** The built-in synthetic corpus (src/data/synthetic.ts), with the sizes asked for. */
export function syntheticData(sizes: { train: number; validation: number; test: number }, seed = 42): LoadedData {
  const dataset = syntheticNer({ ...sizes, seed }) as unknown as DatasetDict<TaggedRow>;
  return { dataset, labelColumn: 'ner_tags', labels: classLabelOf(dataset.get('train').features, 'ner_tags').names, description: `the built-in synthetic corpus (${sizes.train} training sentences)` };
}

/** Which split a file is, from its name (as `loadDataset` names a directory's files). */
export function splitOf(name: string): string {
  const base = (name.split('/').pop() ?? name).toLowerCase().replace(/\.[^.]*$/, '');
  if (/(^|[^a-z])(dev|valid|validation|val)([^a-z]|$)/.test(base)) return 'validation';
  if (/(^|[^a-z])test([^a-z]|$)/.test(base)) return 'test';
  return 'train';
}

/**
 * Dropped CoNLL (`.txt`, `.conll`, …) or JSON Lines (`.jsonl`, `.json`) files, one split each,
 * named by their file names (train / dev|validation / test; anything else is training data). A
 * dataset without a validation split lends 10% of its training sentences to one, so the page can
 * show the per-epoch table. Bad files fail with the readers' own messages (file, line, what was
 * expected).
 */
export function fileData(files: readonly InputFile[]): LoadedData {
  if (files.length === 0) throw new TokentagError('no data file given: drop a CoNLL or JSON Lines file');
  const vocabs = new Vocabs();
  const seen = new Set<string>();
  const raw: RawSplit[] = [];
  for (const f of files) {
    const split = splitOf(f.name);
    if (seen.has(split)) throw new TokentagError(`two files for the ${split} split (${f.name} and another); give one file per split`);
    seen.add(split);
    const text = decodeUtf8(f.bytes, f.name);
    raw.push(/\.jsonl?$/i.test(f.name) ? parseJsonlSplit(text, f.name, split, {}, vocabs) : parseConllSplit(text, f.name, split, {}, vocabs));
  }
  if (!seen.has('train')) throw new TokentagError(`no training file among ${files.map((f) => f.name).join(', ')}: name one train.txt (or any name without dev/validation/test)`);
  let dataset = assemble(raw, vocabs);
  const first = dataset.get('train');
  if (first.length === 0) throw new InputError(files.find((f) => splitOf(f.name) === 'train')!.name, undefined, 'holds no sentence');
  const columns = tagColumns(first.features);
  const labelColumn = columns.includes('ner_tags') ? 'ner_tags' : columns[columns.length - 1];
  if (!labelColumn) throw new InputError(files[0]!.name, undefined, 'has no tag column: expected a token and a tag on each line');
  let note = '';
  if (!dataset.has('validation') && first.length >= 10) {
    const parts = first.trainTestSplit({ testSize: 0.1, seed: 42 });
    const splits: [string, typeof first][] = [...dataset].map(([n, d]) => [n, n === 'train' ? parts.get('train') : d]);
    dataset = new DatasetDict<TaggedRow>([...splits, ['validation', parts.get('test')]]);
    note = '; 10% of the training sentences held out for validation';
  }
  const labels = classLabelOf(first.features, labelColumn).names;
  const sizes = dataset.names.map((n) => `${n} ${dataset.get(n).length}`).join(', ');
  return { dataset, labelColumn, labels, description: `${files.map((f) => f.name).join(', ')}: ${sizes} sentences, ${labels.length} labels in ${labelColumn}${note}` };
}

// ---- models --------------------------------------------------------------------------------

/** A model to train: a preset from scratch, or a Hugging Face model directory's files to fine-tune. */
export type ModelSource = { readonly preset: string; readonly vocabSize?: number } | { readonly files: readonly InputFile[] };

export interface PreparedModel {
  readonly config: ModelConfig;
  readonly params: Map<string, TensorData<'float32'>>;
  readonly tokenizer: WordTokenizerLike;
  readonly fromScratch: boolean;
  readonly description: string;
  readonly training: Partial<TrainingArgumentsInit>;
  readonly wordDropout: number;
}

type WordTokenizerLike = WordPieceTokenizer;

const text = (f: InputFile) => decodeUtf8(f.bytes, f.name);

/** The file of a model directory called `name` (at its top, or under one folder the browser added). */
export function findFile(files: readonly InputFile[], name: string): InputFile | undefined {
  return files.find((f) => f.name === name || f.name.endsWith(`/${name}`) && !f.name.slice(0, -name.length - 1).includes('/onnx'));
}

/** A model directory's tokenizer: `tokenizer.json` with `tokenizer_config.json` / `special_tokens_map.json`. */
export function tokenizerFromFiles(files: readonly InputFile[]): WordPieceTokenizer {
  const json = findFile(files, 'tokenizer.json');
  if (!json) throw new TokentagError('the model folder has no tokenizer.json (the browser reads fast tokenizers only; save the tokenizer with tokentag or transformers)');
  const cfgFile = findFile(files, 'tokenizer_config.json');
  const cfg = cfgFile ? parseJson<TokenizerConfig>(text(cfgFile), cfgFile.name) : {};
  const mapFile = findFile(files, 'special_tokens_map.json');
  const specialTokens = mapFile ? specialTokensFromMap(parseJson<Record<string, unknown>>(text(mapFile), mapFile.name)) : undefined;
  return new WordPieceTokenizer(parseJson<TokenizerJson>(text(json), json.name), { modelMaxLength: cfg.model_max_length, ...(specialTokens ? { specialTokens } : {}) });
}

/** The model to train on `data`, as `tokentag train` would make it. */
export function prepareModel(source: ModelSource, data: LoadedData, seed = 42, overrides: Record<string, number> = {}): PreparedModel {
  if ('preset' in source) {
    const preset = getPreset(source.preset);
    if (!preset) throw new TokentagError(`unknown preset ${source.preset}`);
    const words = data.dataset.get('train').column('tokens') as readonly (readonly string[])[];
    const tokenizer = trainWordPieceTokenizer(words, { vocabSize: source.vocabSize ?? preset.vocabSize, lowercase: false });
    const config = createConfig('bert', { ...preset.config, ...overrides, vocab_size: tokenizer.vocabSize, id2label: data.labels });
    return {
      config,
      params: architectureFor(config).init(config, seed),
      tokenizer,
      fromScratch: true,
      description: `${preset.name} (${preset.description}), from scratch, with a cased WordPiece vocabulary of ${tokenizer.vocabSize} pieces trained on the training split`,
      training: preset.training,
      wordDropout: preset.wordDropout,
    };
  }
  const files = source.files;
  const cfg = findFile(files, 'config.json');
  const weights = findFile(files, 'model.safetensors');
  if (!cfg) throw new TokentagError('the model folder has no config.json');
  if (!weights) throw new TokentagError('the model folder has no model.safetensors (fine-tuning needs the weights; an onnx/ export can only tag text)');
  const tokenizer = tokenizerFromFiles(files);
  const loaded = tokenClassifierFromFiles(text(cfg), weights.bytes, { id2label: data.labels, ignoreMismatchedSizes: true, seed, weightsFile: weights.name });
  return {
    config: loaded.config,
    params: loaded.params,
    tokenizer,
    fromScratch: false,
    description: `${cfg.name.split('/')[0]} (${loaded.config.modelType}), fine-tuning${loaded.report.newlyInitialized.length + loaded.report.mismatched.length > 0 ? ' with a new head for these labels' : ''}`,
    training: { learningRate: 5e-5, numTrainEpochs: 3, perDeviceTrainBatchSize: 16, perDeviceEvalBatchSize: 64 },
    wordDropout: 0,
  };
}

// ---- training ------------------------------------------------------------------------------

export interface Recipe {
  readonly epochs?: number;
  readonly maxSteps?: number;
  readonly batchSize?: number;
  readonly learningRate?: number;
  readonly seed?: number;
  /** Word dropout (from-scratch models; default the preset's). */
  readonly wordDropout?: number;
  /** Hidden and attention dropout of a from-scratch model (default the config's, 0.1). */
  readonly dropout?: number;
  readonly threads?: number;
  readonly loggingSteps?: number;
  readonly groupByLength?: boolean;
  /** Evaluate on the validation split after every epoch (default true when there is one). */
  readonly evaluate?: boolean;
}

export interface Features {
  readonly train: PreparedSplit;
  readonly trainFeatures: PreparedSplit['trainFeatures'];
  readonly validation?: PreparedSplit;
  readonly test?: PreparedSplit;
  readonly maxLength: number;
}

/** Encodes the splits (long sentences become overlapping windows) and adds word dropout. */
export async function prepareFeatures(model: PreparedModel, data: LoadedData, recipe: Recipe): Promise<Features> {
  const tok = model.tokenizer;
  const maxLength = Math.min(tok.modelMaxLength ?? Infinity, maxSequenceLength(model.config));
  const { train, validation, test } = await prepareSplits(tok, data.dataset, data.labelColumn, data.labels, { maxLength });
  const trainFeatures = trainingFeatures(train, tok, recipe.wordDropout ?? model.wordDropout, recipe.seed ?? 42, 'word dropout');
  return { train, trainFeatures, validation, test, maxLength };
}

/** The TrainingArguments of a run: the preset's defaults, then the recipe. */
export function trainingArgs(model: PreparedModel, features: Features, recipe: Recipe): TrainingArgumentsInit {
  const batchSize = recipe.batchSize ?? model.training.perDeviceTrainBatchSize ?? 8;
  const evaluate = (recipe.evaluate ?? true) && features.validation !== undefined;
  return {
    outputDir: 'browser',
    ...model.training,
    ...(recipe.epochs !== undefined ? { numTrainEpochs: recipe.epochs } : {}),
    ...(recipe.maxSteps !== undefined ? { maxSteps: recipe.maxSteps } : {}),
    ...(recipe.learningRate !== undefined ? { learningRate: recipe.learningRate } : {}),
    ...(recipe.groupByLength !== undefined ? { groupByLength: recipe.groupByLength } : {}),
    perDeviceTrainBatchSize: batchSize,
    seed: recipe.seed ?? 42,
    evalStrategy: evaluate ? 'epoch' : 'no',
    saveStrategy: 'no',
    loggingSteps: recipe.loggingSteps ?? 1,
    ...(recipe.threads !== undefined ? { threads: recipe.threads } : {}),
  };
}

/** A training run that can stop and resume (checkpoints in memory), then tag text and give its files. */
export class TrainJob {
  readonly store = new MemoryCheckpointStore();
  private trainer: Trainer | null = null;
  private weightsVersion = 0;
  private pipe: { version: number; pipeline: Promise<TokenClassificationPipeline<WordPieceTokenizer>> } | null = null;
  result: TrainOutput | null = null;

  constructor(
    readonly model: PreparedModel,
    readonly data: LoadedData,
    readonly features: Features,
    readonly args: TrainingArgumentsInit,
  ) {}

  /** Trains (or, with `resume`, continues from the last checkpoint a stop saved) until done or `signal` aborts. */
  async train(opts: { signal?: AbortSignal; resume?: boolean; onLog?: (r: LogRecord) => void; betweenSteps?: () => Promise<void> } = {}): Promise<TrainOutput> {
    if (opts.resume && !this.store.latest()) throw new TokentagError('nothing to resume: the run was not stopped');
    await this.trainer?.dispose();
    this.trainer = new Trainer({
      model: { config: this.model.config, params: this.model.params },
      args: this.args,
      trainFeatures: this.features.trainFeatures,
      ...(this.args.evalStrategy !== 'no' ? { evalFeatures: this.features.validation!.evalFeatures } : {}),
      labelNames: this.data.labels,
      output: null,
      checkpointStore: this.store,
      ...(opts.onLog ? { onLog: opts.onLog } : {}),
    });
    try {
      this.result = await this.trainer.train({
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.resume ? { resumeFromCheckpoint: true } : {}),
        ...(opts.betweenSteps ? { betweenSteps: opts.betweenSteps } : {}),
      });
    } finally {
      this.weightsVersion++;
    }
    return this.result;
  }

  /** The evaluation table as the Trainer prints it (header, rule, one row per evaluation). */
  table(): string {
    return this.trainer?.logTable() ?? '';
  }

  /** The current weights (a copy). */
  async weights(): Promise<Map<string, TensorData<'float32'>>> {
    if (!this.trainer) return this.model.params;
    return this.trainer.weights();
  }

  /** seqeval on the test split (when there is one): overall scores and the per-type report. */
  async test(): Promise<{ metrics: ReturnType<typeof seqevalCompute>; report: string } | null> {
    const t = this.features.test;
    if (!t || !this.trainer) return null;
    const r = await evaluateModel(await this.trainer.session(), t.evalFeatures, this.data.labels, { batchSize: 64, padTokenId: this.model.config.padTokenId ?? 0 });
    const merged = mergeEvaluation(t, r, this.data.labels);
    return { metrics: seqevalCompute(merged.predictions, merged.references), report: classificationReportText(merged.references, merged.predictions, { digits: 4 }) };
  }

  /** The pipeline over the current weights (rebuilt after training changed them). */
  async pipeline(): Promise<TokenClassificationPipeline<WordPieceTokenizer>> {
    if (!this.pipe || this.pipe.version !== this.weightsVersion) {
      const old = this.pipe;
      const weights = await this.weights();
      this.pipe = { version: this.weightsVersion, pipeline: pipelineFor(this.model.config, this.model.tokenizer, serializeModel(exportGraph(this.model.config, weights)).model) };
      if (old) void old.pipeline.then((p) => p.dispose(), () => {});
    }
    return this.pipe.pipeline;
  }

  /** The model in the Hugging Face layout: config, weights, tokenizer files, and the ONNX export. */
  async files(): Promise<Map<string, string | Uint8Array>> {
    const files = tokenClassifierFiles(this.model.config, await this.weights(), { onnx: true });
    for (const [name, t] of tokenizerFiles(this.model.tokenizer)) files.set(name, t);
    return files;
  }

  async dispose(): Promise<void> {
    await this.trainer?.dispose();
    if (this.pipe) await (await this.pipe.pipeline).dispose();
  }
}

/** Everything up to a ready TrainJob. */
export async function createJob(source: ModelSource, data: LoadedData, recipe: Recipe = {}): Promise<TrainJob> {
  const overrides: Record<string, number> = recipe.dropout !== undefined ? { hidden_dropout_prob: recipe.dropout, attention_probs_dropout_prob: recipe.dropout } : {};
  const model = prepareModel(source, data, recipe.seed ?? 42, overrides);
  const features = await prepareFeatures(model, data, recipe);
  return new TrainJob(model, data, features, trainingArgs(model, features, recipe));
}

// ---- inference -----------------------------------------------------------------------------

/** A pipeline over ONNX bytes, in one ONNX Runtime session (ort.ts: onnxruntime-web in the browser). */
export async function pipelineFor(config: ModelConfig, tokenizer: WordPieceTokenizer, onnx: Uint8Array, threads?: number): Promise<TokenClassificationPipeline<WordPieceTokenizer>> {
  const session = await ort.InferenceSession.create(onnx, { graphOptimizationLevel: 'all', ...(threads !== undefined ? { intraOpNumThreads: threads } : {}) });
  return createTokenClassificationPipeline({ config, tokenizer, runner: sessionRunner(session) });
}

/** A model exported by `tokentag export onnx` (config.json, tokenizer files, onnx/model.onnx), for tagging only. */
export async function openExportedModel(files: readonly InputFile[]): Promise<TokenClassificationPipeline<WordPieceTokenizer>> {
  const cfg = findFile(files, 'config.json');
  if (!cfg) throw new TokentagError('the model folder has no config.json');
  const onnx = files.find((f) => f.name === 'onnx/model.onnx' || f.name.endsWith('/onnx/model.onnx') || f.name === 'model.onnx');
  let config = configFromText(text(cfg), cfg.name);
  if (config.id2label.length === 0) throw new TokentagError(`${cfg.name}: no id2label — the labels of a token classifier must be in its config`);
  config = withLabels(config, config.id2label);
  const tokenizer = tokenizerFromFiles(files);
  let bytes: Uint8Array;
  if (onnx) bytes = onnx.bytes;
  else {
    const weights = findFile(files, 'model.safetensors');
    if (!weights) throw new TokentagError('the model folder has neither onnx/model.onnx nor model.safetensors');
    const loaded = tokenClassifierFromFiles(text(cfg), weights.bytes, { weightsFile: weights.name });
    bytes = serializeModel(exportGraph(loaded.config, loaded.params)).model;
  }
  return pipelineFor(config, tokenizer, bytes);
}

/** Tags a text with the pipeline; strategy as Hugging Face names them. */
export function tag(pipe: TokenClassificationPipeline<WordPieceTokenizer>, input: string, strategy: NonNullable<CallOptions['aggregationStrategy']>) {
  return pipe(input, { aggregationStrategy: strategy });
}
