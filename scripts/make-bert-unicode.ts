/**
 * Writes src/tokenize/bert-unicode.ts: the character classes of the `tokenizers` library's
 * BertNormalizer and BertPreTokenizer, read off the library itself (the Node binding) one code
 * point at a time, so that the TypeScript WordPiece (src/tokenize/wordpiece.ts) treats every
 * character exactly as the Rust library does.
 *
 *   npx tsx scripts/make-bert-unicode.ts
 *
 * Why not JavaScript's own `\p{…}` classes: the library takes its categories from the
 * `unicode_categories` crate, whose tables are from an old Unicode version (U+1E95E, an Adlam
 * punctuation mark of Unicode 9, is not punctuation to it; U+0890, a format character of
 * Unicode 14, is not removed by `clean_text`), while browsers follow the newest Unicode; and
 * Rust's `char::is_whitespace` is not JavaScript's `\s` (U+0085 is, U+FEFF is not). So the
 * classes are data. The test (test/tokenize/wordpiece.test.ts) compares the tables with the
 * library on every code point again.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bertNormalizer, bertPreTokenizer } from 'tokenizers';
import { writeFileAtomic } from '../src/io/atomic.ts';

export const OUTPUT_FILE = fileURLToPath(new URL('../src/tokenize/bert-unicode.ts', import.meta.url));

const MAX = 0x10ffff;

/** Every code point but the surrogates (a lone surrogate is no character). */
function* codePoints(): Generator<number> {
  for (let cp = 0; cp <= MAX; cp++) if (cp < 0xd800 || cp > 0xdfff) yield cp;
}

/** `[first, last]` pairs covering the code points for which `test` holds. */
function ranges(test: (cp: number) => boolean): number[] {
  const out: number[] = [];
  let start = -1;
  let prev = -2;
  for (const cp of codePoints()) {
    if (!test(cp)) continue;
    if (cp === prev + 1 && start >= 0) prev = cp;
    else {
      if (start >= 0) out.push(start, prev);
      start = prev = cp;
    }
  }
  if (start >= 0) out.push(start, prev);
  return out;
}

export interface BertUnicodeTables {
  /** Removed by `clean_text` (NUL, U+FFFD, and control / format / private-use characters to the library). */
  control: number[];
  /** Turned into a space by `clean_text`. */
  cleanSpace: number[];
  /** Split on (and dropped) by the pre-tokenizer. */
  splitSpace: number[];
  /** Isolated by the pre-tokenizer. */
  punctuation: number[];
  /** Surrounded by spaces by `handle_chinese_chars`. */
  chinese: number[];
  /** Removed by `strip_accents` after NFD (non-spacing marks). */
  nonSpacingMark: number[];
  /** Code points whose NFD (in the library) differs from JavaScript's `normalize('NFD')`: cp → decomposition. */
  nfdExceptions: Record<number, string>;
  /** Code points whose lower case (in the library) differs from JavaScript's per-character `toLowerCase()`. */
  lowercaseExceptions: Record<number, string>;
}

/** Reads the tables off the binding. */
export function readTables(): BertUnicodeTables {
  const clean = bertNormalizer({ cleanText: true, handleChineseChars: false, stripAccents: false, lowercase: false });
  const chinese = bertNormalizer({ cleanText: false, handleChineseChars: true, stripAccents: false, lowercase: false });
  const strip = bertNormalizer({ cleanText: false, handleChineseChars: false, stripAccents: true, lowercase: false });
  const lower = bertNormalizer({ cleanText: false, handleChineseChars: false, stripAccents: false, lowercase: true });
  const pre = bertPreTokenizer();
  const ch = (cp: number) => String.fromCodePoint(cp);
  const cleaned = new Map<number, string>();
  for (const cp of codePoints()) cleaned.set(cp, clean.normalizeString(`a${ch(cp)}b`));
  const split = new Map<number, string[]>();
  for (const cp of codePoints()) split.set(cp, pre.preTokenizeString(`a${ch(cp)}b`).map((p) => p[0]));
  const nonSpacingMark = ranges((cp) => ch(cp).normalize('NFD') === ch(cp) && strip.normalizeString(`a${ch(cp)}`) === 'a');
  const marks = new Set<number>();
  for (let i = 0; i < nonSpacingMark.length; i += 2) for (let cp = nonSpacingMark[i]!; cp <= nonSpacingMark[i + 1]!; cp++) marks.add(cp);
  const nfdExceptions: Record<number, string> = {};
  const lowercaseExceptions: Record<number, string> = {};
  for (const cp of codePoints()) {
    const c = ch(cp);
    const js = [...c.normalize('NFD')].filter((x) => !marks.has(x.codePointAt(0)!)).join('');
    const rust = strip.normalizeString(c);
    if (rust !== js) nfdExceptions[cp] = rust;
    const low = lower.normalizeString(c);
    if (low !== c.toLowerCase()) lowercaseExceptions[cp] = low;
  }
  return {
    control: ranges((cp) => cleaned.get(cp) === 'ab'),
    cleanSpace: ranges((cp) => cleaned.get(cp) === 'a b' && cp !== 0x20),
    splitSpace: ranges((cp) => {
      const s = split.get(cp)!;
      return s.length === 2 && s[0] === 'a' && s[1] === 'b';
    }),
    punctuation: ranges((cp) => {
      const s = split.get(cp)!;
      return s.length === 3 && s[1] === ch(cp);
    }),
    chinese: ranges((cp) => chinese.normalizeString(`a${ch(cp)}b`) === `a ${ch(cp)} b`),
    nonSpacingMark,
    nfdExceptions,
    lowercaseExceptions,
  };
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

function rangeArray(name: string, doc: string, r: readonly number[]): string {
  const pairs: string[] = [];
  for (let i = 0; i < r.length; i += 2) pairs.push(`${hex(r[i]!)},${hex(r[i + 1]!)}`);
  const lines: string[] = [];
  let line = '';
  for (const p of pairs) {
    if (line.length + p.length > 96) {
      lines.push(line);
      line = '';
    }
    line += `${p}, `;
  }
  if (line) lines.push(line);
  return `/** ${doc} */\nexport const ${name}: readonly number[] = [\n${lines.map((l) => `  ${l.trimEnd()}`).join('\n')}\n];\n`;
}

function exceptionMap(name: string, doc: string, m: Record<number, string>): string {
  const entries = Object.entries(m).map(([cp, s]) => `  [${hex(Number(cp))}, ${JSON.stringify(s)}],`);
  return `/** ${doc} */\nexport const ${name}: ReadonlyMap<number, string> = new Map([\n${entries.join('\n')}\n]);\n`;
}

export function moduleText(t: BertUnicodeTables): string {
  return [
    '// Generated by scripts/make-bert-unicode.ts from the `tokenizers` library (the Node binding). Do not edit.',
    "// Character classes of its BertNormalizer and BertPreTokenizer as [first, last] code point pairs.",
    '',
    rangeArray('CONTROL', "Removed by `clean_text`.", t.control),
    rangeArray('CLEAN_SPACE', "Replaced by ' ' in `clean_text` (besides ' ' itself).", t.cleanSpace),
    rangeArray('SPLIT_SPACE', 'Whitespace the pre-tokenizer splits on and drops.', t.splitSpace),
    rangeArray('PUNCTUATION', 'Isolated by the pre-tokenizer.', t.punctuation),
    rangeArray('CHINESE', 'Surrounded by spaces by `handle_chinese_chars`.', t.chinese),
    rangeArray('NON_SPACING_MARK', 'Removed by `strip_accents` after NFD.', t.nonSpacingMark),
    exceptionMap('NFD_EXCEPTIONS', "Accent stripping whose result differs from JavaScript's NFD minus the marks above.", t.nfdExceptions),
    exceptionMap('LOWERCASE_EXCEPTIONS', "Lower case that differs from JavaScript's per-character `toLowerCase()`.", t.lowercaseExceptions),
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const text = moduleText(readTables());
  writeFileAtomic(OUTPUT_FILE, text);
  console.log(`wrote ${OUTPUT_FILE} (${text.length} characters)`);
}
