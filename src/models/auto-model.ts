/**
 * `AutoModelForTokenClassification.from_pretrained(checkpoint, { id2label, label2id })` — the
 * course's model, in transformers.js's spelling — and the {@link PreTrainedModel} it returns: a
 * config, its weights, `save_pretrained(dir)`, and a forward pass you call as in Python
 * (`const outputs = await model(batch)`: `outputs.loss`, `outputs.logits`).
 *
 * Loading is the one loader every part of tokentag uses ({@link loadTokenClassifier}: the
 * checkpoint's tensors by name, a new head for the labels); training happens in a
 * {@link TrainingSession} that the Trainer or an `AdamW` optimizer attaches to the model, so
 * the model always shows the weights as trained so far.
 */
import { existsSync } from 'node:fs';
import { Callable } from '../callable.ts';
import type { TensorData } from '../engine/dtype.ts';
import type { ModelFn } from '../engine/optim.ts';
import { TrainingSession, type ExecutionProvider } from '../engine/runtime.ts';
import { Tensor } from '../engine/tensor.ts';
import { TokentagError } from '../errors.ts';
import { resolveModel } from '../hub/model.ts';
import type { HubOptions } from '../hub/settings.ts';
import { architectureFor } from './auto.ts';
import { loadTokenClassifier, saveTokenClassifier, type LoadReport, type SaveOptions } from './checkpoint.ts';
import { defaultLabels, numLabelsOf, withLabels, type ModelConfig } from './config.ts';

/** The label options of `from_pretrained`, as Python spells them. */
export interface LabelOptions {
  /** Label names by id: `{ 0: 'O', 1: 'B-PER', … }` (the course's dict comprehension) or `['O', 'B-PER', …]`. */
  readonly id2label?: readonly string[] | Readonly<Record<number | string, string>>;
  /** The inverse, `{ O: 0, 'B-PER': 1, … }`: checked against `id2label`. */
  readonly label2id?: Readonly<Record<string, number>>;
  /** The number of labels, when no names are given (they are then `LABEL_0` …). */
  readonly num_labels?: number;
}

export interface FromPretrainedOptions extends LabelOptions {
  /** Replace a head of another size (a checkpoint trained on other labels) instead of failing. */
  readonly ignore_mismatched_sizes?: boolean;
  /** Seeds the weights initialised here (a new head). Default 42. */
  readonly seed?: number;
  /** How to reach the Hub for an id (default: the environment, as Python). */
  readonly hub?: HubOptions;
}

/**
 * Label names from `id2label` / `label2id` / `num_labels`, checked as a reader would want: ids
 * 0..n-1 without gaps, `label2id` the exact inverse. Undefined when none is given.
 */
export function labelNamesFromOptions(o: LabelOptions): string[] | undefined {
  let names: string[] | undefined;
  if (o.id2label !== undefined) {
    if (Array.isArray(o.id2label)) names = [...(o.id2label as readonly string[])];
    else {
      const entries = Object.entries(o.id2label as Record<string, string>);
      names = new Array<string>(entries.length);
      for (const [k, v] of entries) {
        const id = Number(k);
        if (!Number.isInteger(id) || id < 0 || id >= entries.length || String(id) !== k) {
          throw new TokentagError(`id2label: the ids must be 0..${entries.length - 1}, found ${JSON.stringify(k)}`);
        }
        names[id] = v;
      }
    }
    names.forEach((n, i) => {
      if (typeof n !== 'string' || n === '') throw new TokentagError(`id2label: label ${i} must be a non-empty name, got ${JSON.stringify(n)}`);
      if (names!.indexOf(n) !== i) throw new TokentagError(`id2label: '${n}' is both label ${names!.indexOf(n)} and label ${i}`);
    });
  }
  if (o.label2id !== undefined) {
    if (names === undefined) throw new TokentagError('label2id needs id2label beside it (id2label = label names by id; label2id = its inverse)');
    for (const [name, id] of Object.entries(o.label2id)) {
      const at = names.indexOf(name);
      if (at < 0) throw new TokentagError(`label2id names '${name}', which is not in id2label (${names.join(', ')}); label2id must be id2label's inverse`);
      if (id !== at) throw new TokentagError(`label2id['${name}'] is ${JSON.stringify(id)} but id2label has '${name}' at ${at}; label2id must be id2label's inverse`);
    }
    const missing = names.filter((n) => !Object.hasOwn(o.label2id!, n));
    if (missing.length > 0) throw new TokentagError(`label2id lacks ${missing.map((m) => `'${m}'`).join(', ')} of id2label; label2id must be id2label's inverse`);
  }
  if (o.num_labels !== undefined) {
    if (!Number.isInteger(o.num_labels) || o.num_labels < 1) throw new TokentagError(`num_labels must be a positive integer, got ${o.num_labels}`);
    if (names !== undefined && names.length !== o.num_labels) throw new TokentagError(`num_labels is ${o.num_labels} but id2label has ${names.length} labels`);
    names ??= defaultLabels(o.num_labels);
  }
  return names;
}

/** What the forward pass takes: a padded batch (what a data collator returns). */
export interface ModelInputs {
  readonly input_ids: TensorData<'int64'>;
  readonly attention_mask?: TensorData<'int64'>;
  readonly token_type_ids?: TensorData<'int64'>;
  /** With labels, the output has the loss too. */
  readonly labels?: TensorData<'int64'>;
}

/** Python's `TokenClassifierOutput`. */
export interface TokenClassifierOutput {
  /** Mean cross-entropy over the tokens whose label is not -100; when the batch had labels. */
  readonly loss?: number;
  /** `[batch, sequence, num_labels]`. */
  readonly logits: Tensor<'float32', 3>;
}

/** Options of the training session an optimizer or the Trainer creates for the model. */
export interface SessionSettings {
  readonly adamw?: { readonly weightDecay?: number; readonly betas?: readonly [number, number]; readonly eps?: number; readonly decay?: (name: string) => boolean };
  readonly maxGradNorm?: number;
  readonly accumulationSteps?: number;
  readonly seed?: number;
  readonly threads?: number;
  readonly executionProvider?: ExecutionProvider;
  /** Whether the batches carry `token_type_ids` (BERT and ELECTRA read them). */
  readonly tokenTypeIds: boolean;
}

export interface PreTrainedModel {
  /** The forward pass with dropout off (Python's `model.eval()` then `model(**batch)`). */
  (batch: ModelInputs): Promise<TokenClassifierOutput>;
}

/** A token classifier: see the module comment. */
export class PreTrainedModel extends Callable {
  /** `config.json`: `id2label`, `label2id`, sizes. The number of labels is `config.id2label.length`. */
  readonly config: ModelConfig;
  /** What loading did: newly initialised head, unused checkpoint tensors, re-initialised mismatched ones. */
  readonly report: LoadReport | undefined;
  #params: ReadonlyMap<string, TensorData<'float32'>>;
  #session: TrainingSession | null = null;
  #ownsSession = false;
  #inference: Promise<TrainingSession> | null = null;
  #inferenceTypes: boolean | undefined;

  constructor(config: ModelConfig, params: ReadonlyMap<string, TensorData<'float32'>>, report?: LoadReport) {
    let self!: PreTrainedModel;
    super((batch: ModelInputs) => self.#forward(batch));
    self = this;
    this.config = config;
    this.#params = params;
    this.report = report;
  }

  /** transformers' `AutoModelForTokenClassification.from_pretrained`; see {@link AutoModelForTokenClassification}. */
  static async from_pretrained(pretrained_model_name_or_path: string, options: FromPretrainedOptions = {}): Promise<PreTrainedModel> {
    const labels = labelNamesFromOptions(options);
    const dir = existsSync(pretrained_model_name_or_path)
      ? pretrained_model_name_or_path
      : (await resolveModel(pretrained_model_name_or_path, { ...options.hub, purpose: 'weights' })).dir;
    const loaded = loadTokenClassifier(dir, {
      ...(labels ? { id2label: labels } : {}),
      ignoreMismatchedSizes: options.ignore_mismatched_sizes ?? false,
      seed: options.seed ?? 42,
    });
    return new PreTrainedModel(loaded.config, loaded.params, loaded.report);
  }

  /** A model with freshly initialised weights (Python's `from_config`), seeded; labels as in `from_pretrained`. */
  static from_config(config: ModelConfig, options: LabelOptions & { readonly seed?: number } = {}): PreTrainedModel {
    const labels = labelNamesFromOptions(options);
    const c = labels ? withLabels(config, labels) : config;
    return new PreTrainedModel(c, architectureFor(c).init(c, options.seed ?? 42));
  }

  /** The number of labels (Python's `model.config.num_labels`). */
  get num_labels(): number {
    return numLabelsOf(this.config);
  }

  /**
   * The current weights: as loaded, or as trained so far while a training session is attached
   * (then views of its buffers, overwritten by the next step: copy them to keep them).
   */
  get params(): ReadonlyMap<string, TensorData<'float32'>> {
    return this.#session ? this.#session.weights() : this.#params;
  }

  /** What an optimizer trains: PyTorch's `model.parameters()` (here the whole model). */
  parameters(): { readonly model: PreTrainedModel } {
    return { model: this };
  }

  /** The training model function (inputs `input_ids`, `attention_mask`, `token_type_ids` when asked, `labels`). */
  modelFunction(tokenTypeIds: boolean): ModelFn {
    const arch = architectureFor(this.config);
    return arch.modelFn(this.config, arch.hasTokenTypes ? { tokenTypeIds } : {});
  }

  /** @internal The training session now training these weights (the Trainer's, or an optimizer's, which the model then owns). */
  attach(session: TrainingSession, owned: boolean): void {
    if (this.#session && this.#session !== session) throw new TokentagError('this model is already being trained by another optimizer or Trainer; load a new model for a second run');
    this.#session = session;
    this.#ownsSession = owned;
  }

  /** @internal Keeps a copy of the trained weights before the attached session goes away. */
  detach(session: TrainingSession): void {
    if (this.#session !== session) return;
    this.#params = session.state().params;
    this.#session = null;
    this.#ownsSession = false;
  }

  /** The attached training session, if any. */
  get session(): TrainingSession | null {
    return this.#session;
  }

  /** Creates (once) and attaches a training session with these settings; the model owns it. */
  async trainingSession(settings: SessionSettings): Promise<TrainingSession> {
    if (this.#session) return this.#session;
    const session = await TrainingSession.create({
      params: this.#params,
      model: this.modelFunction(settings.tokenTypeIds),
      ...(settings.adamw ? { adamw: settings.adamw } : {}),
      ...(settings.maxGradNorm !== undefined ? { maxGradNorm: settings.maxGradNorm } : {}),
      ...(settings.accumulationSteps !== undefined ? { accumulationSteps: settings.accumulationSteps } : {}),
      ...(settings.seed !== undefined ? { seed: settings.seed } : {}),
      ...(settings.threads !== undefined ? { threads: settings.threads } : {}),
      ...(settings.executionProvider !== undefined ? { executionProvider: settings.executionProvider } : {}),
    });
    if (this.#session) {
      await session.dispose();
      return this.#session;
    }
    this.attach(session, true);
    return session;
  }

  async #forward(batch: ModelInputs): Promise<TokenClassifierOutput> {
    if (!batch || typeof batch !== 'object' || !batch.input_ids) throw new TokentagError('model(batch): the batch needs input_ids (and attention_mask): pass what the data collator returns');
    const types = batch.token_type_ids !== undefined;
    let session = this.#session;
    if (!session) {
      if (!this.#inference || this.#inferenceTypes !== types) {
        const old = this.#inference;
        this.#inferenceTypes = types;
        this.#inference = TrainingSession.create({ params: this.#params, model: this.modelFunction(types) });
        if (old) await (await old).dispose();
      }
      session = await this.#inference;
    }
    const feeds: Record<string, TensorData> = { input_ids: batch.input_ids };
    if (batch.attention_mask) feeds.attention_mask = batch.attention_mask;
    if (batch.token_type_ids) feeds.token_type_ids = batch.token_type_ids;
    if (batch.labels) feeds.labels = batch.labels;
    const r = await session.evaluate(feeds, { outputs: batch.labels ? ['loss', 'logits'] : ['logits'] });
    const logits = Tensor.from<'float32', 3>(r.outputs.logits as TensorData<'float32'>);
    return r.loss !== undefined ? { loss: r.loss, logits } : { logits };
  }

  /**
   * Writes `config.json` and `model.safetensors` (the Hugging Face layout, loadable by Python's
   * `from_pretrained`) with the current weights, atomically. The tokenizer is saved by its own
   * `save_pretrained`, as in Python.
   */
  save_pretrained(save_directory: string, options: SaveOptions = {}): void {
    saveTokenClassifier(save_directory, this.config, this.params, options);
  }

  /** Frees the ONNX Runtime sessions the model made (its own inference session, and a training session it owns). */
  async dispose(): Promise<void> {
    const inference = this.#inference;
    this.#inference = null;
    if (inference) await (await inference).dispose();
    if (this.#session && this.#ownsSession) {
      const s = this.#session;
      this.detach(s);
      await s.dispose();
    }
  }
}

/** transformers.js's `AutoModelForTokenClassification`. */
export const AutoModelForTokenClassification = Object.freeze({
  /**
   * A model directory or a Hub id (`bert-base-cased`, `org/name@revision`) → a token classifier.
   * With `id2label` / `label2id` the head has those labels: a checkpoint without a head (a base
   * model) gets a new one, initialised (listed in `model.report.newlyInitialized`).
   */
  from_pretrained: (pretrained_model_name_or_path: string, options: FromPretrainedOptions = {}): Promise<PreTrainedModel> =>
    PreTrainedModel.from_pretrained(pretrained_model_name_or_path, options),
  /** A new, randomly initialised model of this config (seeded). */
  from_config: (config: ModelConfig, options: LabelOptions & { readonly seed?: number } = {}): PreTrainedModel => PreTrainedModel.from_config(config, options),
});
