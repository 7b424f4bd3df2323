/**
 * Entities as sorted span lists per type, the representation both extraction modes produce
 * and every metric counts from. Positions are offsets in the flattened corpus (seqeval's
 * default mode flattens with an 'O' after each sentence; strict mode uses the same offsets so
 * that (sentence, start, end) stays unique), so a span is just two numbers.
 */
import { compareCodePoints } from './pystr.ts';

/** Interns type names to small integers so the hot loops compare numbers, not strings. */
export class TypeInterner {
  private readonly ids = new Map<string, number>();
  readonly names: string[] = [];

  id(name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.ids.set(name, id);
      this.names.push(name);
    }
    return id;
  }
}

/** Spans of one type, in increasing (start, end) order; `end` is whatever the extractor uses. */
export interface SpanList {
  readonly starts: number[];
  readonly ends: number[];
}

/** Entities of one side (gold or predicted), keyed by interned type id. */
export class EntitySpans {
  /** Indexed by type id (ids are small and dense); holes for types this side never saw. */
  readonly byType: (SpanList | undefined)[] = [];

  add(typeId: number, start: number, end: number): void {
    let list = this.byType[typeId];
    if (list === undefined) {
      list = { starts: [], ends: [] };
      this.byType[typeId] = list;
    }
    list.starts.push(start);
    list.ends.push(end);
  }

  typeIds(): number[] {
    const ids: number[] = [];
    this.byType.forEach((list, id) => {
      if (list !== undefined) ids.push(id);
    });
    return ids;
  }
}

/** Sufficient statistics per type, types in Python `sorted()` order. */
export interface EntityCounts {
  readonly types: readonly string[];
  readonly tp: readonly number[];
  readonly pred: readonly number[];
  readonly true: readonly number[];
}

/**
 * |a ∩ b| for two lists sorted by (start, end). Both extractors emit spans in that order
 * (default mode: ends strictly increase and starts never decrease; strict mode: starts
 * strictly increase), so a merge replaces seqeval's set intersection.
 */
function intersectionSize(a: SpanList, b: SpanList): number {
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < a.starts.length && j < b.starts.length) {
    const d = a.starts[i] - b.starts[j] || a.ends[i] - b.ends[j];
    if (d === 0) {
      n++;
      i++;
      j++;
    } else if (d < 0) i++;
    else j++;
  }
  return n;
}

/** seqeval's `extract_tp_actual_correct`: per-type TP, predicted and gold counts. */
export function countEntities(gold: EntitySpans, pred: EntitySpans, interner: TypeInterner): EntityCounts {
  const ids = new Set<number>([...gold.typeIds(), ...pred.typeIds()]);
  const order = [...ids].sort((x, y) => compareCodePoints(interner.names[x], interner.names[y]));
  const empty: SpanList = { starts: [], ends: [] };
  const types: string[] = [];
  const tp: number[] = [];
  const predCounts: number[] = [];
  const trueCounts: number[] = [];
  for (const id of order) {
    const g = gold.byType[id] ?? empty;
    const p = pred.byType[id] ?? empty;
    types.push(interner.names[id]);
    tp.push(intersectionSize(g, p));
    predCounts.push(p.starts.length);
    trueCounts.push(g.starts.length);
  }
  return { types, tp, pred: predCounts, true: trueCounts };
}
