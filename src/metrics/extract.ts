/**
 * From tag sequences to per-type entity counts, in either mode. This is the one place that
 * decides default vs strict extraction; everything after it works on counts.
 */
import { ConllTagParser, conllEntitySpans } from './conlleval.ts';
import { strictEntitySpans } from './scheme.ts';
import { countEntities, TypeInterner, type EntityCounts } from './spans.ts';
import type { Scheme, Sequences, WarningSink } from './types.ts';

export interface ExtractOptions {
  /** Strict extraction with this scheme; default (conlleval) mode when undefined. */
  readonly strictScheme: Scheme | undefined;
  readonly suffix: boolean;
  readonly warn: WarningSink;
}

export function extractCounts(yTrue: Sequences, yPred: Sequences, o: ExtractOptions): EntityCounts {
  const interner = new TypeInterner();
  if (o.strictScheme) {
    const gold = strictEntitySpans(yTrue, o.strictScheme, interner, o.suffix);
    const pred = strictEntitySpans(yPred, o.strictScheme, interner, o.suffix);
    return countEntities(gold, pred, interner);
  }
  const parser = new ConllTagParser(interner, o.suffix, o.warn);
  return countEntities(conllEntitySpans(yTrue, parser), conllEntitySpans(yPred, parser), interner);
}

/** Wraps a user callback so each distinct message is delivered once per call, like Python's warnings registry. */
export function onceSink(sink: WarningSink | undefined): WarningSink {
  const seen = new Set<string>();
  return (w) => {
    if (!sink || seen.has(w.message)) return;
    seen.add(w.message);
    sink(w);
  };
}
