/**
 * Offsets between code points and UTF-16. The `tokenizers` library reports offsets in Unicode
 * code points (`'😀 Paris'` gives `Paris` at [2, 7], while `'😀 Paris'.slice(3, 8)` is `Paris` in
 * JavaScript), and so does the TypeScript WordPiece that mirrors it; the pipeline wants UTF-16.
 */

const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * Maps code-point offsets to UTF-16 offsets into `text`. Returns `null` (no work) when the text
 * has no characters outside the BMP.
 */
export function codePointToUtf16(text: string): ((cp: number) => number) | null {
  if (!SURROGATE.test(text)) return null;
  const map: number[] = [];
  let u = 0;
  for (const ch of text) {
    map.push(u);
    u += ch.length;
  }
  map.push(u);
  return (cp) => map[Math.min(cp, map.length - 1)]!;
}

/** Converts `[start, end)` code-point offsets into UTF-16 code-unit offsets of `text`, in place. */
export function utf16Offsets(text: string, offsets: [number, number][]): [number, number][] {
  const conv = codePointToUtf16(text);
  if (conv) for (const o of offsets) { o[0] = conv(o[0]); o[1] = conv(o[1]); }
  return offsets;
}
