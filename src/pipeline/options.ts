/**
 * Pipeline options as people write them: tokentag's camelCase (`aggregationStrategy`) or the
 * snake_case of Python's pipeline and of transformers.js (`aggregation_strategy`,
 * `ignore_labels`, `is_split_into_words`). Unknown options are an error naming the closest
 * known one, never ignored; both spellings of one option must agree.
 */
import { TokentagError } from '../errors.ts';
import { closestName } from '../suggest.ts';

/** transformers.js `pipeline()` loading options that have no meaning for a local tokentag model directory. */
const TRANSFORMERS_JS_LOADING = new Set([
  'dtype', 'device', 'quantized', 'progress_callback', 'revision', 'cache_dir', 'local_files_only', 'config', 'model_file_name',
  'subfolder', 'session_options', 'use_external_data_format',
]);

const toCamel = (k: string): string => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/**
 * Returns `options` with every known key in camelCase. `known` lists the camelCase names;
 * `what` names the kind of option in messages ("pipeline option", "call option").
 */
export function normalizeOptions<T extends object>(options: unknown, known: readonly string[], what: string): T {
  if (options === undefined || options === null) return {} as T;
  if (typeof options !== 'object' || Array.isArray(options)) throw new TokentagError(`${what}s must be an object, got ${JSON.stringify(options)}`);
  const out: Record<string, unknown> = {};
  const spelled = new Map<string, string>();
  for (const [key, value] of Object.entries(options)) {
    const camel = known.includes(key) ? key : toCamel(key);
    if (!known.includes(camel)) {
      if (TRANSFORMERS_JS_LOADING.has(key)) {
        throw new TokentagError(`"${key}" is a transformers.js loading option that tokentag does not support: tokentag runs a local model directory in float32 with ONNX Runtime on the CPU`);
      }
      const guess = closestName(key, known) ?? closestName(camel, known);
      throw new TokentagError(`unknown ${what} "${key}"${guess ? `; did you mean ${guess}?` : ''} (known: ${known.join(', ')})`);
    }
    const other = spelled.get(camel);
    if (other !== undefined && !sameValue(out[camel], value)) {
      throw new TokentagError(`${other} and ${key} name the same ${what} but disagree (${JSON.stringify(out[camel])} vs ${JSON.stringify(value)}); give one`);
    }
    spelled.set(camel, key);
    if (value !== undefined) out[camel] = value;
  }
  return out as T;
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
