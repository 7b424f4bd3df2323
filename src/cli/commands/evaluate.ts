/**
 * `tokentag evaluate`: a saved model + a dataset split → the seqeval classification report
 * (word level, first sub-token), or `evaluate`'s seqeval dictionary with --json. Long sentences
 * are split into windows and merged back, so every word is scored.
 */
import { TrainingSession } from '../../engine/runtime.ts';
import { UsageError } from '../../errors.ts';
import { seqevalCompute } from '../../metrics/evaluate.ts';
import { classificationReportText } from '../../metrics/report.ts';
import { architectureFor } from '../../models/auto.ts';
import { loadTokenClassifier } from '../../models/checkpoint.ts';
import { maxSequenceLength } from '../../models/config.ts';
import { checkTokenizerFitsModel, loadTokenizer } from '../../tokenize/tokenizer.ts';
import { evaluateModel } from '../../train/evaluate.ts';
import { labelIdsByName } from '../../train/label-map.ts';
import { mergeEvaluation, prepareSplit } from '../../train/prepare.ts';
import { labelNamesOf, requireSplit, resolveDataset } from '../../train/resolve.ts';
import { resolveModel } from '../../hub/model.ts';
import { cliHubOptions } from '../hub.ts';
import type { CliIO, Command } from '../command.ts';
import { DATA_OPTIONS, dataLoadOptions, dataOptionsHelp } from '../data-options.ts';
import { num, parseCommandLine } from '../flags.ts';

const help = `Usage: tokentag evaluate --model DIR|ID [--dataset FILE|DIR|ID] [options]

Scores a trained token classifier on one split of a dataset, on the word level as Hugging
Face's run_ner.py does (each word's label is the prediction at its first sub-token), and prints
seqeval's classification report and the accuracy. Sentences longer than the model allows are
split into overlapping windows and merged back: every word is scored.

Options:
  --model DIR|ID         a model directory (config.json, model.safetensors, tokenizer) or a Hugging
                         Face Hub id (org/name[@revision]), from Python's cache or downloaded
  --dataset FILE|DIR|ID  a CoNLL, JSON Lines, CoNLL-U or Parquet file or directory, or a Hub dataset id;
                         default: the built-in synthetic corpus
  --dataset-config NAME  the configuration of a Hub dataset that has several
  --split NAME           default test
  --label-column NAME    default ner_tags
  --batch-size N         default 32 (also --per_device_eval_batch_size)
  --max-length N         tokens per window (default: the tokenizer's / model's limit)
  --json                 print evaluate's seqeval dictionary (per type and overall_*) as JSON
  -h, --help             show this help

Reading the data (as on data inspect and train):
${dataOptionsHelp()}
Examples:
  tokentag evaluate --model runs/tokentag-bert-tiny
  tokentag evaluate --model runs/ner --dataset data/conll2003 --split validation --json
  tokentag evaluate --model dslim/bert-base-NER --dataset conll2003
`;

async function run(argv: string[], io: CliIO): Promise<number> {
  const { values, label } = parseCommandLine(
    argv,
    {
      model: { type: 'string' },
      dataset: { type: 'string' },
      'dataset-config': { type: 'string' },
      split: { type: 'string', default: 'test' },
      'label-column': { type: 'string', default: 'ner_tags' },
      'batch-size': { type: 'string' },
      'max-length': { type: 'string' },
      json: { type: 'boolean', default: false },
      ...DATA_OPTIONS,
    },
    { aliases: { 'model-name-or-path': 'model', 'per-device-eval-batch-size': 'batch-size', 'max-seq-length': 'max-length', 'label-column-name': 'label-column' } },
  );
  if (!values.model) throw new UsageError('--model is required');
  const batchSize = num(label('batch-size'), values['batch-size'], 'posint') ?? 32;
  const maxLengthFlag = num(label('max-length'), values['max-length'], 'posint');
  const column = values['label-column'];

  const hub = cliHubOptions(io);
  const data = await resolveDataset(values.dataset, {
    ...dataLoadOptions(values, column, label),
    hub,
    ...(values['dataset-config'] !== undefined ? { config: values['dataset-config'] } : {}),
  });
  requireSplit(data.dataset, values.split, 'choose one with --split');
  const dataLabels = labelNamesOf(data.dataset, column);
  const { dir } = await resolveModel(values.model, { ...hub, purpose: 'weights' });
  const { config, params } = loadTokenClassifier(dir);
  const tokenizer = await loadTokenizer(dir);
  checkTokenizerFitsModel(tokenizer, config.vocabSize, `--model ${values.model}`);
  const modelLabels = config.id2label;
  // Labels by name: the dataset's ids are re-numbered to the model's, whatever order it lists them in.
  const labelMap = labelIdsByName(modelLabels, dataLabels, `the dataset's ${column} label`);
  const modelMax = maxSequenceLength(config);
  if (maxLengthFlag !== undefined && maxLengthFlag > modelMax) throw new UsageError(`--max-length ${maxLengthFlag} is more than the model's ${modelMax} positions`);
  const maxLength = Math.min(maxLengthFlag ?? tokenizer.modelMaxLength ?? modelMax, modelMax);
  const split = data.dataset.get(values.split);
  const prepared = await prepareSplit(tokenizer, split, column, modelLabels, { maxLength, labelMap });

  const arch = architectureFor(config);
  const session = await TrainingSession.create({ params, model: arch.modelFn(config, arch.hasTokenTypes ? { tokenTypeIds: false } : {}) });
  let result;
  try {
    result = await evaluateModel(session, prepared.evalFeatures, modelLabels, { batchSize, padTokenId: config.padTokenId ?? 0 });
  } finally {
    await session.dispose();
  }
  const merged = mergeEvaluation(prepared, result, modelLabels);
  const metrics = seqevalCompute(merged.predictions, merged.references);
  if (values.json) {
    io.out(`${JSON.stringify(metrics, null, 2)}\n`);
    return 0;
  }
  const report = classificationReportText(merged.references, merged.predictions, { digits: 4 });
  io.out(
    [
      `${values.model} on ${data.description} [${values.split}]: ${prepared.sentences} sentences, ${prepared.words} words` +
        (prepared.splitSentences ? `, ${prepared.splitSentences} long sentences split into windows (${prepared.windows} windows) and merged back` : ''),
      '',
      report.trimEnd(),
      '',
      `accuracy: ${metrics.overall_accuracy.toFixed(4)}`,
      `loss: ${result.loss === null ? 'n/a' : result.loss.toFixed(4)}`,
      '',
    ].join('\n'),
  );
  return 0;
}

export const evaluateCommand: Command = {
  help,
  run,
};
