/**
 * Python `str` semantics that differ from JavaScript's: strings are sequences of code points
 * (not UTF-16 units), and `sorted()` orders them by code point.
 */

/** `s[0]` in Python: the first code point ('' for ''). */
export function firstCodePoint(s: string): string {
  const c = s.codePointAt(0);
  return c === undefined ? '' : String.fromCodePoint(c);
}

/** `s[-1]` in Python: the last code point ('' for ''). */
export function lastCodePoint(s: string): string {
  if (s.length === 0) return '';
  const low = s.charCodeAt(s.length - 1);
  if (low >= 0xdc00 && low <= 0xdfff && s.length >= 2) {
    const high = s.charCodeAt(s.length - 2);
    if (high >= 0xd800 && high <= 0xdbff) return s.slice(-2);
  }
  return s.slice(-1);
}

/** `len(s)` in Python. */
export function pyLen(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Comparator matching Python's `sorted()` on str (code point order). */
export function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done) return y.done ? 0 : -1;
    if (y.done) return 1;
    const d = x.value.codePointAt(0)! - y.value.codePointAt(0)!;
    if (d !== 0) return d;
  }
}

/** `s.strip(ch)` for a single-character `ch`. */
export function stripChar(s: string, ch: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && s[a] === ch) a++;
  while (b > a && s[b - 1] === ch) b--;
  return s.slice(a, b);
}
