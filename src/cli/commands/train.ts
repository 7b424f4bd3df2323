/**
 * `tokentag train`: a model (preset from scratch, a config directory, or a checkpoint to
 * fine-tune) + a dataset (file, directory, or the built-in synthetic corpus) → a trained token
 * classifier in the Hugging Face layout, with per-epoch evaluation, a final test report and
 * checkpoints that Ctrl-C leaves resumable. See docs/cli-train.md.
 */
import { existsSync, readdirSync } from 'node:fs';
import { basename, join, resolve as resolvePath } from 'node:path';
import { TokentagError, UsageError } from '../../errors.ts';
import { checkWritableDir } from '../../io/writable.ts';
import { loadTokenizer } from '../../tokenize/tokenizer.ts';
import { type OptionNames, trainingArguments, type TrainingArgumentsInit } from '../../train/args.ts';
import { CHECKPOINT_FILES, isCompleteCheckpoint, latestCheckpoint } from '../../train/checkpoint.ts';
import { DEFAULT_PRESET, FROM_SCRATCH_WORD_DROPOUT, presetNames } from '../../train/presets.ts';
import { labelNamesOf, requireSplit, resolveDataset, resolveModel } from '../../train/resolve.ts';
import { saveRunOutputs } from '../../train/run-ner.ts';
import { setupTraining } from '../../train/setup.ts';
import { cliHubOptions } from '../hub.ts';
import { pushToHub, type PushResult } from '../../hub/push.ts';
import { pushSummary, uploadReporter } from './push.ts';
import { DatasetDict } from '../../data/dataset.ts';
import type { DataSource } from '../../data/load.ts';
import type { TaggedRow } from '../../data/row.ts';
import type { ProgressStream } from '../../train/progress.ts';
import type { CliIO, Command } from '../command.ts';
import { processIO } from '../command.ts';
import { exitCodeFor, type StopCause, type StopWatch, watchStopRequests } from '../interrupt.ts';
import { num } from '../flags.ts';
import { dataLoadOptions, dataOptionsHelp } from '../data-options.ts';
import { parseTrainCommandLine } from '../train-args.ts';
import { SEED_BOUNDS, threadBounds } from '../values.ts';

const help = `Usage: tokentag train [ARGS.json] [--model DIR|PRESET] [--dataset FILE|DIR] [options]

Trains a token classifier and saves it (config.json, model.safetensors and the tokenizer
files, the Hugging Face layout) to --output-dir. Evaluates on the validation split after each
epoch, then on the test split (seqeval classification report). The output directory also gets
what run_ner.py leaves there: trainer_state.json, train_results.json, eval_results.json,
predict_results.json, all_results.json and predictions.txt.

With no --model, a small BERT (preset ${DEFAULT_PRESET}) is trained from scratch; with no --dataset,
on the built-in synthetic NER corpus. \`tokentag train\` alone is the main job: under two minutes
on two cores, a model that tags plain English sentences (docs/cli-train.md).

Every option may be written as Hugging Face writes it (--output_dir, --num_train_epochs,
--per_device_train_batch_size, --model_name_or_path, --train_file, --max_seq_length, …), and
ARGS.json holds them as HfArgumentParser reads them ({"output_dir": "runs/ner", "num_train_epochs": 3});
flags after it override the file. See docs/cli-train.md for the full list.

Model and data:
  --model DIR|PRESET|ID      a preset (${presetNames().join(', ')}: from scratch, with a WordPiece
                             vocabulary trained on the training split), a directory with config.json
                             and a tokenizer but no weights (from scratch with that config), a
                             model directory with weights (fine-tuning; labels are mapped by name),
                             or a Hugging Face Hub id (bert-base-cased, org/name, org/name@revision:
                             downloaded into Python's cache, see docs/hub.md)
  --dataset FILE|DIR|ID      CoNLL, JSON Lines, CoNLL-U or Parquet: a file (one split) or a directory
                             with train, validation (dev) and test files; or a Hub dataset id
                             (conll2003, org/name: its Parquet files); default: the synthetic corpus
  --dataset-config NAME      the configuration of a Hub dataset that has several
  --train-file F  --validation-file F  --test-file F   the splits as separate files (run_ner.py)
  --label-column NAME        the tag column to learn (default ner_tags; --task-name pos → pos_tags)
  --output-dir DIR           default runs/tokentag-<preset or model name>
  --vocab-size N             WordPiece vocabulary for a from-scratch model (default 2000)
  --ignore-mismatched-sizes  allow a new head when the dataset has another number of labels
                             than the model (labels the model has keep their weights)
  --max-length N             tokens per window (longer sentences are split into overlapping windows,
                             never cut); default the tokenizer's model_max_length / the model's positions
  --label-all-tokens         label every sub-token (B-X → I-X on continuations), not only the first
  --word-dropout P           add a copy of the training set in which each word is [UNK] with
                             probability P (teaches context; default ${FROM_SCRATCH_WORD_DROPOUT} from scratch, 0 fine-tuning
                             or on the built-in corpus, whose sentences never repeat)
  --max-train-samples N  --max-eval-samples N  --max-predict-samples N   the first N sentences only
  --do-train  --do-eval  --do-predict   as run_ner.py: with none given, all three (evaluation
                             and test when the splits exist)
${dataOptionsHelp()}
Training (Hugging Face's TrainingArguments; a preset brings its own defaults, see docs/cli-train.md):
  --learning-rate X  --epochs X  --max-steps N  --batch-size N  --eval-batch-size N
  --weight-decay X  --adam-beta1 X  --adam-beta2 X  --adam-epsilon X  --warmup-ratio X
  --warmup-steps N (below 1: a ratio, as transformers 5)
  --lr-scheduler linear|cosine|constant|constant_with_warmup  --gradient-accumulation-steps N
  --max-grad-norm X  --seed N  --data-seed N  --threads N
  --no-group-by-length       plain shuffled batches (default: length-grouped, unlike Hugging Face,
                             but not on the built-in synthetic corpus; also --train-sampling-strategy random)
  --eval-strategy no|steps|epoch (default epoch)  --eval-steps N
  --save-strategy no|steps|epoch (default epoch)  --save-steps N  --save-total-limit N (default 2)
  --load-best-model-at-end  --metric-for-best-model NAME  --greater-is-better
  --logging-steps N (default: 4 per epoch)
  --resume-from-checkpoint [DIR]   continue from DIR, or from the newest checkpoint in --output-dir
  --overwrite-output-dir     train into a non-empty --output-dir (refused otherwise): an earlier
                             run's checkpoints there are removed first, files of the same names replaced

Output:
  --push-to-hub              upload the trained model and its card to the Hugging Face Hub
                             (needs a write token: HF_TOKEN or \`hf auth login\`)
  --hub-model-id ID          the repository (default: the --output-dir's name, under the token's user)
  --hub-private-repo         create it private
  --json                     print the summary and the final metrics as JSON on stdout
                             (the log and the table go to stderr)
  -h, --help                 show this help
  --version                  print tokentag's version

Ctrl-C (SIGINT), SIGTERM and SIGHUP finish the current step, save a checkpoint, tell how to
resume and exit with 130, 143 or 129; a second Ctrl-C quits at once.

Examples:
  tokentag train
  tokentag train --model bert-mini --dataset data/conll2003 --epochs 5 --output-dir runs/ner
  tokentag train --model bert-base-cased --dataset conll2003 --output-dir runs/bert-ner
  tokentag train --model runs/ner --dataset data/wnut17 --ignore-mismatched-sizes
  tokentag train --model_name_or_path runs/ner --train_file wnut/train.json --validation_file wnut/dev.json \\
    --labels wnut_17 --output_dir runs/wnut --num_train_epochs 3 --ignore_mismatched_sizes
  tokentag train args.json
  tokentag train --output-dir runs/ner --resume-from-checkpoint
`;

/** Where the Trainer writes its log, progress and table. */
export function cliStream(io: CliIO, toErr: boolean): ProgressStream {
  const std = toErr ? process.stderr : process.stdout;
  const real = io === processIO;
  return {
    write: (t: string) => (toErr ? io.err(t) : io.out(t)),
    isTTY: real ? Boolean(std.isTTY) : false,
    ...(real && std.columns ? { columns: std.columns } : {}),
  };
}

const fmt = (x: number) => x.toFixed(4);

/** The flags of the TrainingArguments as the user typed them, so that messages name those. */
function optionNames(label: (o: string) => string): OptionNames {
  return {
    outputDir: label('output-dir'),
    learningRate: label('learning-rate'),
    numTrainEpochs: label('epochs'),
    maxSteps: label('max-steps'),
    perDeviceTrainBatchSize: label('batch-size'),
    perDeviceEvalBatchSize: label('eval-batch-size'),
    weightDecay: label('weight-decay'),
    warmupRatio: label('warmup-ratio'),
    warmupSteps: label('warmup-steps'),
    lrSchedulerType: label('lr-scheduler'),
    gradientAccumulationSteps: label('gradient-accumulation-steps'),
    maxGradNorm: label('max-grad-norm'),
    seed: label('seed'),
    threads: label('threads'),
    groupByLength: label('group-by-length'),
    evalStrategy: label('eval-strategy'),
    evalSteps: label('eval-steps'),
    saveStrategy: label('save-strategy'),
    saveSteps: label('save-steps'),
    saveTotalLimit: label('save-total-limit'),
    loadBestModelAtEnd: label('load-best-model-at-end'),
    metricForBestModel: label('metric-for-best-model'),
    loggingSteps: label('logging-steps'),
    overwriteOutputDir: label('overwrite-output-dir'),
    resumeFromCheckpoint: label('resume-from-checkpoint'),
    evalFeatures: 'a validation split',
  };
}

const STOP_WORDS: Record<StopCause, string> = {
  SIGINT: 'Interrupted',
  SIGTERM: 'Terminated (SIGTERM)',
  SIGHUP: 'Hung up (SIGHUP)',
  'launcher-exit': 'The tokentag launcher process ended',
};

async function run(argv: string[], io: CliIO): Promise<number> {
  // Stop requests (Ctrl-C, SIGTERM, SIGHUP, the launcher's end): before training nothing has
  // been written, so the process ends at once; during training the step finishes and a
  // checkpoint is saved (docs/reliability.md).
  const state = { training: false };
  const stop = watchStopRequests({
    onStop(cause) {
      if (state.training) {
        io.err(`\n${STOP_WORDS[cause]}: finishing the current step and saving a checkpoint${cause === 'SIGINT' ? ' (Ctrl-C again to quit at once)' : ''}…\n`);
        return;
      }
      io.err(`\n${STOP_WORDS[cause]} before training began; nothing was written.\n`);
      process.exit(exitCodeFor(cause));
    },
    onQuit: () => io.err('\nQuitting without a checkpoint.\n'),
  });
  try {
    return await train(argv, io, stop, state);
  } finally {
    stop.dispose();
  }
}

async function train(argv: string[], io: CliIO, stop: StopWatch, state: { training: boolean }): Promise<number> {
  const { values, label } = parseTrainCommandLine(argv);
  const json = values.json;
  const log = (t: string) => (json ? io.err(t) : io.out(t));
  const say = (t: string) => log(`${t}\n`);
  const labelColumn = values['label-column'] ?? (values['task-name'] ? `${values['task-name'].toLowerCase()}_tags` : 'ner_tags');
  for (const k of ['model', 'dataset', 'dataset-config', 'output-dir', 'label-column', 'hub-model-id', 'train-file', 'validation-file', 'test-file'] as const) {
    if (values[k] === '') throw new UsageError(`${label(k)} must not be empty`);
  }
  if (!values['push-to-hub'] && (values['hub-model-id'] !== undefined || values['hub-private-repo'] !== undefined)) {
    throw new UsageError(`${label('hub-model-id')} and ${label('hub-private-repo')} go with ${label('push-to-hub')}`);
  }
  const wordDropoutFlag = num(label('word-dropout'), values['word-dropout']);
  if (wordDropoutFlag !== undefined && !(wordDropoutFlag >= 0 && wordDropoutFlag < 1)) throw new UsageError(`${label('word-dropout')} must be in [0, 1), got ${wordDropoutFlag}`);
  const vocabSizeFlag = num(label('vocab-size'), values['vocab-size'], 'posint');
  const maxLengthFlag = num(label('max-length'), values['max-length'], 'posint');
  if (values['report-to'] !== undefined && values['report-to'] !== 'none') {
    throw new UsageError(`${label('report-to')}: tokentag reports to the terminal (and trainer_state.json) only; pass none or leave it out`);
  }
  // run_ner.py's --do_train / --do_eval / --do_predict: with none given, tokentag does all three
  // (evaluation and test when the splits exist); with any given, what they ask.
  const phases = values['do-train'] || values['do-eval'] || values['do-predict'];
  if (phases && !values['do-train']) throw new UsageError('tokentag train always trains (--do_train); to only evaluate a model use tokentag evaluate');
  const doEval = phases ? Boolean(values['do-eval']) : true;
  const doPredict = phases ? Boolean(values['do-predict']) : true;
  const seed = num(label('seed'), values.seed, 'int', SEED_BOUNDS) ?? 42;
  // Every training flag is parsed before any work, so that a typo costs nothing.
  const flags: Partial<TrainingArgumentsInit> = {};
  const set = <K extends keyof TrainingArgumentsInit>(k: K, v: TrainingArgumentsInit[K] | undefined) => {
    if (v !== undefined) flags[k] = v;
  };
  set('learningRate', num(label('learning-rate'), values['learning-rate']));
  set('numTrainEpochs', num(label('epochs'), values.epochs));
  set('maxSteps', num(label('max-steps'), values['max-steps'], 'int'));
  set('perDeviceTrainBatchSize', num(label('batch-size'), values['batch-size'], 'posint'));
  set('perDeviceEvalBatchSize', num(label('eval-batch-size'), values['eval-batch-size'], 'posint'));
  set('weightDecay', num(label('weight-decay'), values['weight-decay']));
  set('warmupRatio', num(label('warmup-ratio'), values['warmup-ratio']));
  // As transformers 5: a warmup_steps below 1 is a ratio of the total steps.
  const warmup = num(label('warmup-steps'), values['warmup-steps']);
  if (warmup !== undefined && warmup > 0 && warmup < 1) set('warmupRatio', warmup);
  else set('warmupSteps', num(label('warmup-steps'), values['warmup-steps'], 'int'));
  set('lrSchedulerType', values['lr-scheduler'] as TrainingArgumentsInit['lrSchedulerType']);
  set('gradientAccumulationSteps', num(label('gradient-accumulation-steps'), values['gradient-accumulation-steps'], 'posint'));
  set('maxGradNorm', num(label('max-grad-norm'), values['max-grad-norm']));
  set('seed', values.seed === undefined ? undefined : seed);
  set('threads', num(label('threads'), values.threads, 'posint', threadBounds()));
  if (values['group-by-length'] && values['no-group-by-length']) throw new UsageError(`${label('group-by-length')} and ${label('no-group-by-length')} contradict each other; give one`);
  set('groupByLength', values['no-group-by-length'] ? false : (values['group-by-length'] ?? samplingStrategy(values['train-sampling-strategy'], label('train-sampling-strategy'))));
  set('evalSteps', num(label('eval-steps'), values['eval-steps']));
  set('saveStrategy', values['save-strategy'] as TrainingArgumentsInit['saveStrategy']);
  set('saveSteps', num(label('save-steps'), values['save-steps']));
  set('saveTotalLimit', num(label('save-total-limit'), values['save-total-limit'], 'posint'));
  set('loadBestModelAtEnd', values['load-best-model-at-end']);
  set('metricForBestModel', values['metric-for-best-model']);
  set('greaterIsBetter', values['greater-is-better']);
  set('adamBeta1', num(label('adam-beta1'), values['adam-beta1']));
  set('adamBeta2', num(label('adam-beta2'), values['adam-beta2']));
  set('adamEpsilon', num(label('adam-epsilon'), values['adam-epsilon']));
  set('dataSeed', num(label('data-seed'), values['data-seed'], 'int', SEED_BOUNDS));
  set('loggingSteps', num(label('logging-steps'), values['logging-steps']));
  set('overwriteOutputDir', values['overwrite-output-dir']);
  // Each value on its own (the combinations depend on defaults decided below, and are checked then).
  trainingArguments({ outputDir: '.', ...flags, evalStrategy: (values['eval-strategy'] ?? 'no') as TrainingArgumentsInit['evalStrategy'], loadBestModelAtEnd: false }, optionNames(label));

  // 1. What to train, on what, and where: the output directory is checked before any work (a
  // given one before a Hub model is fetched; the default one, named after the model, after).
  if (values['output-dir'] !== undefined) checkWritableDir(values['output-dir'], `${label('output-dir')} ${values['output-dir']}`);
  const hub = cliHubOptions(io);
  const model = await resolveModel(values.model, { hub });
  const outputDir = values['output-dir'] ?? join('runs', `tokentag-${model.name}`);
  const outputFlag = values['output-dir'] === undefined ? `the output directory ${outputDir} (--output-dir)` : `${label('output-dir')} ${outputDir}`;
  checkWritableDir(outputDir, outputFlag);
  // Resuming: the checkpoint has the tokenizer the run started with.
  let resumeDir: string | undefined;
  const resumeFlag = values['resume-from-checkpoint'];
  if (resumeFlag !== undefined) {
    resumeDir = resumeFlag === '' ? (latestCheckpoint(outputDir) ?? undefined) : resumeFlag;
    if (!resumeDir) throw new TokentagError(`${label('resume-from-checkpoint')}: no complete checkpoint in ${outputDir} (give the checkpoint directory, or the run's --output-dir)`);
    if (!isCompleteCheckpoint(resumeDir)) throw new TokentagError(`${label('resume-from-checkpoint')} ${resumeDir}: not a complete checkpoint (it needs ${CHECKPOINT_FILES.join(', ')})`);
  } else if (!values['overwrite-output-dir']) {
    refuseUsedOutputDir(outputDir, outputFlag);
  }
  const data = await resolveDataset(datasetSource(values, label), {
    ...dataLoadOptions(values, labelColumn, label),
    hub,
    ...(values['dataset-config'] !== undefined ? { config: values['dataset-config'] } : {}),
  });
  const dataset = limitSplits(data.dataset, {
    train: num(label('max-train-samples'), values['max-train-samples'], 'posint'),
    validation: num(label('max-eval-samples'), values['max-eval-samples'], 'posint'),
    test: num(label('max-predict-samples'), values['max-predict-samples'], 'posint'),
  });
  requireSplit(dataset, 'train', 'training needs a train split (a train.txt / train.jsonl file, or a single file)');
  if (phases && doEval) requireSplit(dataset, 'validation', '--do_eval needs a validation split (--validation_file)');
  if (phases && doPredict) requireSplit(dataset, 'test', '--do_predict needs a test split (--test_file)');
  const labels = labelNamesOf(dataset, labelColumn);
  say(`dataset: ${data.description}: ${dataset.names.map((n) => `${n} ${dataset.get(n).length}`).join(', ')} sentences; ${labelColumn}: ${labels.length} labels`);

  const resumeTokenizer = resumeDir !== undefined ? await loadTokenizer(resumeDir).catch(() => undefined) : undefined;
  if (resumeTokenizer) say(`tokenizer: the one saved in ${resumeDir}`);

  // 2. Tokenizer, model (labels mapped by name), features and the Trainer: the library's setup (src/train/setup.ts).
  const setup = await setupTraining({
    model,
    data,
    dataset,
    labelColumn,
    labels,
    outputDir,
    seed,
    ...(vocabSizeFlag !== undefined ? { vocabSize: vocabSizeFlag } : {}),
    ...(maxLengthFlag !== undefined ? { maxLength: maxLengthFlag } : {}),
    labelAllTokens: values['label-all-tokens'] ?? false,
    ...(wordDropoutFlag !== undefined ? { wordDropout: wordDropoutFlag } : {}),
    ignoreMismatchedSizes: values['ignore-mismatched-sizes'] ?? false,
    ...(resumeTokenizer ? { tokenizer: resumeTokenizer } : {}),
    ...(values['eval-strategy'] !== undefined ? { evalStrategy: values['eval-strategy'] as TrainingArgumentsInit['evalStrategy'] } : {}),
    training: flags,
    output: cliStream(io, json),
    say,
    names: {
      ...optionNames(label),
      model: model.kind === 'preset' ? 'the model' : `--model ${model.dir}`,
      ignoreMismatchedSizes: label('ignore-mismatched-sizes'),
      vocabSize: label('vocab-size'),
      maxLength: label('max-length'),
      wordDropout: label('word-dropout'),
    },
  });
  const { trainer, splits } = setup;
  const { train, validation, test } = splits;
  const modelLabels = trainer.labelNames;
  const a = trainer.args;
  say(
    `training: lr ${a.learningRate} (${a.lrSchedulerType}, warm-up ${a.warmupSteps > 0 ? `${a.warmupSteps} steps` : `ratio ${a.warmupRatio}`}), ` +
      `${a.maxSteps > 0 ? `${a.maxSteps} steps` : `${a.numTrainEpochs} epochs`}, batch ${a.perDeviceTrainBatchSize}` +
      `${a.gradientAccumulationSteps > 1 ? ` × ${a.gradientAccumulationSteps} accumulation` : ''}, weight decay ${a.weightDecay}, seed ${a.seed} → ${outputDir}`,
  );

  // 5. Train; a stop request finishes the step and checkpoints (see run()).
  state.training = true;
  const result = await trainer.train({ signal: stop.signal, ...(resumeDir !== undefined ? { resumeFromCheckpoint: resumeDir } : {}) });
  state.training = false;
  if (result.interrupted) {
    await trainer.dispose();
    const isResume = (x: string | undefined) => x?.replace(/_/g, '-') === '--resume-from-checkpoint';
    const again = argv.filter((x, i) => !isResume(x) && !x.replace(/_/g, '-').startsWith('--resume-from-checkpoint=') && !(isResume(argv[i - 1]) && !x.startsWith('--')));
    io.err(
      `Training interrupted at step ${result.globalStep}; checkpoint saved in ${result.lastCheckpoint}.\n` +
        `Resume with: tokentag train ${[...again, ...(values['output-dir'] === undefined ? ['--output-dir', outputDir] : []), '--resume-from-checkpoint', result.lastCheckpoint ?? ''].join(' ')}\n`,
    );
    return exitCodeFor(stop.cause ?? 'SIGINT');
  }

  // 6. Save, evaluate, test, the model card — run_ner.py's sequence, and the files it leaves in the output directory.
  const m = result.metrics;
  const outputs = await saveRunOutputs(trainer, result, {
    splits,
    trainSamples: dataset.get('train').length,
    doEval,
    doPredict,
    card: {
      ...(model.kind === 'pretrained' && model.hub ? { baseModel: model.hub.id } : {}),
      ...(data.hub ? { dataset: { id: data.hub.id, config: data.hub.config } } : {}),
    },
    say,
  });
  const { test: testMetrics, report: reportText, lastEval, card } = outputs;
  const summary = {
    train_runtime: m.train_runtime,
    train_samples_per_second: m.train_samples_per_second,
    train_steps_per_second: m.train_steps_per_second,
    train_tokens_per_second: m.train_tokens_per_second,
    train_loss: m.train_loss,
    epoch: m.epoch,
    global_step: result.globalStep,
  };

  // 7. --push-to-hub.
  let pushed: PushResult | undefined;
  if (values['push-to-hub']) {
    const repo = values['hub-model-id'] ?? basename(resolvePath(outputDir));
    pushed = await pushToHub(outputDir, { repo, private: values['hub-private-repo'] ?? false, onUpload: uploadReporter(io, `uploading to ${repo}`) }, card);
  }
  if (json) {
    const out = {
      output_dir: outputDir,
      model: model.name,
      from_scratch: model.kind !== 'pretrained',
      dataset: data.description,
      label_column: labelColumn,
      labels: modelLabels,
      split_sentences: { train: train.splitSentences, validation: validation?.splitSentences ?? 0, test: test?.splitSentences ?? 0 },
      train: summary,
      eval: lastEval ?? null,
      test: testMetrics ?? null,
      ...(pushed ? { pushed } : {}),
    };
    io.out(`${JSON.stringify(out, null, 2)}\n`);
    return 0;
  }
  const lines = [
    '',
    `TrainOutput(global_step=${result.globalStep}, training_loss=${result.trainingLoss}, metrics=${JSON.stringify(summary)})`,
    `train: ${fmt(m.train_runtime)} s, ${m.train_samples_per_second} samples/s, ${m.train_steps_per_second} steps/s, final loss ${fmt(m.train_loss)}`,
  ];
  if (lastEval) lines.push(`validation: F1 ${fmt(lastEval.eval_f1)}, precision ${fmt(lastEval.eval_precision)}, recall ${fmt(lastEval.eval_recall)}, accuracy ${fmt(lastEval.eval_accuracy)}`);
  if (testMetrics && reportText) {
    lines.push(
      `test (${test!.sentences} sentences): F1 ${fmt(testMetrics.overall_f1)}, precision ${fmt(testMetrics.overall_precision)}, recall ${fmt(testMetrics.overall_recall)}, accuracy ${fmt(testMetrics.overall_accuracy)}`,
      '',
      reportText.trimEnd(),
      '',
    );
  }
  lines.push(`saved the model to ${outputDir} (config.json, model.safetensors, tokenizer.json, tokenizer_config.json, special_tokens_map.json, vocab.txt, README.md: the model card)`);
  if (pushed) lines.push(pushSummary(pushed).trimEnd());
  io.out(`${lines.join('\n')}\n`);
  return 0;
}

/** `--dataset`, or run_ner.py's `--train_file` / `--validation_file` / `--test_file`. */
function datasetSource(values: { dataset?: string; 'train-file'?: string; 'validation-file'?: string; 'test-file'?: string }, label: (o: string) => string): DataSource | undefined {
  const files = Object.entries({ train: values['train-file'], validation: values['validation-file'], test: values['test-file'] }).filter(
    (e): e is [string, string] => e[1] !== undefined,
  );
  if (files.length === 0) return values.dataset;
  if (values.dataset !== undefined) throw new UsageError(`give ${label('dataset')} or the split files (${files.map(([s]) => label(`${s}-file`)).join(', ')}), not both`);
  return Object.fromEntries(files);
}

/** run_ner.py's `--max_train_samples` / `--max_eval_samples` / `--max_predict_samples`: the first N sentences of a split. */
function limitSplits(dict: DatasetDict<TaggedRow>, limits: Readonly<Record<string, number | undefined>>): DatasetDict<TaggedRow> {
  if (Object.values(limits).every((n) => n === undefined)) return dict;
  return new DatasetDict(
    dict.names.map((name) => {
      const ds = dict.get(name);
      const n = limits[name];
      return [name, n === undefined || n >= ds.length ? ds : ds.select(Array.from({ length: n }, (_, i) => i))] as const;
    }),
  );
}

/** transformers 5's `--train_sampling_strategy`: `group_by_length` or `random`. */
function samplingStrategy(value: string | undefined, flag: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (value !== 'group_by_length' && value !== 'random') throw new UsageError(`${flag} must be group_by_length or random, got '${value}'`);
  return value === 'group_by_length';
}

/**
 * Hugging Face's rule for a second run into a used directory: a non-empty output directory is
 * refused unless the run resumes (`--resume-from-checkpoint`) or replaces it
 * (`--overwrite-output-dir`), so that no earlier run's model, checkpoints or unrelated files
 * are overwritten silently.
 */
function refuseUsedOutputDir(dir: string, what: string): void {
  if (!existsSync(dir)) return;
  const entries = readdirSync(dir).sort();
  if (entries.length === 0) return;
  const checkpoints = entries.filter((e) => /^checkpoint-\d+$/.test(e));
  const shown = entries.slice(0, 5).join(', ') + (entries.length > 5 ? `, … (${entries.length} entries)` : '');
  throw new TokentagError(
    `${what} is not empty (${shown})${checkpoints.length ? '; it holds an earlier training run' : ''}: ` +
      `${checkpoints.length ? 'continue that run with --resume-from-checkpoint, ' : ''}train into it anyway with --overwrite-output-dir` +
      `${checkpoints.length ? ' (its checkpoints are removed first)' : ' (files of the same names are replaced)'}, or choose another --output-dir`,
  );
}

export const trainCommand: Command = {
  help,
  run,
};
