/**
 * `TrainingArguments`: the Hugging Face `transformers.TrainingArguments` that a token
 * classification run uses, with Hugging Face's names (camelCase here, snake_case in
 * `training_args.json`), defaults and cross-checks. Frozen, JSON-serialisable.
 */
import { TokentagError } from '../errors.ts';
import type { SchedulerType } from './schedule.ts';

export type IntervalStrategy = 'no' | 'steps' | 'epoch';

export interface TrainingArguments {
  /** Where checkpoints (`checkpoint-<step>/`) and the final model go. Required. */
  readonly outputDir: string;
  /** Peak learning rate of AdamW. Default 2e-5, the token-classification recipes' value (Hugging Face's generic default is 5e-5). */
  readonly learningRate: number;
  /** Epochs (may be fractional, as in Hugging Face). Default 3. Ignored when `maxSteps` > 0. */
  readonly numTrainEpochs: number;
  /** A positive value overrides `numTrainEpochs`: train exactly this many optimizer steps. Default -1. */
  readonly maxSteps: number;
  /** Default 8. */
  readonly perDeviceTrainBatchSize: number;
  /** Default 8. */
  readonly perDeviceEvalBatchSize: number;
  /** Micro-batches per optimizer step. Default 1. "Steps" everywhere are optimizer steps. */
  readonly gradientAccumulationSteps: number;
  /** Decoupled weight decay (not on biases and LayerNorm weights). Default 0. */
  readonly weightDecay: number;
  /** Default 0.9. */
  readonly adamBeta1: number;
  /** Default 0.999. */
  readonly adamBeta2: number;
  /** Default 1e-8. */
  readonly adamEpsilon: number;
  /** Global gradient-norm clipping; 0 turns it off. Default 1.0. */
  readonly maxGradNorm: number;
  /** Default `'linear'`. */
  readonly lrSchedulerType: SchedulerType;
  /** Warm-up as a fraction of the total steps (rounded up). Default 0. */
  readonly warmupRatio: number;
  /** Warm-up steps; when > 0 it overrides `warmupRatio`. Default 0. */
  readonly warmupSteps: number;
  /** Log the mean training loss every N steps (a value in (0, 1) is a fraction of the total steps). Default 500. */
  readonly loggingSteps: number;
  /** Default `'no'`. */
  readonly evalStrategy: IntervalStrategy;
  /** With `evalStrategy: 'steps'`: every N steps; default (null) `loggingSteps`. A value in (0, 1) is a fraction of the total. */
  readonly evalSteps: number | null;
  /** Default `'steps'`. With `'steps'` or `'epoch'` a checkpoint is also saved when training ends. */
  readonly saveStrategy: IntervalStrategy;
  /** With `saveStrategy: 'steps'`: every N steps. Default 500. A value in (0, 1) is a fraction of the total. */
  readonly saveSteps: number;
  /** Keep at most this many checkpoints in `outputDir` (the oldest go first; the best is never deleted). Default null: keep all. */
  readonly saveTotalLimit: number | null;
  /** Load the best checkpoint's weights when training ends. Needs matching eval and save strategies. Default false. */
  readonly loadBestModelAtEnd: boolean;
  /** `'loss'`, `'f1'`, `'precision'`, … (the `eval_` prefix is optional). Default null: `'loss'` when `loadBestModelAtEnd`. */
  readonly metricForBestModel: string | null;
  /** Default null: true unless the metric's name ends with `loss`. */
  readonly greaterIsBetter: boolean | null;
  /** Seeds dropout and (unless `dataSeed` is set) the data order. Default 42. */
  readonly seed: number;
  /** Seeds the data order; default null: `seed`. */
  readonly dataSeed: number | null;
  /** Intra-op threads for ONNX Runtime; default null: ONNX Runtime's (one per physical core). */
  readonly threads: number | null;
  /**
   * Batches of similar lengths (Hugging Face's `LengthGroupedSampler` megabatches). Default true,
   * a deliberate difference from Hugging Face (false): on real corpora, whose sentences run from
   * 1 to 100+ tokens, it cuts padding several-fold at no cost in F1 (docs/trainer.md).
   */
  readonly groupByLength: boolean;
  /** Upload the final model to the Hugging Face Hub when training ends (Hugging Face's `hub_strategy` "end"; needs a write token). Default false. */
  readonly pushToHub: boolean;
  /** The Hub repository (`user/name`, or `name` in the token's namespace); default null: the output directory's name. */
  readonly hubModelId: string | null;
  /** Create the Hub repository private. Default false. */
  readonly hubPrivateRepo: boolean;
  /**
   * Train from scratch into an `outputDir` that holds checkpoints of an earlier run, removing
   * them first (Hugging Face's `overwrite_output_dir`). Default false: such a directory is
   * refused unless the run resumes from one of them, so that an old run's checkpoints never
   * mix with (or count against `saveTotalLimit` for) a new one.
   */
  readonly overwriteOutputDir: boolean;
}

/**
 * How the caller spells the options in messages, e.g. `{ numTrainEpochs: '--epochs' }` for a
 * command line; unnamed options keep their field names.
 */
export type OptionNames = Readonly<Partial<Record<keyof TrainingArguments | 'resumeFromCheckpoint' | 'evalFeatures', string>>>;

/** `names[field]` or the field itself. */
export function optionName(names: OptionNames | undefined, field: keyof TrainingArguments | 'resumeFromCheckpoint' | 'evalFeatures'): string {
  return names?.[field] ?? field;
}

/** What a caller gives: `outputDir` and any of the other fields. */
export type TrainingArgumentsInit = { readonly outputDir: string } & Partial<Omit<TrainingArguments, 'outputDir'>>;

export class TrainingArgumentsError extends TokentagError {
  override name = 'TrainingArgumentsError';
}

export const TRAINING_ARGUMENT_DEFAULTS: Omit<TrainingArguments, 'outputDir'> = Object.freeze({
  learningRate: 2e-5,
  numTrainEpochs: 3,
  maxSteps: -1,
  perDeviceTrainBatchSize: 8,
  perDeviceEvalBatchSize: 8,
  gradientAccumulationSteps: 1,
  weightDecay: 0,
  adamBeta1: 0.9,
  adamBeta2: 0.999,
  adamEpsilon: 1e-8,
  maxGradNorm: 1,
  lrSchedulerType: 'linear',
  warmupRatio: 0,
  warmupSteps: 0,
  loggingSteps: 500,
  evalStrategy: 'no',
  evalSteps: null,
  saveStrategy: 'steps',
  saveSteps: 500,
  saveTotalLimit: null,
  loadBestModelAtEnd: false,
  metricForBestModel: null,
  greaterIsBetter: null,
  seed: 42,
  dataSeed: null,
  threads: null,
  groupByLength: true,
  overwriteOutputDir: false,
  pushToHub: false,
  hubModelId: null,
  hubPrivateRepo: false,
});

const KEYS = new Set<string>(['outputDir', ...Object.keys(TRAINING_ARGUMENT_DEFAULTS)]);
const SCHEDULERS = ['linear', 'constant', 'constant_with_warmup', 'cosine'];
const STRATEGIES = ['no', 'steps', 'epoch'];
/** Old or Python spellings people will try, with what to write instead. */
const HINTS: Record<string, string> = {
  evaluationStrategy: 'evalStrategy (Hugging Face renamed evaluation_strategy to eval_strategy)',
  evaluation_strategy: 'evalStrategy',
  numEpochs: 'numTrainEpochs',
  epochs: 'numTrainEpochs',
  lr: 'learningRate',
  batchSize: 'perDeviceTrainBatchSize',
};

function fail(msg: string): never {
  throw new TrainingArgumentsError(`training arguments: ${msg}`);
}

/** `"per_device_train_batch_size"` ⇄ `perDeviceTrainBatchSize`. */
export const toSnake = (k: string): string => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
export const toCamel = (k: string): string => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/**
 * Fills in Hugging Face's defaults and validates every field and the combinations Hugging Face
 * rejects (e.g. `loadBestModelAtEnd` with different eval and save strategies). Throws a
 * {@link TrainingArgumentsError} naming the field.
 */
export function trainingArguments(init: TrainingArgumentsInit, names?: OptionNames): TrainingArguments {
  const n = (k: keyof TrainingArguments) => optionName(names, k);
  if (init === null || typeof init !== 'object') fail('expected an object with at least outputDir');
  for (const k of Object.keys(init)) {
    if (!KEYS.has(k)) {
      const camel = toCamel(k);
      const hint = HINTS[k] ?? (KEYS.has(camel) ? camel : undefined);
      fail(`unknown field ${JSON.stringify(k)}${hint ? `; did you mean ${hint}?` : ''}`);
    }
  }
  const given = Object.fromEntries(Object.entries(init).filter(([, v]) => v !== undefined));
  const a = { ...TRAINING_ARGUMENT_DEFAULTS, ...given } as TrainingArguments;

  if (typeof a.outputDir !== 'string' || a.outputDir.length === 0) fail(`${n('outputDir')} must be a non-empty path`);
  const num = (k: keyof TrainingArguments, ok: (v: number) => boolean, what: string) => {
    const v = a[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) fail(`${n(k)} must be ${what}, got ${typeof v === 'number' ? String(v) : JSON.stringify(v)}`);
  };
  const posInt = (v: number) => Number.isInteger(v) && v >= 1;
  const interval = (v: number) => v > 0 && (v < 1 || Number.isInteger(v));
  num('learningRate', (v) => v >= 0, 'a number ≥ 0');
  num('numTrainEpochs', (v) => v > 0, 'a number > 0');
  num('maxSteps', (v) => Number.isInteger(v) && (v > 0 || v === -1), 'a positive integer or -1');
  num('perDeviceTrainBatchSize', posInt, 'a positive integer');
  num('perDeviceEvalBatchSize', posInt, 'a positive integer');
  num('gradientAccumulationSteps', posInt, 'a positive integer');
  num('weightDecay', (v) => v >= 0, 'a number ≥ 0');
  num('adamBeta1', (v) => v >= 0 && v < 1, 'in [0, 1)');
  num('adamBeta2', (v) => v >= 0 && v < 1, 'in [0, 1)');
  num('adamEpsilon', (v) => v > 0, 'a number > 0');
  num('maxGradNorm', (v) => v >= 0, 'a number ≥ 0 (0 turns clipping off)');
  num('warmupRatio', (v) => v >= 0 && v <= 1, 'in [0, 1]');
  num('warmupSteps', (v) => Number.isInteger(v) && v >= 0, 'an integer ≥ 0');
  num('loggingSteps', interval, 'a positive integer or a fraction in (0, 1)');
  num('saveSteps', interval, 'a positive integer or a fraction in (0, 1)');
  if (a.evalSteps !== null) num('evalSteps', interval, 'a positive integer, a fraction in (0, 1) or null');
  num('seed', Number.isSafeInteger, 'a safe integer');
  if (a.dataSeed !== null) num('dataSeed', Number.isSafeInteger, 'a safe integer or null');
  if (a.threads !== null) num('threads', posInt, 'a positive integer or null');
  if (a.saveTotalLimit !== null) num('saveTotalLimit', posInt, 'a positive integer or null');
  if (!SCHEDULERS.includes(a.lrSchedulerType)) fail(`${n('lrSchedulerType')} must be one of ${SCHEDULERS.join(', ')}, got ${JSON.stringify(a.lrSchedulerType)}`);
  if (!STRATEGIES.includes(a.evalStrategy)) fail(`${n('evalStrategy')} must be one of ${STRATEGIES.join(', ')}, got ${JSON.stringify(a.evalStrategy)}`);
  if (!STRATEGIES.includes(a.saveStrategy)) fail(`${n('saveStrategy')} must be one of ${STRATEGIES.join(', ')}, got ${JSON.stringify(a.saveStrategy)}`);
  for (const k of ['loadBestModelAtEnd', 'groupByLength', 'overwriteOutputDir', 'pushToHub', 'hubPrivateRepo'] as const) if (typeof a[k] !== 'boolean') fail(`${n(k)} must be true or false`);
  if (a.hubModelId !== null && (typeof a.hubModelId !== 'string' || a.hubModelId === '')) fail(`${n('hubModelId')} must be a repository id or null`);
  if (a.greaterIsBetter !== null && typeof a.greaterIsBetter !== 'boolean') fail(`${n('greaterIsBetter')} must be true, false or null`);
  if (a.metricForBestModel !== null && (typeof a.metricForBestModel !== 'string' || a.metricForBestModel === '')) fail(`${n('metricForBestModel')} must be a metric name or null`);

  let metric = a.metricForBestModel;
  if (a.loadBestModelAtEnd) {
    if (a.evalStrategy === 'no') fail(`${n('loadBestModelAtEnd')} needs evaluation: set ${n('evalStrategy')} to "steps" or "epoch"`);
    if (a.evalStrategy !== a.saveStrategy) {
      fail(`${n('loadBestModelAtEnd')} requires the save and eval strategy to match, but found ${n('evalStrategy')} "${a.evalStrategy}" and ${n('saveStrategy')} "${a.saveStrategy}"`);
    }
    if (a.evalStrategy === 'steps') {
      const evalSteps = a.evalSteps ?? a.loggingSteps;
      const bothInt = Number.isInteger(evalSteps) && Number.isInteger(a.saveSteps);
      if (bothInt ? a.saveSteps % evalSteps !== 0 : a.saveSteps !== evalSteps) {
        fail(`${n('loadBestModelAtEnd')} requires ${n('saveSteps')} to be a multiple of ${n('evalSteps')}, but found ${a.saveSteps}, which is not a multiple of ${evalSteps}`);
      }
    }
    metric ??= 'loss';
  }
  const greater = a.greaterIsBetter ?? (metric === null ? null : !metric.endsWith('loss'));
  return Object.freeze({ ...a, metricForBestModel: metric, greaterIsBetter: greater });
}

/** The `training_args.json` object: Hugging Face's snake_case names, keys in declaration order. */
export function trainingArgumentsToJson(args: TrainingArguments): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of KEYS) out[toSnake(k)] = args[k as keyof TrainingArguments];
  return out;
}

/** Reads `training_args.json` (snake_case; unknown keys, e.g. from Python, are ignored). */
export function trainingArgumentsFromJson(json: Record<string, unknown>): TrainingArguments {
  const init: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(json)) {
    const camel = toCamel(k);
    if (KEYS.has(camel)) init[camel] = v;
  }
  return trainingArguments(init as TrainingArgumentsInit);
}
