/**
 * Strict-mode entity extraction: seqeval's `seqeval.scheme` (`Token` subclasses, `Tokens`,
 * `Entities`, `auto_detect`). An entity counts only if it opens with a start pattern, continues
 * with inside patterns and is closed by an end pattern of its scheme; anything else is dropped
 * (an IOB2 `I-` without `B-` is no entity; IOBES `B-PER I-PER S-PER` yields only the `S`).
 */
import { TokentagError } from '../errors.ts';
import { EntitySpans, TypeInterner } from './spans.ts';
import { firstCodePoint, lastCodePoint, stripChar } from './pystr.ts';
import type { Scheme, Sequences } from './types.ts';

/** `seqeval.scheme.Prefix` members, in definition order. */
const PREFIXES = ['I', 'O', 'B', 'E', 'S', 'U', 'L'] as const;
const PREFIX_INDEX = new Map<string, number>(PREFIXES.map((p, i) => [p, i]));
const ANY = '*';

/** (previous prefixes, current prefixes, type condition); '*' = any prefix. */
type Pattern = readonly [prev: string, cur: string, tag: 'same' | 'diff' | 'any'];

interface SchemeSpec {
  readonly allowed: string;
  readonly start: readonly Pattern[];
  readonly inside: readonly Pattern[];
  readonly end: readonly Pattern[];
}

// The pattern sets of seqeval 1.2.2's scheme classes (IOE1 is marked incomplete upstream).
const SPECS: Record<Scheme, SchemeSpec> = {
  IOB1: {
    allowed: 'IOB',
    start: [['O', 'I', 'any'], ['I', 'I', 'diff'], ['B', 'I', 'any'], ['I', 'B', 'same'], ['B', 'B', 'same']],
    inside: [['B', 'I', 'same'], ['I', 'I', 'same']],
    end: [['I', 'I', 'diff'], ['I', 'O', 'any'], ['I', 'B', 'any'], ['B', 'O', 'any'], ['B', 'I', 'diff'], ['B', 'B', 'same']],
  },
  IOE1: {
    allowed: 'IOE',
    start: [['O', 'I', 'any'], ['I', 'I', 'diff'], ['E', 'I', 'any'], ['E', 'E', 'same']],
    inside: [['I', 'I', 'same'], ['I', 'E', 'same']],
    end: [['I', 'I', 'diff'], ['I', 'O', 'any'], ['I', 'E', 'diff'], ['E', 'I', 'same'], ['E', 'E', 'same']],
  },
  IOB2: {
    allowed: 'IOB',
    start: [[ANY, 'B', 'any']],
    inside: [['B', 'I', 'same'], ['I', 'I', 'same']],
    end: [['I', 'O', 'any'], ['I', 'I', 'diff'], ['I', 'B', 'any'], ['B', 'O', 'any'], ['B', 'I', 'diff'], ['B', 'B', 'any']],
  },
  IOE2: {
    allowed: 'IOE',
    start: [['O', 'I', 'any'], ['O', 'E', 'any'], ['E', 'I', 'any'], ['E', 'E', 'any'], ['I', 'I', 'diff'], ['I', 'E', 'diff']],
    inside: [['I', 'E', 'same'], ['I', 'I', 'same']],
    end: [['E', ANY, 'any']],
  },
  IOBES: {
    allowed: 'IOBES',
    start: [[ANY, 'B', 'any'], [ANY, 'S', 'any']],
    inside: [['B', 'I', 'same'], ['B', 'E', 'same'], ['I', 'I', 'same'], ['I', 'E', 'same']],
    end: [['S', ANY, 'any'], ['E', ANY, 'any']],
  },
  BILOU: {
    allowed: 'BILOU',
    start: [[ANY, 'B', 'any'], [ANY, 'U', 'any']],
    inside: [['B', 'I', 'same'], ['B', 'L', 'same'], ['I', 'I', 'same'], ['I', 'L', 'same']],
    end: [['U', ANY, 'any'], ['L', ANY, 'any']],
  },
};

const NP = PREFIXES.length;
const OUTSIDE_PREFIX = PREFIX_INDEX.get('O')!;

/** Pattern set as a lookup table indexed by (prev prefix, current prefix, same type). */
function table(patterns: readonly Pattern[]): Uint8Array {
  const t = new Uint8Array(NP * NP * 2);
  const expand = (p: string): number[] => (p === ANY ? PREFIXES.map((_, i) => i) : [PREFIX_INDEX.get(p)!]);
  for (const [prev, cur, cond] of patterns) {
    for (const a of expand(prev)) {
      for (const b of expand(cur)) {
        if (cond !== 'diff') t[(a * NP + b) * 2 + 1] = 1;
        if (cond !== 'same') t[(a * NP + b) * 2] = 1;
      }
    }
  }
  return t;
}

interface CompiledScheme {
  readonly name: Scheme;
  readonly allowed: Uint8Array;
  readonly allowedText: string;
  readonly start: Uint8Array;
  readonly inside: Uint8Array;
  readonly end: Uint8Array;
}

function compile(name: Scheme): CompiledScheme {
  const spec = SPECS[name];
  const allowed = new Uint8Array(NP);
  for (const ch of spec.allowed) allowed[PREFIX_INDEX.get(ch)!] = 1;
  return {
    name,
    allowed,
    // str(Flag) in Python 3.11+ lists members in definition order: 'I|O|B'.
    allowedText: PREFIXES.filter((p) => spec.allowed.includes(p)).join('|'),
    start: table(spec.start),
    inside: table(spec.inside),
    end: table(spec.end),
  };
}

const COMPILED = new Map<Scheme, CompiledScheme>();
function compiled(name: Scheme): CompiledScheme {
  let c = COMPILED.get(name);
  if (!c) COMPILED.set(name, (c = compile(name)));
  return c;
}

interface StrictToken {
  readonly prefix: number;
  readonly typeId: number;
}

/** `Token(token, suffix)`: prefix is one character (first or last), tag the rest stripped of '-'. */
class StrictTokenParser {
  private readonly cache = new Map<string, StrictToken>();
  readonly outside: StrictToken;

  constructor(
    readonly interner: TypeInterner,
    private readonly suffix: boolean,
  ) {
    this.outside = this.parse('O');
  }

  /** `parse` with the position for error messages; the cache hit is the common, fast path. */
  parseAt(token: string, sentence: number, index: number): StrictToken {
    const t = this.cache.get(token);
    if (t !== undefined) return t;
    try {
      return this.parse(token);
    } catch (e) {
      if (e instanceof TokentagError) throw new TokentagError(`${e.message} (sentence ${sentence}, token ${index})`);
      throw e;
    }
  }

  parse(token: string): StrictToken {
    let t = this.cache.get(token);
    if (t) return t;
    const p = this.suffix ? lastCodePoint(token) : firstCodePoint(token);
    const prefix = PREFIX_INDEX.get(p);
    if (prefix === undefined) {
      // seqeval raises KeyError here (the enum lookup `Prefixes[token[0]]` fails).
      throw new TokentagError(
        token === ''
          ? 'Invalid token is found: empty tag.'
          : `Invalid token is found: ${token}. Its prefix '${p}' is not one of ${PREFIXES.join(', ')}.`,
      );
    }
    const rest = this.suffix ? token.slice(0, token.length - p.length) : token.slice(p.length);
    t = { prefix, typeId: this.interner.id(stripChar(rest, '-') || '_') };
    this.cache.set(token, t);
    return t;
  }
}

/** One strict-mode entity: `end` is exclusive, as in seqeval's `Entity`. */
export interface StrictEntity {
  readonly sentence: number;
  readonly type: string;
  readonly start: number;
  readonly end: number;
}

type EntitySink = (sentence: number, typeId: number, start: number, end: number) => void;

/** Reusable per-sentence buffers of parsed prefixes and type ids (avoids an allocation per sentence). */
class SentenceBuffer {
  prefix = new Int32Array(64);
  type = new Int32Array(64);
  ensure(n: number): void {
    if (n <= this.prefix.length) return;
    const size = Math.max(n, this.prefix.length * 2);
    this.prefix = new Int32Array(size);
    this.type = new Int32Array(size);
  }
}

/** `Tokens(seq, scheme).entities` for one sentence. */
function sentenceEntities(
  tags: readonly string[],
  sentence: number,
  scheme: CompiledScheme,
  parser: StrictTokenParser,
  buf: SentenceBuffer,
  sink: EntitySink,
): void {
  const n = tags.length;
  buf.ensure(n + 1);
  const prefix = buf.prefix;
  const type = buf.type;
  let last = 'O';
  let t = parser.outside;
  for (let j = 0; j < n; j++) {
    if (tags[j] !== last) {
      last = tags[j];
      t = parser.parseAt(last, sentence, j);
    }
    prefix[j] = t.prefix;
    type[j] = t.typeId;
  }
  // The sentinel of `extended_tokens`.
  prefix[n] = parser.outside.prefix;
  type[n] = parser.outside.typeId;
  const { start, inside, end: endTable, allowed } = scheme;
  // Pattern lookup for (previous token a, current token b): see `table`.
  const at = (a: number, b: number): number => (prefix[a] * NP + prefix[b]) * 2 + (type[a] === type[b] ? 1 : 0);

  let prevIndex = -1; // -1: the outside token seqeval starts with
  let i = 0;
  while (i <= n) {
    if (!allowed[prefix[i]]) {
      throw new TokentagError(
        `Invalid token is found: ${tags[i]}. Allowed prefixes are: ${scheme.allowedText}. ` +
          `(scheme ${scheme.name}, sentence ${sentence}, token ${i})`,
      );
    }
    const isStart =
      prevIndex < 0
        ? start[(OUTSIDE_PREFIX * NP + prefix[i]) * 2 + (type[i] === parser.outside.typeId ? 1 : 0)]
        : start[at(prevIndex, i)];
    if (isStart) {
      // _forward: walk while tokens are inside; the sentinel 'O' is never inside.
      let end = i + 1;
      while (end <= n && inside[at(end - 1, end)]) end++;
      if (endTable[at(end - 1, end)]) sink(sentence, type[i], i, end);
      i = end;
    } else {
      i++;
    }
    prevIndex = i - 1;
  }
}

/** Walks `Entities(sequences, scheme, suffix)` sentence by sentence. */
function walkStrict(sequences: Sequences, scheme: Scheme, parser: StrictTokenParser, sink: EntitySink): void {
  const c = compiled(scheme);
  const buf = new SentenceBuffer();
  for (let k = 0; k < sequences.length; k++) sentenceEntities(sequences[k], k, c, parser, buf, sink);
}

/** Strict-mode entities of a corpus with corpus-wide offsets (sentence k starts after k separators). */
export function strictEntitySpans(sequences: Sequences, scheme: Scheme, interner: TypeInterner, suffix: boolean): EntitySpans {
  const parser = new StrictTokenParser(interner, suffix);
  const offsets: number[] = [];
  let offset = 0;
  for (const s of sequences) {
    offsets.push(offset);
    offset += s.length + 1;
  }
  const spans = new EntitySpans();
  walkStrict(sequences, scheme, parser, (k, t, s, e) => spans.add(t, offsets[k] + s, offsets[k] + e));
  return spans;
}

/** The strict-mode entities of each sentence, in order (seqeval `Entities(...).entities`, flattened). */
export function getStrictEntities(
  sequences: Sequences,
  options: { readonly scheme: Scheme; readonly suffix?: boolean },
): StrictEntity[] {
  const interner = new TypeInterner();
  const parser = new StrictTokenParser(interner, options.suffix ?? false);
  const out: StrictEntity[] = [];
  walkStrict(sequences, options.scheme, parser, (sentence, t, start, end) =>
    out.push({ sentence, type: interner.names[t], start, end }),
  );
  return out;
}

const IOB2_SETS = ['IOB', 'IB', 'BO', 'B'];
const IOE2_SETS = ['IOE', 'IE', 'EO', 'E'];
const IOBES_SETS = ['IOBES', 'IBES', 'IOBE', 'OBES', 'IBE', 'BES', 'OBE', 'BE', 'S'];
const BILOU_SETS = ['IOBLU', 'IBLU', 'IOBL', 'OBLU', 'IBL', 'BLU', 'OBL', 'BL', 'U'];

/** Canonical form of a set of prefix letters, for comparing sets. */
function canon(letters: Iterable<string>): string {
  return [...new Set(letters)].sort().join('');
}

/**
 * `auto_detect(y_true, suffix)`: picks IOB2, IOE2, IOBES or BILOU from the exact set of prefixes
 * used; anything else (including all-'O' data) is an error, as in seqeval.
 */
export function autoDetectScheme(sequences: Sequences, suffix = false): Scheme {
  const seen = new Set<string>();
  for (const seq of sequences) {
    for (const token of seq) {
      const p = suffix ? lastCodePoint(token) : firstCodePoint(token);
      if (!PREFIX_INDEX.has(p)) throw new TokentagError(`This scheme is not supported: ${token}`);
      seen.add(p);
    }
  }
  const key = canon(seen);
  const among = (sets: string[]): boolean => sets.some((s) => canon(s) === key);
  if (among(IOB2_SETS)) return 'IOB2';
  if (among(IOE2_SETS)) return 'IOE2';
  if (among(IOBES_SETS)) return 'IOBES';
  if (among(BILOU_SETS)) return 'BILOU';
  const shown = PREFIXES.filter((p) => seen.has(p)).join(', ');
  throw new TokentagError(
    `This scheme is not supported: {${shown}}. Automatic detection knows IOB2, IOE2, IOBES and BILOU; pass a scheme.`,
  );
}
