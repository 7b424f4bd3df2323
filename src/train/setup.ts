/**
 * What a training run trains, decided once for the CLI and the library: from a resolved
 * `--model` (a preset, a config-only directory, or a checkpoint), the tokenizer and the
 * {@link PreTrainedModel} — a new one from scratch, or `from_pretrained` with the dataset's
 * labels — and the training defaults that kind of model brings; then the length its features
 * get, and the training arguments of a run (the model's defaults, the run's, the caller's).
 */
import type { DatasetDict } from '../data/dataset.ts';
import type { TaggedRow } from '../data/row.ts';
import { TokentagError } from '../errors.ts';
import { PreTrainedModel } from '../models/auto-model.ts';
import type { LoadReport } from '../models/checkpoint.ts';
import { configToJson, createConfig, maxSequenceLength, parseConfig, type ModelConfig } from '../models/config.ts';
import { PreTrainedTokenizer } from '../tokenize/auto.ts';
import { checkTokenizerFitsModel, loadTokenizer, type FastTokenizer } from '../tokenize/tokenizer.ts';
import { trainWordPiece } from '../tokenize/train.ts';
import type { OptionNames, TrainingArgumentsInit } from './args.ts';
import { describeLabelMapping, loadForLabels } from './label-map.ts';
import { prepareSplits, trainingFeatures, type PreparedSplit, type PreparedSplits } from './prepare.ts';
import type { ProgressStream } from './progress.ts';
import { FROM_SCRATCH_TRAINING, FROM_SCRATCH_WORD_DROPOUT } from './presets.ts';
import type { ResolvedDataset, ResolvedModel } from './resolve.ts';
import { Trainer } from './trainer.ts';

export interface ModelSetupOptions {
  /** The dataset's label names: the head's labels. */
  readonly labels: readonly string[];
  /** The label column, for messages. Default `ner_tags`. */
  readonly labelColumn?: string;
  /** The training split's words: a from-scratch model's WordPiece vocabulary is trained on them. */
  readonly trainWords: () => readonly (readonly string[])[];
  /** Seeds new weights (from scratch, or a new head). Default 42. */
  readonly seed?: number;
  /** The vocabulary size to train; default the preset's, or 2000. */
  readonly vocabSize?: number;
  /** Allow a pre-trained head of another label count to be replaced. */
  readonly ignoreMismatchedSizes?: boolean;
  /** A resumed run's tokenizer (the one its checkpoint holds), used instead of loading or training one. */
  readonly tokenizer?: FastTokenizer;
  /** Training defaults the dataset brings (the synthetic corpus's recipe), over the model's. */
  readonly datasetDefaults?: { readonly training?: Partial<TrainingArgumentsInit>; readonly wordDropout?: number };
  /** Lines for the user, as they happen. */
  readonly say?: (line: string) => void;
  /** How the caller spells the options in messages (a command line: `--ignore-mismatched-sizes`). */
  readonly names?: SetupNames;
}

/** How the caller spells the options in messages: the TrainingArguments' and the setup's own. */
export type SetupNames = OptionNames & {
  /** The model, in messages about it (`--model runs/ner`). */
  readonly model?: string;
  readonly ignoreMismatchedSizes?: string;
  readonly vocabSize?: string;
  readonly maxLength?: string;
  readonly wordDropout?: string;
};

export interface ModelSetup {
  readonly tokenizer: PreTrainedTokenizer;
  /**
   * The model to train: its config's `id2label` has the dataset's labels, or — fine-tuning a
   * model that has them in another order, or more — the model's, with {@link labelMap}.
   */
  readonly model: PreTrainedModel;
  /** `labelMap[datasetId] = modelId` when the dataset's label ids must be re-numbered to the model's (labels mapped by name). */
  readonly labelMap: readonly number[] | undefined;
  readonly fromScratch: boolean;
  /** The training arguments this kind of model brings (a preset's recipe, the from-scratch one, none for fine-tuning). */
  readonly trainingDefaults: Partial<TrainingArgumentsInit>;
  /** The word dropout this kind of model trains with unless told otherwise (0 when fine-tuning). */
  readonly wordDropout: number;
}

/** Tokenizer, model and defaults for `model` (see the module comment). */
export async function setupModel(model: ResolvedModel, o: ModelSetupOptions): Promise<ModelSetup> {
  const say = o.say ?? (() => {});
  const seed = o.seed ?? 42;
  const labels = o.labels;
  const data = o.datasetDefaults ?? {};
  const newVocab = async (size: number): Promise<FastTokenizer> => {
    if (o.tokenizer) return o.tokenizer;
    const t0 = performance.now();
    const tok = await trainWordPiece(o.trainWords(), { vocabSize: size, lowercase: false });
    say(`tokenizer: trained a cased WordPiece vocabulary on the training split (${tok.vocabSize} pieces, asked ${size}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return tok;
  };
  if (o.ignoreMismatchedSizes && model.kind !== 'pretrained') say(`note: ${o.names?.ignoreMismatchedSizes ?? 'ignoreMismatchedSizes'} only matters when fine-tuning a model with weights`);

  if (model.kind === 'preset') {
    const preset = model.preset;
    const tokenizer = await newVocab(o.vocabSize ?? preset.vocabSize);
    const config = createConfig('bert', { ...preset.config, vocab_size: tokenizer.vocabSize });
    say(`model: ${preset.name} (${preset.description}), from scratch`);
    return fromScratch(tokenizer, config, { ...preset.training, ...data.training }, data.wordDropout ?? preset.wordDropout);
  }
  if (model.kind === 'config') {
    let tokenizer: FastTokenizer;
    if (model.hasTokenizer) {
      tokenizer = o.tokenizer ?? (await loadTokenizer(model.dir));
      if (o.vocabSize !== undefined) say(`note: ${o.names?.vocabSize ?? 'vocabSize'} is ignored: the model directory has its own tokenizer`);
    } else tokenizer = await newVocab(o.vocabSize ?? 2000);
    const raw = configToJson(model.config);
    if (!model.hasTokenizer) raw.vocab_size = tokenizer.vocabSize;
    const config = parseConfig(raw, `${model.dir}/config.json`);
    say(`model: ${model.dir}: config.json without weights: training a ${config.modelType} from scratch with this config`);
    return fromScratch(tokenizer, config, { ...FROM_SCRATCH_TRAINING, ...data.training }, data.wordDropout ?? FROM_SCRATCH_WORD_DROPOUT);
  }

  const tokenizer = o.tokenizer ?? (await loadTokenizer(model.dir));
  // Labels by name: the model's head rows keep their meaning whatever order the dataset lists them in.
  const loaded = loadForLabels(model.dir, labels, {
    ignoreMismatchedSizes: o.ignoreMismatchedSizes ?? false,
    ignoreMismatchedSizesName: o.names?.ignoreMismatchedSizes ?? 'ignoreMismatchedSizes',
    seed,
  });
  const m = new PreTrainedModel(loaded.config, loaded.params, loaded.report);
  say(`model: ${model.hub ? `${model.hub.id} (Hub, commit ${model.hub.commit.slice(0, 8)})` : model.dir} (${m.config.modelType}), fine-tuning${describeReport(loaded.report)}`);
  const note = describeLabelMapping(loaded.mapping, loaded.checkpointLabels, `the dataset's ${o.labelColumn ?? 'ner_tags'} labels`);
  if (note) say(note);
  return { tokenizer: new PreTrainedTokenizer(tokenizer), model: m, labelMap: loaded.labelMap, fromScratch: false, trainingDefaults: {}, wordDropout: 0 };

  function fromScratch(tok: FastTokenizer, config: ModelConfig, trainingDefaults: Partial<TrainingArgumentsInit>, wordDropout: number): ModelSetup {
    const m = PreTrainedModel.from_config(config, { id2label: labels, seed });
    return { tokenizer: new PreTrainedTokenizer(tok), model: m, labelMap: undefined, fromScratch: true, trainingDefaults, wordDropout };
  }
}

/**
 * Tokens per window for a model and its tokenizer: `requested` if given (never above the
 * model's positions), else the tokenizer's `model_max_length`, else the model's positions.
 * Also checks that every token id of the tokenizer has an embedding (`where` names the model).
 */
export function featureLength(tokenizer: FastTokenizer, config: ModelConfig, requested?: number, names: Pick<SetupNames, 'maxLength' | 'model'> = {}): number {
  const modelMax = maxSequenceLength(config);
  if (requested !== undefined && requested > modelMax) throw new TokentagError(`${names.maxLength ?? 'maxLength'} ${requested} is more than the model's ${modelMax} positions`);
  checkTokenizerFitsModel(tokenizer, config.vocabSize, names.model ?? 'the model');
  return Math.min(requested ?? tokenizer.modelMaxLength ?? modelMax, modelMax);
}

export interface RunArgumentsOptions {
  readonly outputDir: string;
  /** The model's (and dataset's) defaults: `ModelSetup.trainingDefaults`. */
  readonly defaults: Partial<TrainingArgumentsInit>;
  /** Evaluation strategy; default `'epoch'` with a validation split, `'no'` without. */
  readonly evalStrategy?: TrainingArgumentsInit['evalStrategy'];
  readonly hasValidation: boolean;
  /** How many training features there are (to log four times per epoch). */
  readonly trainFeatures: number;
  /** What the caller asked for: wins over everything. */
  readonly given: Partial<TrainingArgumentsInit>;
}

/**
 * A run's training arguments: Hugging Face's defaults, then the model's, then a run's (evaluate
 * and checkpoint every epoch, keep two checkpoints, log four times per epoch so every table
 * row has a fresh training loss; with step evaluation, checkpoints at the evaluations), then
 * what was asked.
 */
export function runArguments(o: RunArgumentsOptions): TrainingArgumentsInit {
  const evalStrategy = o.evalStrategy ?? (o.hasValidation ? 'epoch' : 'no');
  const batchSize = o.given.perDeviceTrainBatchSize ?? o.defaults.perDeviceTrainBatchSize ?? 8;
  const stepsPerEpoch = Math.ceil(Math.ceil(o.trainFeatures / batchSize) / (o.given.gradientAccumulationSteps ?? 1));
  return {
    outputDir: o.outputDir,
    ...o.defaults,
    evalStrategy,
    saveStrategy: evalStrategy === 'steps' ? 'steps' : 'epoch',
    saveTotalLimit: 2,
    loggingSteps: Math.max(1, Math.floor(stepsPerEpoch / 4)),
    ...(evalStrategy === 'steps' && o.given.saveSteps === undefined && o.given.evalSteps != null ? { saveSteps: o.given.evalSteps } : {}),
    ...o.given,
  };
}

/** What loading did, for the user: new or re-initialised head weights, unused checkpoint tensors. */
export function describeReport(r: LoadReport): string {
  const parts: string[] = [];
  if (r.newlyInitialized.length) parts.push(`new head: ${r.newlyInitialized.join(', ')} initialised for the dataset's labels`);
  if (r.mismatched.length) parts.push(`re-initialised (label count changed): ${r.mismatched.map((w) => `${w.name} [${w.checkpoint.join(', ')}] → [${w.model.join(', ')}]`).join(', ')}`);
  if (r.unused.length) parts.push(`${r.unused.length} checkpoint tensors unused`);
  return parts.length ? `; ${parts.join('; ')}` : '';
}

export interface TrainingSetupOptions {
  /** What to train: {@link resolveModel}'s answer. */
  readonly model: ResolvedModel;
  /** The data: {@link resolveDataset}'s answer (its training defaults apply), and the splits to use (default its own). */
  readonly data: ResolvedDataset;
  readonly dataset?: DatasetDict<TaggedRow>;
  /** The tag column to learn. Default `ner_tags`. */
  readonly labelColumn?: string;
  /** Its label names (`labelNamesOf(dataset, labelColumn)`). */
  readonly labels: readonly string[];
  readonly outputDir: string;
  /** Seeds new weights and word dropout. Default 42. */
  readonly seed?: number;
  readonly vocabSize?: number;
  /** Tokens per window; default the tokenizer's `model_max_length` / the model's positions. */
  readonly maxLength?: number;
  readonly labelAllTokens?: boolean;
  /** Word dropout rate; default the model's ({@link ModelSetup.wordDropout}). */
  readonly wordDropout?: number;
  readonly ignoreMismatchedSizes?: boolean;
  /** A resumed run's tokenizer. */
  readonly tokenizer?: FastTokenizer;
  readonly evalStrategy?: TrainingArgumentsInit['evalStrategy'];
  /** Training arguments asked for: they win over the model's and the run's defaults. */
  readonly training?: Partial<TrainingArgumentsInit>;
  /** Where the Trainer writes its progress, log and table (null: silent). */
  readonly output?: ProgressStream | null;
  readonly say?: (line: string) => void;
  /** How the caller spells the options in messages. */
  readonly names?: SetupNames;
}

export interface TrainingSetup extends ModelSetup {
  /** The splits, encoded into windows of {@link maxLength} tokens. */
  readonly splits: PreparedSplits;
  readonly maxLength: number;
  /** The word dropout the run trains with. */
  readonly wordDropoutRate: number;
  /** The Trainer, on the model and tokenizer above: call `train()`. */
  readonly trainer: Trainer;
}

/**
 * A training run, set up as `tokentag train` runs it: {@link setupModel}, then the splits
 * encoded ({@link prepareSplits}, long sentences split into windows), word dropout, the run's
 * training arguments ({@link runArguments}) and a {@link Trainer} over the course API's model and
 * tokenizer.
 */
export async function setupTraining(o: TrainingSetupOptions): Promise<TrainingSetup> {
  const say = o.say ?? (() => {});
  const seed = o.seed ?? 42;
  const dataset = o.dataset ?? o.data.dataset;
  const labelColumn = o.labelColumn ?? 'ner_tags';
  const setup = await setupModel(o.model, {
    labels: o.labels,
    labelColumn,
    trainWords: () => dataset.get('train').column('tokens') as readonly (readonly string[])[],
    seed,
    ...(o.vocabSize !== undefined ? { vocabSize: o.vocabSize } : {}),
    ...(o.ignoreMismatchedSizes !== undefined ? { ignoreMismatchedSizes: o.ignoreMismatchedSizes } : {}),
    ...(o.tokenizer ? { tokenizer: o.tokenizer } : {}),
    datasetDefaults: { ...(o.data.trainingDefaults ? { training: o.data.trainingDefaults } : {}), ...(o.data.wordDropout !== undefined ? { wordDropout: o.data.wordDropout } : {}) },
    say,
    ...(o.names ? { names: o.names } : {}),
  });
  const tokenizer = setup.tokenizer.backend;
  const maxLength = featureLength(tokenizer, setup.model.config, o.maxLength, o.names);
  // The model's labels from here on (the dataset's, unless mapped onto a pre-trained model's order).
  const modelLabels = setup.model.config.id2label;

  // Features (windows: long sentences are split, never cut).
  const t0 = performance.now();
  const splits = await prepareSplits(tokenizer, dataset, labelColumn, modelLabels, { maxLength, labelAllTokens: o.labelAllTokens ?? false, ...(setup.labelMap ? { labelMap: setup.labelMap } : {}) });
  const { train, validation, test } = splits;
  const splitNote = (name: string, p: PreparedSplit | undefined) => (p ? `${name} ${p.sentences} sentences → ${p.windows} windows (${p.splitSentences} split)` : undefined);
  say(`features (max ${maxLength} tokens): ${[splitNote('train', train), splitNote('validation', validation), splitNote('test', test)].filter(Boolean).join('; ')} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const split = train.splitSentences + (validation?.splitSentences ?? 0) + (test?.splitSentences ?? 0);
  if (split > 0) say(`note: ${split} sentences were longer than ${maxLength} tokens and were split into overlapping windows`);

  const wordDropoutRate = o.wordDropout ?? setup.wordDropout;
  const features = trainingFeatures(train, tokenizer, wordDropoutRate, seed, o.names?.wordDropout);
  if (wordDropoutRate > 0) {
    say(`word dropout: added a copy of the ${train.windows} training windows with ${wordDropoutRate * 100}% of the words replaced by ${tokenizer.specialTokens.unk_token} (${features.length} training features)`);
  }

  if (o.evalStrategy !== undefined && o.evalStrategy !== 'no' && !validation) {
    throw new TokentagError(`${o.names?.evalStrategy ?? 'evalStrategy'} ${o.evalStrategy} needs a validation split (the dataset has: ${dataset.names.join(', ')})`);
  }
  const args = runArguments({
    outputDir: o.outputDir,
    defaults: setup.trainingDefaults,
    ...(o.evalStrategy !== undefined ? { evalStrategy: o.evalStrategy } : {}),
    hasValidation: validation !== undefined,
    trainFeatures: features.length,
    given: o.training ?? {},
  });
  const trainer = new Trainer({
    model: setup.model,
    processing_class: setup.tokenizer,
    args,
    trainFeatures: features,
    ...(validation ? { evalFeatures: validation.evalFeatures } : {}),
    labelNames: modelLabels,
    ...(o.output !== undefined ? { output: o.output } : {}),
    ...(o.names ? { optionNames: o.names } : {}),
  });
  return { ...setup, splits, maxLength, wordDropoutRate, trainer };
}
