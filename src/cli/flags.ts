import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from '../errors.ts';
import { parseStrategy, type AggregationStrategy } from '../pipeline/index.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Parses `--flag value` options strictly (no positionals, no unknown flags); a malformed command
 * line becomes a UsageError, which the CLI reports with the command's help hint and exit code 2.
 */
export function parseFlags<const O extends Options>(
  argv: string[],
  options: O,
): ReturnType<typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: false }>>['values'] {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** `--aggregation S`: an aggregation strategy name, or a UsageError naming the flag. */
export function aggregationFlag(value: string | undefined, flag = '--aggregation'): AggregationStrategy {
  try {
    return parseStrategy(value);
  } catch (e) {
    throw new UsageError(`${flag}: ${(e as Error).message}`);
  }
}
