/**
 * Default-mode entity extraction: seqeval's `get_entities` (conlleval-compatible chunking).
 *
 * Every tag is split into a one-character prefix and a type *without* validation: a tag that
 * does not start with `B-/I-/E-/S-` only triggers a warning, so `NOUN` becomes prefix `N`,
 * type `OUN` (seqeval#75). Chunk boundaries follow `end_of_chunk` / `start_of_chunk`.
 */
import { TokentagError } from '../errors.ts';
import { EntitySpans, TypeInterner } from './spans.ts';
import { firstCodePoint, lastCodePoint } from './pystr.ts';
import type { Sequences, WarningSink } from './types.ts';

// Prefix codes: only these characters are ever compared by the chunking rules.
const O = 0, B = 1, I = 2, E = 3, S = 4, DOT = 5, OTHER = 6;
const PREFIX_CODES: Record<string, number> = { O, B, I, E, S, '.': DOT };

interface ParsedTag {
  readonly prefix: number;
  readonly typeId: number;
}

const PLAIN = new Set(['O', 'B', 'I', 'E', 'S']);

/** Parses tags the way `get_entities` does, once per distinct tag string. */
export class ConllTagParser {
  private readonly cache = new Map<string, ParsedTag>();
  readonly outside: ParsedTag;

  constructor(
    readonly interner: TypeInterner,
    private readonly suffix: boolean,
    private readonly warn: WarningSink,
  ) {
    this.outside = this.parse('O');
  }

  /** `parse` with the position for error messages; the cache hit is the common, fast path. */
  parseAt(chunk: string, sentence: number, token: number): ParsedTag {
    const parsed = this.cache.get(chunk);
    if (parsed !== undefined) return parsed;
    try {
      return this.parse(chunk);
    } catch (e) {
      if (e instanceof TokentagError) throw new TokentagError(`sentence ${sentence}, token ${token}: ${e.message}`);
      throw e;
    }
  }

  parse(chunk: string): ParsedTag {
    let parsed = this.cache.get(chunk);
    if (parsed) return parsed;
    if (chunk === '') throw new TokentagError('empty tag: every token needs a tag such as O or B-PER');
    if (!PLAIN.has(chunk)) {
      const ok = this.suffix ? /-[BIES]$/.test(chunk) : /^[BIES]-/.test(chunk);
      if (!ok) this.warn({ kind: 'not-ne-tag', message: `${chunk} seems not to be NE tag.` });
    }
    let tag: string;
    let type: string;
    if (this.suffix) {
      // tag = chunk[-1]; type = chunk[:-1].rsplit('-', 1)[0] or '_'
      tag = lastCodePoint(chunk);
      const rest = chunk.slice(0, chunk.length - tag.length);
      const dash = rest.lastIndexOf('-');
      type = (dash < 0 ? rest : rest.slice(0, dash)) || '_';
    } else {
      // tag = chunk[0]; type = chunk[1:].split('-', 1)[-1] or '_'
      tag = firstCodePoint(chunk);
      const rest = chunk.slice(tag.length);
      const dash = rest.indexOf('-');
      type = (dash < 0 ? rest : rest.slice(dash + 1)) || '_';
    }
    parsed = { prefix: PREFIX_CODES[tag] ?? OTHER, typeId: this.interner.id(type) };
    this.cache.set(chunk, parsed);
    return parsed;
  }
}

/** `end_of_chunk(prev_tag, tag, prev_type, type_)`. */
function endOfChunk(prev: number, tag: number, sameType: boolean): boolean {
  if (prev === E || prev === S) return true;
  if ((prev === B || prev === I) && (tag === B || tag === S || tag === O)) return true;
  return prev !== O && prev !== DOT && !sameType;
}

/** `start_of_chunk(prev_tag, tag, prev_type, type_)`. */
function startOfChunk(prev: number, tag: number, sameType: boolean): boolean {
  if (tag === B || tag === S) return true;
  if ((prev === E || prev === S || prev === O) && (tag === E || tag === I)) return true;
  return tag !== O && tag !== DOT && !sameType;
}

/** Called for each chunk with inclusive `end`, positions in the flattened sequence. */
export type ChunkSink = (typeId: number, start: number, end: number) => void;

/**
 * Runs `get_entities` over sentences flattened with an 'O' after each one, plus the final 'O'
 * sentinel. `nested` = false treats `sentences[0]` as a flat sequence (seqeval's behaviour for a
 * list of strings): no 'O' is inserted.
 */
export function walkChunks(sentences: Sequences, parser: ConllTagParser, nested: boolean, sink: ChunkSink): void {
  // prev_type starts as '' (not '_'), which no parsed tag can have: -1 stands for it.
  let prevTag = O;
  let prevType = -1;
  let begin = 0;
  let i = 0;
  const outside = parser.outside;
  // Hot loop (one pass per token): kept free of closures and allocations. Runs of one tag
  // (mostly 'O') skip the map lookup.
  let lastChunk = 'O';
  let lastParsed = outside;
  for (let k = 0; k < sentences.length; k++) {
    const sentence = sentences[k];
    const n = sentence.length;
    for (let j = 0; j <= n; j++) {
      let t: ParsedTag;
      if (j < n) {
        const chunk = sentence[j];
        if (chunk !== lastChunk) {
          lastChunk = chunk;
          lastParsed = parser.parseAt(chunk, k, j);
        }
        t = lastParsed;
      } else if (nested) t = outside; // the 'O' seqeval appends to every sentence
      else break;
      const same = prevType === t.typeId;
      if (endOfChunk(prevTag, t.prefix, same)) sink(prevType, begin, i - 1);
      if (startOfChunk(prevTag, t.prefix, same)) begin = i;
      prevTag = t.prefix;
      prevType = t.typeId;
      i++;
    }
  }
  // The final 'O' of `seq + ['O']`.
  if (endOfChunk(prevTag, O, prevType === outside.typeId)) sink(prevType, begin, i - 1);
}

/** Default-mode entities of a whole corpus, ready for counting. */
export function conllEntitySpans(sentences: Sequences, parser: ConllTagParser): EntitySpans {
  const spans = new EntitySpans();
  walkChunks(sentences, parser, true, (t, s, e) => spans.add(t, s, e));
  return spans;
}

/** A default-mode chunk as seqeval's `get_entities` returns it: `end` is inclusive. */
export interface Chunk {
  readonly type: string;
  readonly start: number;
  readonly end: number;
}

/**
 * `get_entities(seq, suffix)`: chunks of a flat tag sequence, or of sentences (which are
 * flattened with an 'O' after each one, so offsets count those separators).
 */
export function getEntities(
  seq: readonly string[] | Sequences,
  options: { readonly suffix?: boolean; readonly onWarning?: WarningSink } = {},
): Chunk[] {
  const seen = new Set<string>();
  const warn: WarningSink = (w) => {
    if (seen.has(w.message)) return;
    seen.add(w.message);
    options.onWarning?.(w);
  };
  const interner = new TypeInterner();
  const parser = new ConllTagParser(interner, options.suffix ?? false, warn);
  const nested = (seq as readonly unknown[]).some((s) => Array.isArray(s));
  const sentences = (nested ? seq : [seq]) as Sequences;
  const chunks: Chunk[] = [];
  walkChunks(sentences, parser, nested, (t, start, end) => chunks.push({ type: interner.names[t], start, end }));
  return chunks;
}
