/**
 * The command line of `tokentag train`: its own short names, Hugging Face's `TrainingArguments`
 * and `run_ner.py` names in either spelling (`--num_train_epochs` / `--num-train-epochs` →
 * `--epochs`), and a JSON arguments file as `HfArgumentParser.parse_json_file` reads one
 * (`tokentag train args.json`; unknown keys are an error). See docs/cli-train.md.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.ts';
import { DATA_OPTIONS } from './data-options.ts';
import { closestName, parseCommandLine, type FlagSpec, type ParsedFlags } from './flags.ts';

export const TRAIN_OPTIONS = {
  model: { type: 'string' },
  dataset: { type: 'string' },
  'dataset-config': { type: 'string' },
  'train-file': { type: 'string' },
  'validation-file': { type: 'string' },
  'test-file': { type: 'string' },
  'label-column': { type: 'string' },
  'task-name': { type: 'string' },
  'output-dir': { type: 'string' },
  'vocab-size': { type: 'string' },
  'ignore-mismatched-sizes': { type: 'boolean', default: false },
  'max-length': { type: 'string' },
  'label-all-tokens': { type: 'boolean', default: false },
  'word-dropout': { type: 'string' },
  'max-train-samples': { type: 'string' },
  'max-eval-samples': { type: 'string' },
  'max-predict-samples': { type: 'string' },
  'do-train': { type: 'boolean' },
  'do-eval': { type: 'boolean' },
  'do-predict': { type: 'boolean' },
  'learning-rate': { type: 'string' },
  epochs: { type: 'string' },
  'max-steps': { type: 'string' },
  'batch-size': { type: 'string' },
  'eval-batch-size': { type: 'string' },
  'weight-decay': { type: 'string' },
  'adam-beta1': { type: 'string' },
  'adam-beta2': { type: 'string' },
  'adam-epsilon': { type: 'string' },
  'warmup-ratio': { type: 'string' },
  'warmup-steps': { type: 'string' },
  'lr-scheduler': { type: 'string' },
  'gradient-accumulation-steps': { type: 'string' },
  'max-grad-norm': { type: 'string' },
  seed: { type: 'string' },
  'data-seed': { type: 'string' },
  threads: { type: 'string' },
  'group-by-length': { type: 'boolean' },
  'no-group-by-length': { type: 'boolean' },
  'train-sampling-strategy': { type: 'string' },
  'eval-strategy': { type: 'string' },
  'eval-steps': { type: 'string' },
  'save-strategy': { type: 'string' },
  'save-steps': { type: 'string' },
  'save-total-limit': { type: 'string' },
  'load-best-model-at-end': { type: 'boolean' },
  'metric-for-best-model': { type: 'string' },
  'greater-is-better': { type: 'boolean' },
  'logging-steps': { type: 'string' },
  'resume-from-checkpoint': { type: 'string' },
  'overwrite-output-dir': { type: 'boolean', default: false },
  'report-to': { type: 'string' },
  'push-to-hub': { type: 'boolean', default: false },
  'hub-model-id': { type: 'string' },
  'hub-private-repo': { type: 'boolean' },
  'use-cpu': { type: 'boolean' },
  json: { type: 'boolean', default: false },
  ...DATA_OPTIONS,
} as const;

/** Hugging Face names (dashed; `_` works too) of tokentag's own options. */
export const TRAIN_ALIASES: Readonly<Record<string, string>> = {
  'model-name-or-path': 'model',
  'dataset-name': 'dataset',
  'dataset-config-name': 'dataset-config',
  'label-column-name': 'label-column',
  'num-train-epochs': 'epochs',
  'per-device-train-batch-size': 'batch-size',
  'per-device-eval-batch-size': 'eval-batch-size',
  'lr-scheduler-type': 'lr-scheduler',
  'max-seq-length': 'max-length',
};

const MIXED_PRECISION = 'mixed precision is not supported: tokentag trains in float32 (ONNX Runtime)';
const NOT_HERE = 'a Hugging Face option tokentag train does not support (docs/cli-train.md lists the ones it does)';

/** Options Hugging Face users type that tokentag train lacks on purpose, with why. */
export const TRAIN_UNSUPPORTED: Readonly<Record<string, string>> = {
  fp16: MIXED_PRECISION,
  bf16: MIXED_PRECISION,
  'fp16-full-eval': MIXED_PRECISION,
  'bf16-full-eval': MIXED_PRECISION,
  tf32: MIXED_PRECISION,
  'hub-token': 'the token comes from HF_TOKEN or the token file of `hf auth login`, as in Python (docs/hub.md)',
  'hub-strategy': 'tokentag pushes the final model once, when training ends (hub_strategy "end")',
  'pad-to-max-length': 'tokentag pads each batch to its longest sequence (dynamic padding)',
  'text-column-name': "tokentag reads the words from the 'tokens' field (JSON Lines) or the tokens column (CoNLL, see --columns)",
  'return-entity-level-metrics': 'the per-type scores are in the final test report and in --json',
  ...Object.fromEntries(
    [
      'gradient-checkpointing', 'torch-compile', 'deepspeed', 'fsdp', 'optim', 'optim-args', 'label-smoothing-factor', 'lr-scheduler-kwargs',
      'preprocessing-num-workers', 'overwrite-cache', 'cache-dir', 'config-name', 'tokenizer-name', 'model-revision',
      'trust-remote-code', 'token', 'dataloader-num-workers', 'dataloader-drop-last', 'logging-strategy', 'logging-first-step', 'eval-on-start',
      'eval-delay', 'eval-accumulation-steps', 'auto-find-batch-size', 'disable-tqdm', 'log-level', 'run-name', 'local-rank', 'save-only-model',
      'include-num-input-tokens-seen', 'prediction-loss-only',
    ].map((n) => [n, NOT_HERE]),
  ),
};

const SPEC: FlagSpec = { aliases: TRAIN_ALIASES, unsupported: TRAIN_UNSUPPORTED, allowPositionals: true };
const dashed = (name: string): string => name.replace(/_/g, '-');

/**
 * A JSON arguments file as command-line arguments: `"num_train_epochs": 3` → `--epochs 3`,
 * `"do_train": true` → `--do-train`. Returns the arguments and how each option was named (for
 * messages: `args.json: max_steps`).
 */
function argsFromJson(file: string): { argv: string[]; labels: Map<string, string> } {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`${file}: ${code === 'ENOENT' ? 'no such file' : `not a JSON arguments file (${(e as Error).message})`}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new UsageError(`${file}: expected a JSON object of arguments, e.g. {"output_dir": "runs/ner", "num_train_epochs": 3}`);
  const argv: string[] = [];
  const labels = new Map<string, string>();
  for (const [key, value] of Object.entries(json)) {
    const name = dashed(key);
    const canonical = TRAIN_ALIASES[name] ?? name;
    const option = (TRAIN_OPTIONS as Record<string, { type: 'string' | 'boolean' }>)[canonical];
    if (!option || canonical === 'json') {
      const reason = TRAIN_UNSUPPORTED[name];
      if (reason !== undefined) throw new UsageError(`${file}: "${key}": ${reason}`);
      const guess = closestName(name, [...Object.keys(TRAIN_OPTIONS), ...Object.keys(TRAIN_ALIASES)]);
      throw new UsageError(`${file}: unknown key "${key}"${guess ? `; did you mean ${guess.replace(/-/g, '_')}?` : ''}`);
    }
    labels.set(canonical, `${file}: ${key}`);
    if (value === null) continue;
    if (option.type === 'boolean') {
      if (typeof value !== 'boolean') throw new UsageError(`${file}: ${key} must be true or false, got ${JSON.stringify(value)}`);
      if (value) argv.push(`--${canonical}`);
    } else if (canonical === 'resume-from-checkpoint' && value === true) {
      argv.push(`--${canonical}=`);
    } else {
      if (typeof value !== 'string' && typeof value !== 'number') throw new UsageError(`${file}: ${key} must be a string or a number, got ${JSON.stringify(value)}`);
      argv.push(`--${canonical}=${value}`);
    }
  }
  return { argv, labels };
}

/** `--resume-from-checkpoint` may stand alone (the newest checkpoint): give it an empty value. */
function standaloneResume(argv: readonly string[]): string[] {
  return argv.map((a, i) =>
    dashed(a) === '--resume-from-checkpoint' && (i + 1 >= argv.length || argv[i + 1]!.startsWith('--')) ? `${a}=` : a,
  );
}

/**
 * Parses `tokentag train [ARGS.json] [--options]`: the file's arguments first, then the command
 * line's, which override them (HfArgumentParser reads a file alone; tokentag also lets flags adjust it).
 */
export function parseTrainCommandLine(argv: readonly string[]): ParsedFlags<typeof TRAIN_OPTIONS> {
  const all = parseCommandLine(standaloneResume(argv), TRAIN_OPTIONS, SPEC);
  if (all.positionals.length === 0) return all;
  const [file, ...more] = all.positionals;
  if (more.length > 0 || !file!.toLowerCase().endsWith('.json')) {
    throw new UsageError(`unexpected argument${all.positionals.length > 1 ? 's' : ''} ${all.positionals.map((p) => `'${p}'`).join(' ')}; give options as --name value, or one JSON arguments file (args.json)`);
  }
  const fromFile = argsFromJson(file!);
  const flags = standaloneResume(argv.filter((a) => a !== file));
  const cli = parseCommandLine(flags, TRAIN_OPTIONS, SPEC);
  const merged = parseCommandLine([...fromFile.argv, ...flags], TRAIN_OPTIONS, SPEC);
  return { ...merged, label: (o) => (cli.given(o) ? cli.label(o) : (fromFile.labels.get(o) ?? `--${o}`)), given: (o) => merged.given(o) };
}
