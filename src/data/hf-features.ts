/**
 * Hugging Face `datasets` features as they are written down: the JSON of `Features.to_dict()`
 * (in a Parquet file's `huggingface` metadata) and the YAML `dataset_info.features` of a dataset
 * card. Both name the labels of a tag column in their id order — the only trustworthy source of
 * label ids (never the order labels happen to appear in the data).
 *
 * Either format, from datasets 2.x (`Sequence`, `sequence:`) and 4.x (`List`, `list:`).
 */
import { TokentagError } from '../errors.ts';
import type { ResolvedLabels } from './labels.ts';

/** What a column holds, as far as token classification cares. */
export type ColumnKind =
  | { readonly kind: 'string' }
  | { readonly kind: 'int' }
  | { readonly kind: 'string-list' }
  | { readonly kind: 'int-list' }
  | { readonly kind: 'label-list'; readonly names: readonly string[] }
  | { readonly kind: 'other' };

export type DeclaredColumns = Readonly<Record<string, ColumnKind>>;

const INT_DTYPES = new Set(['int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64']);
const STRING_DTYPES = new Set(['string', 'large_string']);

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** ClassLabel names from `names: [..]` (JSON) or `names: {'0': O, '1': B-PER}` (YAML). */
function labelNames(spec: Json, where: string): string[] {
  const names = spec.names;
  if (Array.isArray(names)) return names.map(String);
  if (isObject(names)) {
    const out: string[] = [];
    for (const [k, v] of Object.entries(names)) {
      const i = Number(k);
      if (!Number.isInteger(i) || i < 0) throw new TokentagError(`${where}: class label id '${k}' is not a non-negative integer`);
      out[i] = String(v);
    }
    for (let i = 0; i < out.length; i++) if (out[i] === undefined) throw new TokentagError(`${where}: class label ${i} has no name`);
    return out;
  }
  throw new TokentagError(`${where}: a ClassLabel without names`);
}

/** A scalar feature: `{_type: Value, dtype}` / `{_type: ClassLabel}` (JSON), `string` / `{class_label: …}` (YAML). */
function scalarKind(spec: unknown, where: string): 'string' | 'int' | { names: string[] } | 'other' {
  if (typeof spec === 'string') return STRING_DTYPES.has(spec) ? 'string' : INT_DTYPES.has(spec) ? 'int' : 'other';
  if (!isObject(spec)) return 'other';
  if (spec._type === 'ClassLabel') return { names: labelNames(spec, where) };
  if (isObject(spec.class_label)) return { names: labelNames(spec.class_label, where) };
  if (spec._type === 'Value' || typeof spec.dtype === 'string') return scalarKind(spec.dtype, where);
  return 'other';
}

function kindOf(spec: unknown, where: string): ColumnKind {
  // JSON: {_type: Sequence|List|LargeList, feature}; YAML: {sequence: …} or {list: …}.
  let inner: unknown;
  if (isObject(spec) && (spec._type === 'Sequence' || spec._type === 'List' || spec._type === 'LargeList')) inner = spec.feature;
  else if (isObject(spec) && ('sequence' in spec || 'list' in spec)) inner = spec.sequence ?? spec.list;
  else {
    const k = scalarKind(spec, where);
    return k === 'string' ? { kind: 'string' } : k === 'int' ? { kind: 'int' } : { kind: 'other' };
  }
  const k = scalarKind(inner, where);
  if (k === 'string') return { kind: 'string-list' };
  if (k === 'int') return { kind: 'int-list' };
  if (k === 'other') return { kind: 'other' };
  return { kind: 'label-list', names: k.names };
}

/** Columns of a `Features.to_dict()` JSON object (`{"tokens": {...}, "ner_tags": {...}}`). */
export function columnsFromFeaturesJson(features: unknown, where: string): DeclaredColumns {
  if (!isObject(features)) throw new TokentagError(`${where}: features must be an object of column → feature`);
  const out: Record<string, ColumnKind> = {};
  for (const [name, spec] of Object.entries(features)) out[name] = kindOf(spec, `${where}: ${name}`);
  return out;
}

/** Columns of a card's `dataset_info.features` YAML list (`- name: tokens\n  sequence: string`). */
export function columnsFromCardFeatures(features: unknown, where: string): DeclaredColumns {
  if (!Array.isArray(features)) throw new TokentagError(`${where}: dataset_info.features must be a list`);
  const out: Record<string, ColumnKind> = {};
  for (const f of features) {
    if (!isObject(f) || typeof f.name !== 'string') continue;
    const { name, ...spec } = f;
    out[name] = kindOf(spec, `${where}: ${name}`);
  }
  return out;
}

/** The label names of every tag column (`label-list`) of declared columns. */
export function declaredLabels(columns: DeclaredColumns): ResolvedLabels {
  const out: Record<string, readonly string[]> = {};
  for (const [name, k] of Object.entries(columns)) if (k.kind === 'label-list') out[name] = k.names;
  return out;
}

/** The features in a Parquet file's `huggingface` metadata value, if it has them. */
export function columnsFromParquetMetadata(value: string | undefined, where: string): DeclaredColumns | undefined {
  if (value === undefined) return undefined;
  let meta: unknown;
  try {
    meta = JSON.parse(value);
  } catch {
    throw new TokentagError(`${where}: the 'huggingface' metadata is not JSON`);
  }
  const features = isObject(meta) && isObject(meta.info) ? meta.info.features : undefined;
  return features === undefined ? undefined : columnsFromFeaturesJson(features, where);
}
