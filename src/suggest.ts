/** "Did you mean …?": the known name closest to a mistyped one, shared by the CLI and the library. */
import { distance } from 'fastest-levenshtein';

/**
 * The known name closest to `name`, if it is a likely slip: the one known name that `name`
 * begins (`aggregation` → `aggregationStrategy`), else the nearest within an edit distance of
 * max(2, ⌊length / 4⌋).
 */
export function closestName(name: string, known: Iterable<string>): string | undefined {
  const names = [...known];
  const extended = name.length >= 4 ? names.filter((k) => k.startsWith(name) && k !== name) : [];
  if (extended.length === 1) return extended[0];
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of names) {
    const d = distance(name, k);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(name.length / 4)) ? best : undefined;
}
