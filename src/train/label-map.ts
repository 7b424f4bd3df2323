/**
 * Labels are mapped by name, never by position. A model's head has one row per label of its
 * `id2label`; a dataset numbers its labels in its own order (sorted, or as its features say).
 * Fine-tuning or scoring a model on a dataset whose ids mean other labels would silently
 * permute the head — `dslim/bert-base-NER` and the Hub's `conll2003` order the same nine labels
 * differently. Hugging Face's `run_ner.py` reconciles them; so does this module, the one place
 * `train` and `evaluate` (and later Hub models) decide what a label id means:
 *
 * - the same names in the same order: nothing to do;
 * - the same set in another order: the model's order is kept and the dataset's ids are
 *   re-numbered to it (what `run_ner.py` does, with a message);
 * - fewer labels, all the model's (a dataset without MISC on a CoNLL model): likewise, and the
 *   model keeps the labels the data lacks (`run_ner.py` would need a new head);
 * - another set: the head is rebuilt for the dataset's labels. `run_ner.py` overwrites the
 *   label names and keeps the head's rows by position (or re-initialises the head with
 *   `--ignore_mismatched_sizes` when the count differs); here a label the model knows keeps its
 *   own row, by name, and only the new labels get fresh rows. A different label count still
 *   needs `ignoreMismatchedSizes`, as in Hugging Face;
 * - a model whose labels have no names (`LABEL_0`, …: a base checkpoint, or a head trained
 *   without names): the dataset's names, rows by position (there is nothing to match).
 */
import type { TensorData } from '../engine/dtype.ts';
import { TokentagError } from '../errors.ts';
import { architectureFor } from '../models/auto.ts';
import { loadTokenClassifier, type LoadReport } from '../models/checkpoint.ts';
import { numLabelsOf, withLabels, type ModelConfig } from '../models/config.ts';
import { NormalGenerator, initParam } from '../models/init.ts';

export type LabelMapping =
  /** Same names, same order. */
  | { readonly kind: 'same'; readonly labels: readonly string[] }
  /** Same set, another order: the model's order is kept; `datasetToModel[datasetId] = modelId`. */
  | { readonly kind: 'reordered'; readonly labels: readonly string[]; readonly datasetToModel: readonly number[] }
  /**
   * Fewer labels, all of them the model's: the model keeps all its labels (and rows), the
   * dataset's ids are re-numbered to them; `unused` are the model's labels the dataset lacks.
   */
  | { readonly kind: 'subset'; readonly labels: readonly string[]; readonly datasetToModel: readonly number[]; readonly unused: readonly string[] }
  /**
   * Another set: the model gets the dataset's labels; `rowFrom[newId]` is the model's id of the
   * same name (its head row is kept) or -1 (a new label, a fresh row).
   */
  | {
      readonly kind: 'different';
      readonly labels: readonly string[];
      readonly rowFrom: readonly number[];
      /** The dataset's labels the model does not have. */
      readonly added: readonly string[];
      /** The model's labels the dataset does not have (their rows are dropped). */
      readonly dropped: readonly string[];
    }
  /** The model's labels are unnamed (`LABEL_i`): the dataset's names, rows by position. */
  | { readonly kind: 'unnamed'; readonly labels: readonly string[] };

const isDefaultNames = (labels: readonly string[]) => labels.every((l, i) => l === `LABEL_${i}`);

/**
 * How a dataset's labels (`datasetLabels[id]` = name) meet a model's (`modelLabels`, its
 * `id2label`). `labels` of the result is the model's label list after the mapping: what the
 * config's `id2label` must be and what evaluation names predictions with.
 */
export function mapLabelsByName(modelLabels: readonly string[], datasetLabels: readonly string[]): LabelMapping {
  const dup = datasetLabels.find((l, i) => datasetLabels.indexOf(l) !== i);
  if (dup !== undefined) throw new TokentagError(`the dataset names the label '${dup}' twice`);
  if (modelLabels.length === datasetLabels.length && modelLabels.every((l, i) => l === datasetLabels[i])) return { kind: 'same', labels: [...modelLabels] };
  if (isDefaultNames(modelLabels)) return { kind: 'unnamed', labels: [...datasetLabels] };
  const modelId = new Map(modelLabels.map((l, i) => [l, i]));
  const datasetSet = new Set(datasetLabels);
  if (datasetLabels.every((l) => modelId.has(l))) {
    const datasetToModel = datasetLabels.map((l) => modelId.get(l)!);
    if (modelLabels.length === datasetLabels.length) return { kind: 'reordered', labels: [...modelLabels], datasetToModel };
    return { kind: 'subset', labels: [...modelLabels], datasetToModel, unused: modelLabels.filter((l) => !datasetSet.has(l)) };
  }
  return {
    kind: 'different',
    labels: [...datasetLabels],
    rowFrom: datasetLabels.map((l) => modelId.get(l) ?? -1),
    added: datasetLabels.filter((l) => !modelId.has(l)),
    dropped: modelLabels.filter((l) => !datasetSet.has(l)),
  };
}

const list = (names: readonly string[]) => names.join(', ');

/**
 * Labels of an entity column (one with `B-`/`I-`/… tags) that the two halves of tokentag
 * would read differently: seqeval (`evaluate`, the Trainer's scores) takes `O-X` for outside,
 * while the pipeline (`predict`), as Hugging Face's, groups it into entities of type `O-X`. A
 * model trained on it would be scored as one thing and predict another, so it is refused.
 */
export function checkTagLabels(labels: readonly string[], column: string): void {
  if (!labels.some((l) => /^[BIESLU]-./.test(l))) return; // not an entity column (POS tags name what they like)
  const odd = labels.filter((l) => /^O[-_]/.test(l));
  if (odd.length === 0) return;
  throw new TokentagError(
    `the ${column} label${odd.length === 1 ? '' : 's'} ${odd.map((l) => `'${l}'`).join(', ')} ${odd.length === 1 ? 'is' : 'are'} not a tag: 'O' (outside) takes no entity type. ` +
      `seqeval (evaluate) would score ${odd.length === 1 ? 'it' : 'them'} as O while the pipeline (predict) would group ${odd.length === 1 ? 'it' : 'them'} into entities; ` +
      `rename ${odd.length === 1 ? 'it' : 'them'} to O, or to B-/I- tags of an entity type`,
  );
}

/**
 * For scoring a trained model on a dataset: `datasetToModel[datasetId] = modelId`, by name.
 * Every label of the dataset must be one of the model's (a label the model cannot predict
 * would be scored as always wrong, silently); the dataset may use fewer.
 */
export function labelIdsByName(modelLabels: readonly string[], datasetLabels: readonly string[], what = "the dataset's label"): number[] {
  const modelId = new Map(modelLabels.map((l, i) => [l, i]));
  const missing = datasetLabels.filter((l) => !modelId.has(l));
  if (missing.length) {
    throw new TokentagError(
      `${what}${missing.length === 1 ? '' : 's'} ${missing.map((l) => `'${l}'`).join(', ')} ${missing.length === 1 ? 'is not one' : 'are not'} of the model's labels (${list(modelLabels)})`,
    );
  }
  return datasetLabels.map((l) => modelId.get(l)!);
}

/** One line for the user saying what the mapping did, or null when there was nothing to say. */
export function describeLabelMapping(mapping: LabelMapping, modelLabels: readonly string[], what = "the dataset's labels"): string | null {
  switch (mapping.kind) {
    case 'same':
      return null;
    case 'unnamed':
      return `labels: the model's labels have no names (${modelLabels.slice(0, 3).join(', ')}${modelLabels.length > 3 ? ', …' : ''}); it gets ${what}: ${list(mapping.labels)}`;
    case 'reordered':
      return `labels: ${what} are the model's in another order; they are mapped by name and the model's order is kept (${list(mapping.labels)})`;
    case 'subset':
      return `labels: ${what} are ${mapping.datasetToModel.length} of the model's ${mapping.labels.length}; they are mapped by name and the model keeps all its labels (not in the data: ${list(mapping.unused)})`;
    case 'different': {
      const kept = mapping.labels.length - mapping.added.length;
      return (
        `labels: ${what} (${list(mapping.labels)}) differ from the model's (${list(modelLabels)}): a new head for ${what}, ` +
        `${kept} label${kept === 1 ? '' : 's'} keeping the model's weights by name` +
        (mapping.added.length ? `, new: ${list(mapping.added)}` : '') +
        (mapping.dropped.length ? `, dropped: ${list(mapping.dropped)}` : '')
      );
    }
  }
}

/**
 * The head rebuilt for `mapping` (kind 'different'): for every head parameter with one row
 * per label (the classifier's weight and bias), row `i` is the old row `rowFrom[i]`, or a
 * fresh one (Hugging Face's initialisation: normal(0, initializer_range) weights, zero bias)
 * for a new label. Other parameters are shared, not copied.
 */
export function remapHead(
  oldConfig: ModelConfig,
  params: ReadonlyMap<string, TensorData<'float32'>>,
  rowFrom: readonly number[],
  labels: readonly string[],
  seed = 42,
): { config: ModelConfig; params: Map<string, TensorData<'float32'>> } {
  const config = withLabels(oldConfig, labels);
  const arch = architectureFor(config);
  const heads = new Set(arch.headNames);
  const oldCount = numLabelsOf(oldConfig);
  const normal = new NormalGenerator(seed);
  const out = new Map(params);
  for (const p of arch.paramShapes(config)) {
    if (!heads.has(p.name)) continue;
    const old = params.get(p.name);
    const fresh = initParam(p, config.initializerRange, normal);
    if (!old || p.dims[0] !== labels.length || old.dims[0] !== oldCount) {
      out.set(p.name, fresh);
      continue;
    }
    const row = p.dims.slice(1).reduce((a, b) => a * b, 1);
    rowFrom.forEach((from, i) => {
      if (from >= 0) fresh.data.set(old.data.subarray(from * row, (from + 1) * row), i * row);
    });
    out.set(p.name, fresh);
  }
  return { config, params: out };
}

export interface FineTuneOptions {
  /** Allow a head for another number of labels (Hugging Face's `ignore_mismatched_sizes`). */
  readonly ignoreMismatchedSizes?: boolean;
  /** Seed of the rows initialised here. Default 42. */
  readonly seed?: number;
  /** How the command line spells `ignoreMismatchedSizes` in the error, e.g. `--ignore-mismatched-sizes`. */
  readonly ignoreMismatchedSizesName?: string;
}

export interface LoadedForLabels {
  readonly config: ModelConfig;
  readonly params: Map<string, TensorData<'float32'>>;
  readonly report: LoadReport;
  readonly mapping: LabelMapping;
  /** The model's labels as the checkpoint had them. */
  readonly checkpointLabels: readonly string[];
  /** `datasetToModel[datasetId] = modelId` when the dataset's ids must be re-numbered (pass to `prepareSplit` as `labelMap`). */
  readonly labelMap: readonly number[] | undefined;
}

/**
 * Loads a pre-trained token classifier from `dir` to fine-tune on a dataset whose labels are
 * `datasetLabels`, with the labels mapped by name (see the module comment).
 */
export function loadForLabels(dir: string, datasetLabels: readonly string[], opts: FineTuneOptions = {}): LoadedForLabels {
  const seed = opts.seed ?? 42;
  const loaded = loadTokenClassifier(dir, { seed });
  const checkpointLabels = loaded.config.id2label;
  const mapping = mapLabelsByName(checkpointLabels, datasetLabels);
  const headIsNew = loaded.report.newlyInitialized.length > 0;
  const base = { report: loaded.report, mapping, checkpointLabels };
  if (mapping.kind === 'same') return { ...base, config: loaded.config, params: loaded.params, labelMap: undefined };
  if (mapping.kind === 'reordered' || mapping.kind === 'subset') return { ...base, config: loaded.config, params: loaded.params, labelMap: mapping.datasetToModel };
  const countChanged = mapping.labels.length !== checkpointLabels.length;
  if (countChanged && !headIsNew && !opts.ignoreMismatchedSizes) {
    throw new TokentagError(
      `${dir}: the model's head has ${checkpointLabels.length} labels (${list(checkpointLabels)}) but the dataset has ${mapping.labels.length} (${list(mapping.labels)}); ` +
        `pass ${opts.ignoreMismatchedSizesName ?? 'ignoreMismatchedSizes'} to train a new head for the dataset's labels` +
        (mapping.kind === 'different' && mapping.added.length < mapping.labels.length ? ' (labels the model already has keep their weights)' : ''),
    );
  }
  if (headIsNew) {
    // No trained head to keep: a fresh one of the right size, as loadTokenClassifier makes it.
    const fresh = loadTokenClassifier(dir, { id2label: mapping.labels, seed });
    return { ...base, config: fresh.config, params: fresh.params, report: fresh.report, labelMap: undefined };
  }
  const rowFrom = mapping.kind === 'different' ? mapping.rowFrom : mapping.labels.map((_, i) => (i < checkpointLabels.length ? i : -1));
  const { config, params } = remapHead(loaded.config, loaded.params, rowFrom, mapping.labels, seed);
  return { ...base, config, params, labelMap: undefined };
}
