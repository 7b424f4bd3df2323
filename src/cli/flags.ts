/**
 * Command-line options for every command: strict `--flag value` parsing (node:util parseArgs)
 * with what people coming from Hugging Face type:
 *
 * - `--some_flag` is `--some-flag` (Python's argparse spelling beside ours), on every command;
 * - a command's aliases map other names to its own (`--num-train-epochs` → `--epochs`);
 * - an unknown option names the closest known one; a known Hugging Face option tokentag does
 *   not support says so and why, instead of "unknown".
 *
 * A malformed command line becomes a UsageError, which the CLI reports with the command's help
 * hint and exit code 2.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from '../errors.ts';
import { parseStrategy, type AggregationStrategy } from '../pipeline/types.ts';
import { closestName } from '../suggest.ts';
import type { NumberBounds, NumberKind } from './values.ts';

export { closestName } from '../suggest.ts';

export type Options = NonNullable<ParseArgsConfig['options']>;

export interface FlagSpec {
  /** Other names of an option, dashed: `{ 'num-train-epochs': 'epochs' }`. */
  readonly aliases?: Readonly<Record<string, string>>;
  /** Names (dashed) people may try that the command deliberately lacks, with why. */
  readonly unsupported?: Readonly<Record<string, string>>;
  readonly allowPositionals?: boolean;
}

/** What was parsed, and how the user spelled each option (for messages). */
export interface ParsedFlags<O extends Options> {
  readonly values: ReturnType<typeof parseArgs<{ options: O; strict: true; allowPositionals: boolean }>>['values'];
  readonly positionals: string[];
  /** `--num_train_epochs` when the user typed that for `epochs`; `--epochs` otherwise. */
  label(option: string): string;
  /** Whether the option was on the command line (defaults aside). */
  given(option: string): boolean;
}

const dashed = (name: string): string => name.replace(/_/g, '-');

/** `--num_train_epoch` → "…; did you mean --num_train_epochs?" in the user's own spelling. */
function unknownOption(typed: string, spec: FlagSpec, options: Options): UsageError {
  const name = dashed(typed.replace(/^-+/, ''));
  const reason = spec.unsupported?.[name];
  if (reason !== undefined) return new UsageError(`${typed}: ${reason}`);
  const guess = closestName(name, [...Object.keys(options), ...Object.keys(spec.aliases ?? {})]);
  const shown = guess === undefined ? undefined : typed.includes('_') ? guess.replace(/-/g, '_') : guess;
  return new UsageError(`Unknown option '${typed}'${shown ? `; did you mean --${shown}?` : ''}`);
}

/**
 * Rewrites argv to the command's own option names (underscores → dashes, aliases), remembering
 * how each was typed. Values of string options are left as they are.
 */
function normalise(argv: readonly string[], options: Options, spec: FlagSpec) {
  const out: string[] = [];
  const typed = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (!a.startsWith('--')) {
      out.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const raw = eq < 0 ? a.slice(2) : a.slice(2, eq);
    const name = spec.aliases?.[dashed(raw)] ?? (Object.hasOwn(options, raw) ? raw : dashed(raw));
    const canonical = spec.aliases?.[name] ?? name;
    if (!Object.hasOwn(options, canonical)) throw unknownOption(eq < 0 ? a : a.slice(0, eq), spec, options);
    typed.set(canonical, `--${raw}`);
    out.push(eq < 0 ? `--${canonical}` : `--${canonical}${a.slice(eq)}`);
    // The next argument is this option's value: keep it as typed.
    if (eq < 0 && options[canonical]!.type === 'string' && i + 1 < argv.length) out.push(argv[++i]!);
  }
  return { argv: out, typed };
}

/** Parses a command line strictly; see the module comment. */
export function parseCommandLine<const O extends Options>(argv: readonly string[], options: O, spec: FlagSpec = {}): ParsedFlags<O> {
  const { argv: args, typed } = normalise(argv, options, spec);
  let parsed;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: spec.allowPositionals ?? false });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  return {
    values: parsed.values as ParsedFlags<O>['values'],
    positionals: parsed.positionals,
    label: (option) => typed.get(option) ?? `--${option}`,
    given: (option) => typed.has(option),
  };
}

/** The option values of a command line without positionals. */
export function parseFlags<const O extends Options>(argv: readonly string[], options: O, spec: FlagSpec = {}): ParsedFlags<O>['values'] {
  return parseCommandLine(argv, options, spec).values;
}

/** A numeric option's value; `label` names it in the error (`--epochs`, `args.json: max_steps`). */
export function num(label: string, v: string | undefined, kind: NumberKind = 'float', bounds: NumberBounds = {}): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x)) throw new UsageError(`${label} expects a number, got '${v}'`);
  if (kind !== 'float' && !Number.isInteger(x)) throw new UsageError(`${label} expects an integer, got '${v}'`);
  if (kind === 'posint' && x < 1) throw new UsageError(`${label} must be at least 1, got '${v}'`);
  const { min, max, why } = bounds;
  if ((min !== undefined && x < min) || (max !== undefined && x > max)) {
    const range = min !== undefined && max !== undefined ? `from ${min} to ${max}` : min !== undefined ? `at least ${min}` : `at most ${max}`;
    throw new UsageError(`${label} must be ${range}${why ? ` (${why})` : ''}, got '${v}'`);
  }
  if (kind !== 'float' && !Number.isSafeInteger(x)) throw new UsageError(`${label} expects an integer of at most 2^53, got '${v}'`);
  return x;
}

/** `--aggregation S`: an aggregation strategy name, or a UsageError naming the flag. */
export function aggregationFlag(value: string | undefined, flag = '--aggregation'): AggregationStrategy {
  try {
    return parseStrategy(value);
  } catch (e) {
    throw new UsageError(`${flag}: ${(e as Error).message}`);
  }
}
