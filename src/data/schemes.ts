/**
 * Tag-scheme conversion. Corpora ship in every scheme (original CoNLL-2003 is IOB1, the Hub's
 * copy is IOB2, many NER tools write IOBES or BILOU); converting decodes each sequence into
 * entities and encodes them again, so every pair of schemes goes through the same two steps.
 */
import { TokentagError } from '../errors.ts';
import { Dataset } from './dataset.ts';
import { ClassLabel, sequence, type Features } from './features.ts';
import { tagIds, type TokenRow } from './row.ts';

export type TagScheme = 'IOB1' | 'IOB2' | 'IOBES' | 'BILOU';

/** The prefixes each scheme uses, in the order new label lists list them. */
const PREFIXES: Readonly<Record<TagScheme, readonly string[]>> = {
  IOB1: ['B', 'I'],
  IOB2: ['B', 'I'],
  IOBES: ['B', 'I', 'E', 'S'],
  BILOU: ['B', 'I', 'L', 'U'],
};

interface Tag {
  readonly prefix: string; // '' for O
  readonly type: string;
}

function parseTag(tag: string, scheme: TagScheme): Tag {
  if (tag === 'O') return { prefix: '', type: '' };
  if (tag.length > 2 && tag[1] === '-' && PREFIXES[scheme].includes(tag[0])) return { prefix: tag[0], type: tag.slice(2) };
  throw new TokentagError(`'${tag}' is not an ${scheme} tag (expected O or ${PREFIXES[scheme].map((p) => `${p}-TYPE`).join(', ')})`);
}

/**
 * Per token: entity type ('' outside) and whether an entity begins there. Lenient like
 * seqeval's default mode: an I- that cannot continue the previous token's entity starts one.
 */
function decode(tags: readonly string[], scheme: TagScheme): { types: string[]; begins: boolean[] } {
  const types: string[] = [];
  const begins: boolean[] = [];
  let prevType = '';
  let prevClosed = true; // the previous token ended an entity explicitly (E/S/L/U) or was O
  for (const tag of tags) {
    const { prefix, type } = parseTag(tag, scheme);
    types.push(type);
    if (type === '') {
      begins.push(false);
      prevClosed = true;
    } else {
      const explicitStart = prefix === 'B' || prefix === 'S' || prefix === 'U';
      begins.push(explicitStart || prevClosed || type !== prevType);
      prevClosed = prefix === 'E' || prefix === 'S' || prefix === 'L' || prefix === 'U';
    }
    prevType = type;
  }
  return { types, begins };
}

function encode(types: readonly string[], begins: readonly boolean[], scheme: TagScheme): string[] {
  const n = types.length;
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const type = types[i];
    if (type === '') {
      out[i] = 'O';
      continue;
    }
    const begin = begins[i];
    const end = i + 1 === n || begins[i + 1] || types[i + 1] !== type;
    let prefix: string;
    switch (scheme) {
      case 'IOB1':
        // B- only where an entity directly follows one of the same type.
        prefix = begin && i > 0 && types[i - 1] === type ? 'B' : 'I';
        break;
      case 'IOB2':
        prefix = begin ? 'B' : 'I';
        break;
      case 'IOBES':
        prefix = begin ? (end ? 'S' : 'B') : end ? 'E' : 'I';
        break;
      case 'BILOU':
        prefix = begin ? (end ? 'U' : 'B') : end ? 'L' : 'I';
        break;
    }
    out[i] = `${prefix}-${type}`;
  }
  return out;
}

/** Re-tags one sentence from one scheme to another; the entities stay the same. */
export function convertTags(tags: readonly string[], from: TagScheme, to: TagScheme): string[] {
  const { types, begins } = decode(tags, from);
  return encode(types, begins, to);
}

export const iob1ToIob2 = (tags: readonly string[]): string[] => convertTags(tags, 'IOB1', 'IOB2');
export const iob2ToIob1 = (tags: readonly string[]): string[] => convertTags(tags, 'IOB2', 'IOB1');
export const iob2ToIobes = (tags: readonly string[]): string[] => convertTags(tags, 'IOB2', 'IOBES');
export const iobesToIob2 = (tags: readonly string[]): string[] => convertTags(tags, 'IOBES', 'IOB2');
export const iob2ToBilou = (tags: readonly string[]): string[] => convertTags(tags, 'IOB2', 'BILOU');
export const bilouToIob2 = (tags: readonly string[]): string[] => convertTags(tags, 'BILOU', 'IOB2');

/**
 * The label list of a column after conversion. IOB1 ↔ IOB2 keep the list (and so every id, e.g.
 * the Hub's conll2003 order); otherwise 'O' first, then per entity type in the order the old
 * list first mentions it, that scheme's prefixes in order (B, I, E, S or B, I, L, U).
 */
export function convertLabelNames(names: readonly string[], from: TagScheme, to: TagScheme): string[] {
  const entityTypes: string[] = [];
  for (const name of names) {
    const { type } = parseTag(name, from);
    if (type !== '' && !entityTypes.includes(type)) entityTypes.push(type);
  }
  const target = new Set(['O', ...entityTypes.flatMap((t) => PREFIXES[to].map((p) => `${p}-${t}`))]);
  const sameSet = names.length === target.size && names.every((n) => target.has(n));
  if (sameSet) return [...names];
  return ['O', ...entityTypes.flatMap((t) => PREFIXES[to].map((p) => `${p}-${t}`))];
}

/** Converts one tag column of a dataset, label list included. */
export function convertDatasetScheme<Row extends TokenRow>(
  dataset: Dataset<Row>,
  column: string,
  from: TagScheme,
  to: TagScheme,
): Dataset<Row> {
  const old = dataset.labels(column);
  const labels = new ClassLabel(convertLabelNames(old.names, from, to));
  const features: Features = { ...dataset.features, [column]: sequence(labels) };
  return dataset.map(
    (row) => {
      const ids = tagIds(row, column);
      const tags = convertTags(ids.map((id) => old.int2str(id)), from, to);
      return { ...row, [column]: tags.map((t) => labels.str2int(t)) };
    },
    { features },
  );
}
