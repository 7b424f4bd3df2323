/**
 * `new TrainingArguments('bert-finetuned-ner', { eval_strategy: 'epoch', learning_rate: 2e-5, … })`:
 * the course's `TrainingArguments(...)` call, with Python's (snake_case) or TypeScript's
 * (camelCase) names. The object is the validated, frozen {@link TrainingArgumentsFields} the
 * Trainer uses (`args.learningRate`, `args.evalStrategy`, … with their defaults filled in).
 */
import { TokentagError } from '../errors.ts';
import {
  TRAINING_ARGUMENT_DEFAULTS,
  toCamel,
  toSnake,
  trainingArguments,
  type TrainingArguments as TrainingArgumentsFields,
  type TrainingArgumentsInit,
} from './args.ts';

/** `'learningRate'` → `'learning_rate'`, at the type level. */
export type SnakeCase<S extends string> = S extends `${infer H}${infer T}` ? `${H extends Lowercase<H> ? H : `_${Lowercase<H>}`}${SnakeCase<T>}` : S;

type Fields = Omit<TrainingArgumentsFields, 'outputDir'>;

/** The options, as Python spells them (`eval_strategy`, `num_train_epochs`, `per_device_train_batch_size`, …). */
export type TrainingArgumentsSnake = { readonly [K in keyof Fields as SnakeCase<K & string>]?: Fields[K] };

/** What `new TrainingArguments(outputDir, options)` takes: Python's names or the camelCase ones. */
export type TrainingArgumentsOptions = TrainingArgumentsSnake & Partial<Fields>;

const KNOWN = new Set(Object.keys(TRAINING_ARGUMENT_DEFAULTS));

/** Old or unsupported names a Python reader may type, with what to do instead. */
const PYTHON_HINTS: Readonly<Record<string, string>> = {
  evaluation_strategy: 'it was renamed eval_strategy (transformers 4.46)',
  output_dir: 'give the output directory as the first argument: new TrainingArguments(output_dir, { … })',
  fp16: 'mixed precision is not supported: tokentag trains in float32',
  bf16: 'mixed precision is not supported: tokentag trains in float32',
  report_to: 'tokentag logs to the console only',
  hub_token: 'the token comes from HF_TOKEN or `hf auth login`, as in Python',
};

function camelInit(outputDir: string, options: TrainingArgumentsOptions): TrainingArgumentsInit {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new TokentagError('TrainingArguments: the options must be an object, e.g. { eval_strategy: "epoch", learning_rate: 2e-5 }');
  const init: Record<string, unknown> = { outputDir };
  for (const [key, value] of Object.entries(options)) {
    const camel = KNOWN.has(key) ? key : toCamel(key);
    if (!KNOWN.has(camel)) {
      const hint = PYTHON_HINTS[key];
      throw new TokentagError(`TrainingArguments: unknown option ${JSON.stringify(key)}${hint ? `: ${hint}` : ''}`);
    }
    if (Object.hasOwn(init, camel)) throw new TokentagError(`TrainingArguments: ${toSnake(camel)} is given twice (as ${toSnake(camel)} and ${camel})`);
    init[camel] = value;
  }
  return init as TrainingArgumentsInit;
}

// The instance has every field of the validated arguments (declaration merging), with their docs.
export interface TrainingArguments extends TrainingArgumentsFields {}

/** Hugging Face's `TrainingArguments`: see the module comment. */
export class TrainingArguments {
  constructor(output_dir: string, options?: TrainingArgumentsOptions);
  constructor(init: TrainingArgumentsInit);
  constructor(first: string | TrainingArgumentsInit, options: TrainingArgumentsOptions = {}) {
    const init = typeof first === 'string' ? camelInit(first, options) : first;
    Object.assign(this, trainingArguments(init));
    Object.freeze(this);
  }
}
