/**
 * The body of a Hugging Face Inference API token-classification request, checked:
 *
 *   {"inputs": "text" | ["text", …], "parameters": {"aggregation_strategy", "ignore_labels",
 *    "stride", "is_split_into_words"}, "options": {"wait_for_model", "use_cache"}}
 *
 * Every problem is a `RequestError` naming the key and what was expected; the server answers it
 * with a 4xx `{"error": …}` before any work is queued.
 */
import { RequestError } from '../errors.ts';
import { parseStrategy, type AggregationStrategy, type CallOptions } from '../pipeline/index.ts';

export type InferenceRequest =
  /** Raw texts; `single` when `inputs` was one string (the answer is then one entity list). */
  | { readonly kind: 'texts'; readonly texts: string[]; readonly single: boolean; readonly options: CallOptions }
  /** Pre-split words; `single` when `inputs` was one sentence (`string[]`). */
  | { readonly kind: 'words'; readonly sentences: string[][]; readonly single: boolean; readonly options: CallOptions };

const KEYS = ['inputs', 'parameters', 'options'];
const PARAMETERS = ['aggregation_strategy', 'ignore_labels', 'stride', 'is_split_into_words'];
/** The Inference API's request options: they change nothing here (the model is always loaded, nothing is cached). */
const OPTIONS = ['wait_for_model', 'use_cache'];

export interface RequestLimits {
  /** Tokens per window the model reads, less its special tokens: a stride must be below it. */
  readonly room: number;
  /** The strategy when the request names none (the Inference API's is `simple`). */
  readonly defaultStrategy: AggregationStrategy;
}

const bad = (message: string): never => {
  throw new RequestError(400, message);
};

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkKeys(obj: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) bad(`unknown ${where} ${JSON.stringify(k)} (expected ${allowed.join(', ')})`);
  }
}

function stringArray(v: unknown, where: string): string[] {
  if (!Array.isArray(v)) return bad(`${where} must be an array of strings, got ${typeName(v)}`);
  v.forEach((x, i) => {
    if (typeof x !== 'string') bad(`${where}[${i}] must be a string, got ${typeName(x)}`);
  });
  return v as string[];
}

function parseParameters(p: unknown, limits: RequestLimits): { options: CallOptions; splitWords: boolean } {
  if (p === undefined || p === null) return { options: { aggregationStrategy: limits.defaultStrategy }, splitWords: false };
  if (!isObject(p)) return bad(`"parameters" must be an object, got ${typeName(p)}`);
  checkKeys(p, PARAMETERS, 'parameter');
  const options: CallOptions = { aggregationStrategy: limits.defaultStrategy };
  if (p.aggregation_strategy !== undefined && p.aggregation_strategy !== null) {
    try {
      options.aggregationStrategy = parseStrategy(p.aggregation_strategy);
    } catch (e) {
      bad(`"aggregation_strategy": ${(e as Error).message}`);
    }
  }
  if (p.ignore_labels !== undefined && p.ignore_labels !== null) options.ignoreLabels = stringArray(p.ignore_labels, '"ignore_labels"');
  if (p.stride !== undefined && p.stride !== null) {
    const s = p.stride;
    if (typeof s !== 'number' || !Number.isInteger(s) || s < 0 || s >= limits.room) {
      bad(`"stride" must be an integer from 0 to ${limits.room - 1} (the overlap in tokens between windows of ${limits.room} tokens), got ${JSON.stringify(s)}`);
    }
    options.stride = s as number;
  }
  const split = p.is_split_into_words;
  if (split !== undefined && split !== null && typeof split !== 'boolean') bad(`"is_split_into_words" must be true or false, got ${typeName(split)}`);
  return { options, splitWords: split === true };
}

/** Checks a parsed JSON body and turns it into what the pipeline takes. */
export function parseInferenceRequest(body: unknown, limits: RequestLimits): InferenceRequest {
  if (!isObject(body)) return bad(`the body must be a JSON object with "inputs", got ${typeName(body)}`);
  checkKeys(body, KEYS, 'key');
  if (body.options !== undefined && body.options !== null) {
    if (!isObject(body.options)) bad(`"options" must be an object, got ${typeName(body.options)}`);
    checkKeys(body.options as Record<string, unknown>, OPTIONS, 'option');
  }
  const { options, splitWords } = parseParameters(body.parameters, limits);
  const inputs = body.inputs;
  if (inputs === undefined) return bad('"inputs" is missing: give a text or an array of texts');
  if (splitWords) {
    // As the pipeline: string[] is one sentence, string[][] a batch of sentences.
    if (!Array.isArray(inputs)) return bad(`with "is_split_into_words", "inputs" must be an array of words or an array of such arrays, got ${typeName(inputs)}`);
    if (inputs.length === 0) return bad('"inputs" is empty: give at least one word');
    const nested = inputs.filter((x) => Array.isArray(x)).length;
    if (nested > 0 && nested < inputs.length) return bad('with "is_split_into_words", "inputs" must be words (one sentence) or arrays of words (a batch), not a mix');
    if (nested > 0) {
      const sentences = inputs.map((s, i) => stringArray(s, `"inputs"[${i}]`));
      return { kind: 'words', sentences, single: false, options };
    }
    return { kind: 'words', sentences: [stringArray(inputs, '"inputs"')], single: true, options };
  }
  if (typeof inputs === 'string') {
    if (inputs === '') bad('"inputs" is an empty string: give a text');
    return { kind: 'texts', texts: [inputs], single: true, options };
  }
  if (Array.isArray(inputs)) {
    if (inputs.length === 0) bad('"inputs" is an empty array: give at least one text');
    const texts = stringArray(inputs, '"inputs"');
    return { kind: 'texts', texts, single: false, options };
  }
  return bad(`"inputs" must be a string or an array of strings, got ${typeName(inputs)} (pre-split words need "parameters": {"is_split_into_words": true})`);
}

/**
 * Decodes a body as strict UTF-8 and parses it as JSON; either failing is a 400 that says where.
 */
export function parseJsonBody(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    return bad(`the body is not valid UTF-8 (byte ${at})`);
  }
  if (text.trim() === '') return bad('the body is empty: send a JSON object with "inputs"');
  try {
    return JSON.parse(text);
  } catch (e) {
    return bad(`the body is not valid JSON: ${(e as Error).message}`);
  }
}

/** The offset of the first byte that does not start or continue a valid UTF-8 sequence. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  const dec = new TextDecoder('utf-8', { fatal: true });
  // Binary search on prefixes would be wrong across sequences; a linear scan by sequence is simple.
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const n = b < 0x80 ? 1 : b >> 5 === 6 ? 2 : b >> 4 === 14 ? 3 : b >> 3 === 30 ? 4 : 0;
    if (n === 0 || i + n > bytes.length) return i;
    try {
      dec.decode(bytes.subarray(i, i + n));
    } catch {
      return i;
    }
    i += n;
  }
  return i;
}
