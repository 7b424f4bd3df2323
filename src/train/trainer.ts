/**
 * The Trainer: Hugging Face `Trainer.train()` for token classification, built from the public
 * pieces (`batches`, `TrainingSession.step`, `LrSchedule`, `evaluateModel`, checkpoints).
 *
 * One optimizer step = `gradientAccumulationSteps` micro-batches (the last window of an epoch
 * may be shorter). Per step: lr from the schedule (step k uses base_lr · f(k − 1), as LambdaLR),
 * then logging / evaluation / saving by the strategies, as Hugging Face's DefaultFlowCallback
 * decides them. See docs/trainer.md.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TensorData } from '../engine/dtype.ts';
import { Tensor } from '../engine/tensor.ts';
import { renderModelCard, type ModelCardData } from '../hub/card.ts';
import { pushToHub, type PushResult } from '../hub/push.ts';
import { PreTrainedModel } from '../models/auto-model.ts';
import { maxSequenceLength } from '../models/config.ts';
import type { PreTrainedTokenizer } from '../tokenize/auto.ts';
import { tokenizerFiles } from '../tokenize/train.ts';
import type { ModelFn } from '../engine/optim.ts';
import { type ExecutionProvider, type TensorBatch, TrainingDivergedError, TrainingSession } from '../engine/runtime.ts';
import { TokentagError } from '../errors.ts';
import { checkWritableDir } from '../io/writable.ts';
import type { EntityOptions } from '../metrics/types.ts';
import { architectureFor } from '../models/auto.ts';
import { saveTokenClassifier, type SaveOptions } from '../models/checkpoint.ts';
import type { ModelConfig } from '../models/config.ts';
import { type OptionNames, optionName, type TrainingArguments, type TrainingArgumentsInit, trainingArguments, trainingArgumentsToJson } from './args.ts';
import { batches, type CollateOptions, collate, type EncodedFeature } from './batching.ts';
import {
  type CheckpointContents,
  type DataPosition,
  type LogRecord,
  type TrainerStateJson,
  TRAINER_STATE_NAME,
  cleanCheckpointDebris,
  directoryCheckpointStore,
  listCheckpoints,
  removeCheckpoint,
  TrainerCheckpointError,
} from './checkpoint.ts';
import type { CheckpointStore } from './checkpoint-store.ts';
import { DataCollatorForTokenClassification, featureOfRow, type TokenClassificationRow } from './collator.ts';
import type { RowSource } from './data-loader.ts';
import { type EvalFeature, type EvaluationResult, checkEvalFeatures, evaluateModel, evaluateTokens } from './evaluate.ts';
import { ProgressBar, type ProgressStream } from './progress.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { LrSchedule, warmupStepsFor } from './schedule.ts';

export interface TrainerModel {
  readonly config: ModelConfig;
  /** The initial weights (copied into the session). */
  readonly params: ReadonlyMap<string, TensorData<'float32'>>;
  /**
   * The training model function; default `architectureFor(config).modelFn(config, { tokenTypeIds })`
   * with `token_type_ids` when the training features have them.
   */
  readonly modelFn?: ModelFn;
}

/**
 * What `compute_metrics` gets (Python's `EvalPrediction`): `[logits, labels]` — or
 * `.predictions` / `.label_ids` — for the whole evaluation set, in its order, padded to one
 * length with -100: logits `[examples, tokens, num_labels]`, label ids `[examples, tokens]`.
 */
export type EvalPrediction = readonly [logits: Tensor<'float32', 3>, labels: Tensor<'int64', 2>] & {
  readonly predictions: Tensor<'float32', 3>;
  readonly label_ids: Tensor<'int64', 2>;
};

/** `compute_metrics(eval_pred)`: metric name → value; logged with the `eval_` prefix (`f1` → `eval_f1`). */
export type ComputeMetrics = (eval_pred: EvalPrediction) => Readonly<Record<string, number>>;

export interface TrainerOptions {
  /** The model: `{ config, params }`, or what `AutoModelForTokenClassification.from_pretrained` returns (then trained in place). */
  readonly model: TrainerModel | PreTrainedModel;
  /** `new TrainingArguments(…)`, or the fields as an object. */
  readonly args: TrainingArguments | TrainingArgumentsInit;
  /** A tokenized dataset (or array of rows) with `input_ids` and `labels` (-100 where ignored), as the course's `map` makes it. */
  readonly train_dataset?: RowSource<TokenClassificationRow>;
  /** The evaluation set, tokenized as `train_dataset`; scored by `compute_metrics` (and `eval_loss`). */
  readonly eval_dataset?: RowSource<TokenClassificationRow>;
  /** Pads the batches: a `DataCollatorForTokenClassification` (labels padded with -100). Default: one made from `processing_class`. */
  readonly data_collator?: DataCollatorForTokenClassification;
  /** The tokenizer: saved with every checkpoint and the model; its pad id pads the batches. */
  readonly processing_class?: PreTrainedTokenizer;
  /** Turns the evaluation set's logits and labels into metrics (the course drops -100 and calls seqeval). */
  readonly compute_metrics?: ComputeMetrics;
  /** Encoded training features with token labels (-100 where ignored): the alternative to `train_dataset`. */
  readonly trainFeatures?: readonly EncodedFeature[];
  /** Evaluation features with word-level alignment, scored word by word with seqeval: the alternative to `eval_dataset`. */
  readonly evalFeatures?: readonly EvalFeature[];
  /** Default: the config's `id2label`. */
  readonly labelNames?: readonly string[];
  /** Tokenizer files written into every checkpoint and the saved model. */
  readonly tokenizerFiles?: SaveOptions['tokenizerFiles'];
  /** Padding options; `padTokenId` defaults to the config's `pad_token_id` (or 0). */
  readonly collate?: CollateOptions;
  /** seqeval options for evaluation (mode, scheme). */
  readonly metric?: EntityOptions;
  /** Where the progress bar, log records and the table go. Default `process.stderr`; null: silent. */
  readonly output?: ProgressStream | null;
  /** Show the progress bar. Default true when there is an output. */
  readonly progress?: boolean;
  readonly executionProvider?: ExecutionProvider;
  /** How the caller spells the options in messages (a command line: `{ numTrainEpochs: '--epochs', … }`). */
  readonly optionNames?: OptionNames;
  /** Where checkpoints go; default `checkpoint-<step>/` directories in `outputDir` (a browser keeps them in memory). */
  readonly checkpointStore?: CheckpointStore;
  /** Called with every log record as it is logged (training logs, evaluations, the final metrics), as Hugging Face's `on_log`. */
  readonly onLog?: (record: LogRecord) => void;
}

export interface TrainOptions {
  /** A checkpoint directory to continue from, or true for the newest one in `outputDir`. */
  readonly resumeFromCheckpoint?: string | true;
  /** When aborted: the current step finishes, a checkpoint is saved, `train()` returns with `interrupted: true`. */
  readonly signal?: AbortSignal;
  /**
   * Awaited after every optimizer step. A Web Worker passes one that yields to its event loop, so
   * that a "stop" message gets in (the runtime's promises alone never let it); Node needs none.
   */
  readonly betweenSteps?: () => Promise<void>;
}

/** Hugging Face's `TrainOutput` metrics (plus `train_tokens_per_second`, non-padding tokens). */
export interface TrainMetrics {
  readonly train_runtime: number;
  readonly train_samples_per_second: number;
  readonly train_steps_per_second: number;
  readonly train_tokens_per_second: number;
  /** Hugging Face's estimate of the training FLOPs: 6 × padded input tokens × non-embedding parameters. */
  readonly total_flos: number;
  readonly train_loss: number;
  readonly epoch: number;
}

export interface TrainOutput {
  readonly globalStep: number;
  /** Mean training loss over the steps of this call. */
  readonly trainingLoss: number;
  readonly metrics: TrainMetrics;
  /** True when the run stopped on the abort signal. */
  readonly interrupted: boolean;
  /** The newest checkpoint written (or resumed from), or null. */
  readonly lastCheckpoint: string | null;
}

/** The run stopped because a step's loss or gradient norm was not finite. */
export class TrainingStoppedError extends TokentagError {
  override name = 'TrainingStoppedError';
  constructor(
    readonly step: number,
    readonly lastCheckpoint: string | null,
    cause: TrainingDivergedError,
    resumeName = 'resumeFromCheckpoint',
  ) {
    super(
      `training stopped: ${cause.quantity === 'loss' ? 'the loss' : 'the gradient norm'} is ${Number.isNaN(cause.value) ? 'NaN' : cause.value > 0 ? 'Infinity' : '-Infinity'} at step ${step} ` +
        `(try a lower learning rate, or check the data). ` +
        (lastCheckpoint
          ? `The last good checkpoint is ${lastCheckpoint} (intact; resume from it with ${resumeName}).`
          : 'No checkpoint was saved before it.'),
      { cause },
    );
  }
}

const round = (x: number, digits: number) => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

/** Python-dict-like rendering of a log record, as the Trainer prints it. */
function formatRecord(r: LogRecord): string {
  return `{${Object.entries(r)
    .map(([k, v]) => `'${k}': ${Number.isInteger(v) ? String(v) : Math.abs(v) < 1e-4 && v !== 0 ? v.toExponential() : String(v)}`)
    .join(', ')}}`;
}

/** Metrics that are not table columns (Hugging Face's notebook table leaves them out too). */
const NOT_COLUMNS = new Set(['eval_loss', 'eval_runtime', 'eval_samples_per_second', 'eval_steps_per_second', 'epoch', 'step']);

/** `eval_overall_f1` → `Overall F1`, as Hugging Face titles a metric's column. */
const columnTitle = (key: string) =>
  key
    .split('_')
    .slice(1)
    .map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join(' ');

/** One evaluation's numbers before they become `eval_*` metrics. */
interface EvalScores {
  readonly loss: number;
  readonly scores: Record<string, number>;
  readonly runtime: number;
  readonly samples: number;
  readonly steps: number;
}

/** Rows of a tokenized dataset as engine features, checked; `what` names the dataset in messages. */
function featuresOfRows(rows: RowSource<TokenClassificationRow>, what: string): EncodedFeature[] {
  if (!rows || typeof rows.length !== 'number') throw new TokentagError(`${what} must be a tokenized dataset (or an array of rows)`);
  const out: EncodedFeature[] = [];
  for (let i = 0; i < rows.length; i++) {
    const row = Array.isArray(rows) ? (rows as readonly TokenClassificationRow[])[i] : (rows as { get(i: number): TokenClassificationRow }).get(i);
    const f = featureOfRow(row, `${what} row ${i}`);
    if (!Array.isArray(f.labels)) throw new TokentagError(`${what} row ${i} has no labels column; align the labels to the tokens first (align_labels_with_tokens, -100 where ignored)`);
    out.push(f);
  }
  return out;
}

function evalPrediction(logits: Tensor<'float32', 3>, labels: Tensor<'int64', 2>): EvalPrediction {
  return Object.freeze(Object.assign([logits, labels] as const, { predictions: logits, label_ids: labels })) as EvalPrediction;
}

export class Trainer {
  readonly args: TrainingArguments;
  readonly config: ModelConfig;
  readonly labelNames: readonly string[];
  /** Hugging Face's `state.log_history`. */
  logHistory: LogRecord[] = [];
  globalStep = 0;
  /** Fractional epoch (epochs done + micro-batches done / batches per epoch). */
  epoch = 0;
  bestMetric: number | null = null;
  bestGlobalStep: number | null = null;
  bestModelCheckpoint: string | null = null;
  lastCheckpoint: string | null = null;
  /** Rows of the evaluation table, as printed. */
  readonly tableRows: string[][] = [];

  readonly #opts: TrainerOptions;
  readonly #modelFn: ModelFn;
  readonly #collate: CollateOptions;
  readonly #train: readonly EncodedFeature[];
  /** The eval_dataset's features (token-level, for compute_metrics); undefined with word-level evalFeatures. */
  readonly #evalTokens: readonly EncodedFeature[] | undefined;
  readonly #tokenizerFiles: SaveOptions['tokenizerFiles'];
  readonly #pretrained: PreTrainedModel | undefined;
  /** The metric keys of the table's columns, from the first evaluation. */
  #columns: string[] | undefined;
  readonly #out: ProgressStream | null;
  readonly #store: CheckpointStore;
  #session: Promise<TrainingSession> | null = null;
  #bar: ProgressBar | null = null;
  #tokensSeen = 0;
  #flos = 0;
  readonly #nonEmbeddingParams: number;
  #trained = false;
  #headerPrinted = false;
  // resolved per run
  #maxSteps = 0;
  #numEpochs = 0;
  #loggingSteps = 0;
  #evalSteps = 0;
  #saveSteps = 0;
  #schedule: LrSchedule | null = null;

  constructor(opts: TrainerOptions) {
    this.#opts = opts;
    this.args = trainingArguments(opts.args, opts.optionNames);
    const { config, params } = opts.model;
    if (!config || !params) throw new TokentagError('Trainer needs model.config and model.params');
    this.config = config;
    this.labelNames = opts.labelNames ?? config.id2label;
    if (this.labelNames.length !== config.id2label.length) {
      throw new TokentagError(`${this.labelNames.length} label names were given but the model has ${config.id2label.length} labels`);
    }
    this.#pretrained = opts.model instanceof PreTrainedModel ? opts.model : undefined;
    if (opts.trainFeatures !== undefined && opts.train_dataset !== undefined) throw new TokentagError('give the Trainer train_dataset or trainFeatures, not both');
    if (opts.evalFeatures !== undefined && opts.eval_dataset !== undefined) throw new TokentagError('give the Trainer eval_dataset or evalFeatures, not both');
    const train = opts.train_dataset !== undefined ? featuresOfRows(opts.train_dataset, 'train_dataset') : opts.trainFeatures;
    if (!Array.isArray(train) || train.length === 0) throw new TokentagError('Trainer needs a train_dataset with at least one row');
    train.forEach((f, i) => {
      if (!f || !Array.isArray(f.labels)) throw new TokentagError(`training feature ${i} has no labels; align labels to tokens (-100 where ignored) before training`);
    });
    this.#train = train;
    this.#evalTokens = opts.eval_dataset !== undefined ? featuresOfRows(opts.eval_dataset, 'eval_dataset') : undefined;
    if (opts.compute_metrics !== undefined && typeof opts.compute_metrics !== 'function') throw new TokentagError('compute_metrics must be a function of the evaluation predictions');
    if (opts.compute_metrics !== undefined && opts.eval_dataset === undefined) throw new TokentagError('compute_metrics scores the eval_dataset: give the Trainer an eval_dataset too');
    const needsEval = this.args.evalStrategy !== 'no' || this.args.loadBestModelAtEnd;
    const evalCount = this.#evalTokens?.length ?? opts.evalFeatures?.length ?? 0;
    if (needsEval && evalCount === 0) {
      throw new TokentagError(`${this.#name('evalStrategy')} "${this.args.evalStrategy}" needs an evaluation set (${this.#opts.optionNames?.evalFeatures ?? 'eval_dataset'})`);
    }
    if (opts.evalFeatures) checkEvalFeatures(opts.evalFeatures, this.labelNames.length);
    const numLabels = config.id2label.length;
    for (const [what, features] of [['train_dataset', train], ['eval_dataset', this.#evalTokens ?? []]] as const) {
      features.forEach((f: EncodedFeature, i: number) => {
        const t = f.labels!.findIndex((l: number) => l !== -100 && !(Number.isInteger(l) && l >= 0 && l < numLabels));
        if (t >= 0) throw new TokentagError(`${what} row ${i}: label ${f.labels![t]} at token ${t} is not one of the model's ${numLabels} label ids (0..${numLabels - 1}) or -100; the labels must be ids of id2label`);
      });
    }
    const maxTokens = maxSequenceLength(config);
    for (const [what, features] of [['train_dataset', train], ['eval_dataset', this.#evalTokens ?? []]] as const) {
      const i = features.findIndex((f) => f.inputIds.length > maxTokens);
      if (i >= 0) throw new TokentagError(`${what} row ${i} has ${features[i].inputIds.length} tokens, more than the model's ${maxTokens} positions; tokenize with truncation: true (or split long sentences)`);
    }
    const collator = opts.data_collator;
    if (collator !== undefined && !(collator instanceof DataCollatorForTokenClassification)) {
      throw new TokentagError(
        'data_collator must be a DataCollatorForTokenClassification: token labels have to be padded with -100 like the inputs, which other collators (DataCollatorWithPadding, a plain function) do not do',
      );
    }
    const tokenizer = opts.processing_class?.backend;
    const tokenizerPad = tokenizer?.specialTokens.pad_token !== undefined ? tokenizer.tokenToId(tokenizer.specialTokens.pad_token) : undefined;
    // As `num_parameters(exclude_embeddings=True)`: the nn.Embedding tables do not count.
    this.#nonEmbeddingParams = 0;
    for (const [name, t] of params) if (!/(word|position|token_type)_embeddings\.weight$/.test(name)) this.#nonEmbeddingParams += t.data.length;
    const arch = architectureFor(config);
    const hasTypes = train[0].tokenTypeIds !== undefined;
    const given = this.#pretrained ? undefined : (opts.model as TrainerModel).modelFn;
    this.#modelFn = given ?? arch.modelFn(config, arch.hasTokenTypes ? { tokenTypeIds: hasTypes } : {});
    this.#collate = { padTokenId: tokenizerPad ?? config.padTokenId ?? 0, ...collator?.collateOptions, ...opts.collate };
    const filesFrom = tokenizer ?? (collator ? ('backend' in collator.tokenizer ? collator.tokenizer.backend : collator.tokenizer) : undefined);
    this.#tokenizerFiles = opts.tokenizerFiles ?? (filesFrom ? tokenizerFiles(filesFrom) : undefined);
    this.#out = opts.output === undefined ? process.stderr : opts.output;
    this.#store = opts.checkpointStore ?? directoryCheckpointStore(this.args.outputDir, { tokenizerFiles: this.#tokenizerFiles });
  }

  #name(field: Parameters<typeof optionName>[1]): string {
    return optionName(this.#opts.optionNames, field);
  }

  /** The training session (created on first use with the initial weights). */
  session(): Promise<TrainingSession> {
    if (!this.#session) {
      const a = this.args;
      this.#session = TrainingSession.create({
        params: this.#opts.model.params,
        model: this.#modelFn,
        adamw: { weightDecay: a.weightDecay, betas: [a.adamBeta1, a.adamBeta2], eps: a.adamEpsilon },
        maxGradNorm: a.maxGradNorm,
        accumulationSteps: a.gradientAccumulationSteps,
        seed: a.seed,
        threads: a.threads ?? undefined,
        executionProvider: this.#opts.executionProvider,
      }).then((session) => {
        // A model from from_pretrained is trained in place: it shows the Trainer's weights from now on.
        this.#pretrained?.attach(session, false);
        return session;
      });
      this.#session.catch(() => (this.#session = null));
    }
    return this.#session;
  }

  /** A copy of the current weights. */
  async weights(): Promise<Map<string, TensorData<'float32'>>> {
    return (await this.session()).state().params;
  }

  /** Writes the current model (Hugging Face layout) and the tokenizer to `dir`, default `outputDir`. */
  async saveModel(dir = this.args.outputDir): Promise<void> {
    saveTokenClassifier(dir, this.config, (await this.session()).weights(), { tokenizerFiles: this.#tokenizerFiles });
  }

  /** Python's `trainer.save_model(output_dir)`: {@link saveModel}. */
  save_model(output_dir = this.args.outputDir): Promise<void> {
    return this.saveModel(output_dir);
  }

  /**
   * The model card's data: labels, training arguments, the per-epoch table from the log, and the
   * last evaluation's scores (unless `extra.results` gives others, e.g. a test split's).
   */
  modelCard(extra: Partial<ModelCardData> = {}): ModelCardData {
    const dir = this.args.outputDir;
    const last = [...this.logHistory].reverse().find((r) => r.eval_f1 !== undefined && r.eval_precision !== undefined && r.eval_recall !== undefined && r.eval_accuracy !== undefined);
    return {
      model: dir,
      labels: this.labelNames,
      trainingArgs: trainingArgumentsToJson(this.args),
      logHistory: this.logHistory,
      ...(last
        ? { results: { split: 'validation', metrics: { precision: last.eval_precision!, recall: last.eval_recall!, f1: last.eval_f1!, accuracy: last.eval_accuracy!, ...(last.eval_loss !== undefined ? { loss: last.eval_loss } : {}) } } }
        : {}),
      hasOnnx: fs.existsSync(path.join(dir, 'onnx', 'model.onnx')),
      ...extra,
    };
  }

  /** Writes the model card (`README.md`, as transformers' Trainer drafts one) into the output directory. */
  create_model_card(extra: Partial<ModelCardData> = {}): ModelCardData {
    const card = this.modelCard(extra);
    writeFileAtomic(path.join(this.args.outputDir, 'README.md'), renderModelCard(card));
    return card;
  }

  /**
   * Python's `trainer.push_to_hub(commit_message=…)`: saves the model, the tokenizer and the card
   * into the output directory and uploads it to `hubModelId` (default: the directory's name in
   * the token's namespace). Needs a write token (HF_TOKEN or `hf auth login`).
   */
  async push_to_hub(options: { readonly commit_message?: string; readonly card?: Partial<ModelCardData>; readonly onUpload?: (done: number, total: number) => void } = {}): Promise<PushResult> {
    const dir = this.args.outputDir;
    await this.saveModel(dir);
    const card = this.create_model_card(options.card);
    return pushToHub(
      dir,
      {
        repo: this.args.hubModelId ?? path.basename(path.resolve(dir)),
        private: this.args.hubPrivateRepo,
        ...(options.commit_message !== undefined ? { commitMessage: options.commit_message } : {}),
        ...(options.onUpload ? { onUpload: options.onUpload } : {}),
      },
      card,
    );
  }

  async dispose(): Promise<void> {
    if (this.#session) {
      const session = await this.#session;
      // The model keeps the trained weights after the session is gone.
      this.#pretrained?.detach(session);
      await session.dispose();
    }
    this.#session = null;
  }

  #print(text: string): void {
    if (!this.#out) return;
    if (this.#bar) this.#bar.log(text);
    else this.#out.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  #log(record: LogRecord): void {
    this.logHistory.push(record);
    this.#print(formatRecord(record));
    this.#opts.onLog?.(record);
  }

  /** The evaluation table (header, separator, one row per evaluation). */
  logTable(): string {
    const first = this.args.evalStrategy === 'steps' ? 'Step' : 'Epoch';
    const header = [first, 'Training Loss', 'Validation Loss', ...(this.#columns ?? []).map(columnTitle)];
    const widths = header.map((h) => Math.max(h.length, 8));
    const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join(' | ').trimEnd();
    return [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...this.tableRows.map(line)].join('\n');
  }

  /**
   * Evaluates the current weights: Hugging Face's `trainer.evaluate()` metrics (`eval_loss`, then
   * `eval_precision` … from word-level seqeval, or `compute_metrics`'s with an `eval_dataset`,
   * then the speed and `epoch`), logged into `logHistory` with the step.
   */
  async evaluate(): Promise<Record<string, number>> {
    const r = this.#evalTokens ? await this.#tokenScores(this.#evalTokens) : await this.#wordScores();
    const metrics: Record<string, number> = {
      eval_loss: r.loss,
      ...r.scores,
      eval_runtime: round(r.runtime, 4),
      eval_samples_per_second: round(r.samples / r.runtime, 3),
      eval_steps_per_second: round(r.steps / r.runtime, 3),
      epoch: this.epoch,
    };
    this.#log({ ...metrics, step: this.globalStep });
    return metrics;
  }

  /** Word-level seqeval over `evalFeatures` (the CLI's way, as `run_ner.py` scores). */
  async #wordScores(): Promise<EvalScores> {
    const evalFeatures = this.#opts.evalFeatures;
    if (!evalFeatures || evalFeatures.length === 0) throw new TokentagError('no evaluation set was given to the Trainer (eval_dataset)');
    const r: EvaluationResult = await evaluateModel(await this.session(), evalFeatures, this.labelNames, {
      ...this.#collate,
      batchSize: this.args.perDeviceEvalBatchSize,
      metric: this.#opts.metric,
    });
    const m = r.metrics;
    const scores = { eval_precision: m.overall_precision, eval_recall: m.overall_recall, eval_f1: m.overall_f1, eval_accuracy: m.overall_accuracy };
    return { loss: r.loss ?? NaN, scores, runtime: r.runtime, samples: r.samples, steps: r.steps };
  }

  /** The eval_dataset path: logits and labels of every example to `compute_metrics`, as Hugging Face's evaluation loop. */
  async #tokenScores(features: readonly EncodedFeature[]): Promise<EvalScores> {
    const r = await evaluateTokens(await this.session(), features, { ...this.#collate, batchSize: this.args.perDeviceEvalBatchSize });
    const computed = this.#opts.compute_metrics ? this.#opts.compute_metrics(evalPrediction(r.logits, r.labels)) : {};
    if (computed === null || typeof computed !== 'object' || Array.isArray(computed)) throw new TokentagError('compute_metrics must return an object of metric name → number');
    const scores: Record<string, number> = {};
    for (const [k, v] of Object.entries(computed)) {
      if (typeof v !== 'number') throw new TokentagError(`compute_metrics returned ${JSON.stringify(v)} for '${k}'; metrics must be numbers`);
      scores[k.startsWith('eval_') ? k : `eval_${k}`] = v;
    }
    return { loss: r.loss, scores, runtime: r.runtime, samples: r.samples, steps: r.steps };
  }

  /** An evaluation inside the training loop: also decides the best model and prints a table row. */
  async #evaluateInLoop(): Promise<void> {
    const metrics = await this.evaluate();
    this.#updateBest(metrics);
    this.#tableRow(metrics);
  }

  /** `trainer.save_state()`: the state as `outputDir/trainer_state.json` (what tools reading Trainer runs look for). */
  saveState(): void {
    fs.mkdirSync(this.args.outputDir, { recursive: true });
    writeFileAtomic(path.join(this.args.outputDir, TRAINER_STATE_NAME), `${JSON.stringify(this.#trainerState(), null, 2)}\n`);
  }

  /**
   * `trainer.save_metrics(split, metrics)`: `outputDir/<split>_results.json`, merged into
   * `all_results.json`, keys sorted and indented by 4 as Hugging Face writes them.
   */
  saveMetrics(split: string, metrics: Readonly<Record<string, number>>): void {
    fs.mkdirSync(this.args.outputDir, { recursive: true });
    const sorted = (m: Record<string, unknown>) => JSON.stringify(Object.fromEntries(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))), null, 4);
    writeFileAtomic(path.join(this.args.outputDir, `${split}_results.json`), sorted(metrics));
    const allFile = path.join(this.args.outputDir, 'all_results.json');
    let all: Record<string, unknown> = {};
    if (fs.existsSync(allFile)) {
      try {
        all = JSON.parse(fs.readFileSync(allFile, 'utf8')) as Record<string, unknown>;
      } catch {
        all = {}; // a damaged file from an earlier run is replaced, as it would be rewritten anyway
      }
    }
    writeFileAtomic(allFile, sorted({ ...all, ...metrics }));
  }

  #tableRow(m: Record<string, number>): void {
    this.#columns ??= Object.keys(m).filter((k) => k.startsWith('eval_') && !NOT_COLUMNS.has(k));
    let trainingLoss = 'No log';
    for (let i = this.logHistory.length - 1; i >= 0; i--) {
      const l = this.logHistory[i].loss;
      if (l !== undefined) {
        trainingLoss = l.toFixed(6);
        break;
      }
    }
    const f = (x: number) => x.toFixed(6);
    const first = this.args.evalStrategy === 'steps' ? String(this.globalStep) : String(Math.floor(this.epoch + 1e-9));
    const row = [first, trainingLoss, f(m.eval_loss), ...this.#columns.map((k) => (m[k] === undefined ? '' : f(m[k])))];
    this.tableRows.push(row);
    if (this.#out) {
      const table = this.logTable().split('\n');
      if (!this.#headerPrinted) {
        this.#print(table.slice(0, 2).join('\n'));
        this.#headerPrinted = true;
      }
      this.#print(table[table.length - 1]);
    }
  }

  #updateBest(metrics: Record<string, number>): void {
    const name = this.args.metricForBestModel;
    if (name === null) return;
    const key = name.startsWith('eval_') ? name : `eval_${name}`;
    const value = metrics[key];
    if (value === undefined) {
      throw new TokentagError(`${this.#name('metricForBestModel')} "${name}" is not among the evaluation metrics (${Object.keys(metrics).filter((k) => k.startsWith('eval_')).join(', ')})`);
    }
    const better = this.bestMetric === null || (this.args.greaterIsBetter ? value > this.bestMetric : value < this.bestMetric);
    if (better) {
      this.bestMetric = value;
      this.bestGlobalStep = this.globalStep;
    }
  }

  #trainerState(): TrainerStateJson {
    return {
      best_global_step: this.bestGlobalStep,
      best_metric: this.bestMetric,
      best_model_checkpoint: this.bestModelCheckpoint,
      epoch: this.epoch,
      eval_steps: this.#evalSteps,
      global_step: this.globalStep,
      is_hyper_param_search: false,
      is_local_process_zero: true,
      is_world_process_zero: true,
      log_history: this.logHistory,
      logging_steps: this.#loggingSteps,
      max_steps: this.#maxSteps,
      num_input_tokens_seen: this.#tokensSeen,
      num_train_epochs: this.#numEpochs,
      save_steps: this.#saveSteps,
      stateful_callbacks: {},
      total_flos: this.#flos,
      train_batch_size: this.args.perDeviceTrainBatchSize,
      trial_name: null,
      trial_params: null,
    };
  }

  async #save(position: DataPosition): Promise<string> {
    const session = await this.session();
    const schedule = this.#schedule!;
    const dir = this.#store.nameFor(this.globalStep);
    if (this.bestGlobalStep === this.globalStep) this.bestModelCheckpoint = dir;
    const contents: CheckpointContents = {
      config: this.config,
      state: session.state(),
      scheduler: { ...schedule.toJSON(), step: this.globalStep, last_lr: schedule.lastLr(this.globalStep) },
      rng: position,
      trainerState: this.#trainerState(),
      trainingArgs: trainingArgumentsToJson(this.args),
    };
    const written = this.#store.write(contents);
    this.lastCheckpoint = written;
    for (const d of this.#store.rotate(this.args.saveTotalLimit, this.bestModelCheckpoint)) {
      if (this.lastCheckpoint && this.#store.same(d, this.lastCheckpoint)) this.lastCheckpoint = null;
    }
    return written;
  }

  /**
   * Before any work: the output directory must be writable; what a killed run left there is
   * tidied; and checkpoints of an earlier run are refused (or removed with
   * `overwriteOutputDir`) unless this run resumes — an old run's checkpoints must neither be
   * mistaken for this one's nor count against its `saveTotalLimit`.
   */
  #prepareOutputDir(resuming: boolean): void {
    const dir = this.args.outputDir;
    checkWritableDir(dir, `${this.#name('outputDir')} ${dir}`);
    cleanCheckpointDebris(dir);
    if (resuming) return;
    const old = listCheckpoints(dir);
    if (old.length === 0) return;
    if (this.args.overwriteOutputDir) {
      for (const c of old) removeCheckpoint(c.dir);
      this.#print(`Removed ${old.length} checkpoint${old.length === 1 ? '' : 's'} of an earlier run from ${dir} (${this.#name('overwriteOutputDir')}).`);
      return;
    }
    const names = old.map((c) => path.basename(c.dir));
    throw new TrainerCheckpointError(
      `${this.#name('outputDir')} ${dir} holds checkpoints of an earlier run (${names.slice(0, 4).join(', ')}${names.length > 4 ? ', …' : ''}); ` +
        `continue it with ${this.#name('resumeFromCheckpoint')}, replace it with ${this.#name('overwriteOutputDir')}, or choose another ${this.#name('outputDir')}`,
    );
  }

  /** Resolves a step interval (an integer, or a fraction of the total steps). */
  #interval(v: number): number {
    return v < 1 ? Math.max(1, Math.ceil(this.#maxSteps * v)) : v;
  }

  /** Trains; see the module comment. Returns HF's TrainOutput metrics, also appended to `logHistory`. */
  async train(opts: TrainOptions = {}): Promise<TrainOutput> {
    if (this.#trained) throw new TokentagError('train() was already called on this Trainer; create a new one (resume with resumeFromCheckpoint)');
    this.#trained = true;
    const a = this.args;
    const features = this.#train;
    const ga = a.gradientAccumulationSteps;
    const dataSeed = a.dataSeed ?? a.seed;
    const loaderOptions = { ...this.#collate, batchSize: a.perDeviceTrainBatchSize, shuffle: true, seed: dataSeed, groupByLength: a.groupByLength };
    const batchesPerEpoch = Math.ceil(features.length / a.perDeviceTrainBatchSize);
    const stepsPerEpoch = Math.max(1, Math.ceil(batchesPerEpoch / ga));
    if (a.maxSteps > 0) {
      this.#maxSteps = a.maxSteps;
      this.#numEpochs = Math.ceil(a.maxSteps / stepsPerEpoch);
    } else {
      this.#maxSteps = Math.ceil(a.numTrainEpochs * stepsPerEpoch);
      this.#numEpochs = Math.ceil(a.numTrainEpochs);
    }
    this.#loggingSteps = this.#interval(a.loggingSteps);
    this.#evalSteps = this.#interval(a.evalSteps ?? a.loggingSteps);
    this.#saveSteps = this.#interval(a.saveSteps);
    const schedule = new LrSchedule({
      type: a.lrSchedulerType,
      baseLr: a.learningRate,
      totalSteps: this.#maxSteps,
      warmupSteps: warmupStepsFor(this.#maxSteps, a.warmupSteps, a.warmupRatio),
    });
    this.#schedule = schedule;
    // Only checkpoint directories need it; a store of the caller's (a browser tab's memory) has no directory.
    if (!this.#opts.checkpointStore) this.#prepareOutputDir(opts.resumeFromCheckpoint !== undefined);
    const session = await this.session();

    // Where to start.
    let startEpoch = 0;
    let skip = 0;
    let startEpochEndDone = false;
    if (opts.resumeFromCheckpoint !== undefined) {
      const dir = opts.resumeFromCheckpoint === true ? this.#store.latest() : opts.resumeFromCheckpoint;
      if (!dir) throw new TokentagError(`${this.#name('resumeFromCheckpoint')}: no complete checkpoint found in ${this.#opts.checkpointStore ? 'this session' : a.outputDir}`);
      const ck = this.#store.read(dir);
      const ta = ck.trainingArgs;
      const mismatch: string[] = [];
      if (ta.per_device_train_batch_size !== a.perDeviceTrainBatchSize) mismatch.push(`${this.#name('perDeviceTrainBatchSize')} ${String(ta.per_device_train_batch_size)} → ${a.perDeviceTrainBatchSize}`);
      if (ta.gradient_accumulation_steps !== ga) mismatch.push(`${this.#name('gradientAccumulationSteps')} ${String(ta.gradient_accumulation_steps)} → ${ga}`);
      if (ck.rng.seed !== dataSeed) mismatch.push(`data seed ${ck.rng.seed} → ${dataSeed}`);
      if (ta.group_by_length !== a.groupByLength) mismatch.push(`${this.#name('groupByLength')} ${String(ta.group_by_length)} → ${a.groupByLength}`);
      if (ck.rng.numFeatures !== features.length) mismatch.push(`training features ${ck.rng.numFeatures} → ${features.length}`);
      if (mismatch.length) {
        throw new TokentagError(`cannot resume from ${dir}: the data order would differ (${mismatch.join('; ')}); resume with the arguments and data of the original run`);
      }
      session.loadState(ck.state);
      this.globalStep = ck.state.step;
      this.epoch = ck.trainerState.epoch;
      this.logHistory = [...ck.trainerState.log_history];
      this.bestMetric = ck.trainerState.best_metric;
      this.bestGlobalStep = ck.trainerState.best_global_step ?? null;
      this.bestModelCheckpoint = ck.trainerState.best_model_checkpoint;
      this.#tokensSeen = ck.trainerState.num_input_tokens_seen ?? 0;
      this.#flos = ck.trainerState.total_flos ?? 0;
      this.lastCheckpoint = dir;
      startEpoch = ck.rng.epoch;
      skip = ck.rng.batchesDone;
      startEpochEndDone = ck.rng.epochEndDone;
      if (skip >= batchesPerEpoch && startEpochEndDone) {
        startEpoch++;
        skip = 0;
        startEpochEndDone = false;
      }
      this.#print(`Resuming from ${dir}: step ${this.globalStep}, epoch ${startEpoch}, ${skip} batches of the epoch done`);
    }

    const out = this.#out;
    this.#bar = out && (this.#opts.progress ?? true) ? new ProgressBar(out) : null;
    this.#bar?.start(this.#maxSteps, this.globalStep);
    const started = performance.now();
    const startStep = this.globalStep;
    let samples = 0;
    let tokens = 0;
    let lossSinceLog = 0;
    let lastLoggedStep = this.globalStep;
    let totalLoss = 0;
    let lastSavedStep = this.lastCheckpoint ? this.globalStep : -1;
    let interrupted = false;
    let stop = this.globalStep >= this.#maxSteps;
    const position = (epoch: number, batchesDone: number, epochEndDone: boolean): DataPosition => ({
      seed: dataSeed,
      epoch,
      batchesDone,
      epochEndDone,
      dropoutSeed: a.seed,
      dropoutRestorable: true,
      numFeatures: features.length,
    });
    const save = async (pos: DataPosition) => {
      await this.#save(pos);
      lastSavedStep = this.globalStep;
    };

    try {
      for (let epoch = startEpoch; epoch < this.#numEpochs && !stop; epoch++) {
        const loader = batches(features, { ...loaderOptions, epoch });
        const plan = loader.plan.batches;
        const nb = plan.length;
        const first = epoch === startEpoch ? skip : 0;
        let window: TensorBatch[] = [];
        let windowSamples = 0;
        let windowTokens = 0;
        let done = first;
        for (let bi = first; bi < nb; bi++) {
          const idx = plan[bi];
          const micro = collate(idx.map((i) => features[i]), loaderOptions);
          window.push({ ...micro });
          this.#flos += 6 * micro.input_ids.data.length * this.#nonEmbeddingParams;
          windowSamples += idx.length;
          for (const i of idx) {
            const f = features[i];
            windowTokens += f.attentionMask ? f.attentionMask.reduce((s, x) => s + (x ? 1 : 0), 0) : f.inputIds.length;
          }
          if (window.length < ga && bi < nb - 1) continue;
          const stepNo = this.globalStep + 1;
          let result;
          try {
            result = await session.step(window, { lr: schedule.lrAt(stepNo) });
          } catch (e) {
            if (e instanceof TrainingDivergedError) throw new TrainingStoppedError(e.step, this.lastCheckpoint, e, this.#name('resumeFromCheckpoint'));
            throw e;
          }
          window = [];
          done = bi + 1;
          this.globalStep = result.step;
          this.epoch = epoch + (bi + 1) / nb;
          samples += windowSamples;
          tokens += windowTokens;
          this.#tokensSeen += windowTokens;
          windowSamples = 0;
          windowTokens = 0;
          lossSinceLog += result.loss;
          totalLoss += result.loss;
          const gs = this.globalStep;
          // The bar shows the mean loss since the last log record (what the next record will say).
          this.#bar?.update(gs, { loss: lossSinceLog / (gs - lastLoggedStep), epoch: this.epoch, epochs: this.#numEpochs });
          const last = gs >= this.#maxSteps;
          if (gs % this.#loggingSteps === 0) {
            this.#log({
              loss: round(lossSinceLog / (gs - lastLoggedStep), 4),
              grad_norm: result.gradNorm,
              learning_rate: schedule.lastLr(gs),
              epoch: this.epoch,
              step: gs,
            });
            lossSinceLog = 0;
            lastLoggedStep = gs;
          }
          const pos = position(epoch, bi + 1, false);
          if (a.evalStrategy === 'steps' && gs % this.#evalSteps === 0) await this.#evaluateInLoop();
          if (opts.betweenSteps) await opts.betweenSteps();
          if ((a.saveStrategy === 'steps' && (gs % this.#saveSteps === 0 || last)) || (opts.signal?.aborted && lastSavedStep !== gs)) {
            await save(pos);
          }
          if (opts.signal?.aborted) {
            interrupted = true;
            stop = true;
            break;
          }
          if (last) {
            stop = true;
            break;
          }
        }
        if (interrupted) break;
        // End of the epoch (or of training by maxSteps inside it): epoch strategies.
        if (epoch === startEpoch && startEpochEndDone) continue;
        const epochDone = position(epoch, done, true);
        if (a.evalStrategy === 'epoch') await this.#evaluateInLoop();
        if (a.saveStrategy === 'epoch') await save(epochDone);
      }
    } finally {
      this.#bar?.finish();
      this.#bar = null;
    }

    if (!interrupted && a.loadBestModelAtEnd && this.bestModelCheckpoint) {
      const params = this.#store.params(this.bestModelCheckpoint);
      const st = session.state();
      session.loadState({ step: st.step, params, expAvg: st.expAvg, expAvgSq: st.expAvgSq });
      this.#print(`Loading best model from ${this.bestModelCheckpoint} (score: ${this.bestMetric}).`);
    }

    const runtime = (performance.now() - started) / 1000;
    const steps = this.globalStep - startStep;
    const trainLoss = steps > 0 ? totalLoss / steps : NaN;
    const metrics: TrainMetrics = {
      train_runtime: round(runtime, 4),
      train_samples_per_second: round(samples / runtime, 3),
      train_steps_per_second: round(steps / runtime, 3),
      train_tokens_per_second: round(tokens / runtime, 3),
      total_flos: this.#flos,
      train_loss: trainLoss,
      epoch: this.epoch,
    };
    this.#log({ ...metrics, step: this.globalStep });
    // pushToHub: the final model goes to the Hub when training ends (Hugging Face's hub_strategy "end").
    if (!interrupted && a.pushToHub) await this.push_to_hub({ commit_message: 'End of training' });
    return { globalStep: this.globalStep, trainingLoss: trainLoss, metrics, interrupted, lastCheckpoint: this.lastCheckpoint };
  }
}
