/**
 * Decoders of the `tokenizers` library reimplemented in TypeScript, for the pipeline's `word`
 * fields: one native call per entity costs more than the rest of its post-processing together.
 * Each must agree with the library's own decoder exactly (test/tokenize/decode.test.ts checks
 * that on random token sequences); tokenizers with any other decoder keep the library's.
 */
import type { TokenizerJson } from './tokenizer.ts';

export type TokensDecoder = (tokens: readonly string[]) => string;

/** The contractions and punctuation the WordPiece decoder's `cleanup` glues, in its order. */
const CLEANUP: readonly (readonly [string, string])[] = [
  [' .', '.'],
  [' ?', '?'],
  [' !', '!'],
  [' ,', ','],
  [" ' ", "'"],
  [" n't", "n't"],
  [" 'm", "'m"],
  [' do not', " don't"],
  [" 's", "'s"],
  [" 've", "'ve"],
  [" 're", "'re"],
];

function cleanup(s: string): string {
  for (const [from, to] of CLEANUP) if (s.includes(from)) s = s.replaceAll(from, to);
  return s;
}

/**
 * The WordPiece decoder: every token after the first loses its continuation prefix (once, at
 * the start) or gains a leading space, and with `cleanup` each token so made is tidied on its
 * own (the library cleans token by token, not the joined string).
 */
export function wordPieceDecoder(prefix: string, withCleanup: boolean): TokensDecoder {
  return (tokens) => {
    let out = '';
    for (let i = 0; i < tokens.length; i++) {
      let t = tokens[i]!;
      if (i > 0) t = t.startsWith(prefix) ? t.slice(prefix.length) : ` ${t}`;
      out += withCleanup ? cleanup(t) : t;
    }
    return out;
  };
}

/** A TypeScript decoder for the tokenizer's decoder, when there is one; else `undefined`. */
export function fastDecoder(json: TokenizerJson): TokensDecoder | undefined {
  const d = json.decoder as { type?: string; prefix?: unknown; cleanup?: unknown } | null | undefined;
  if (d?.type === 'WordPiece' && typeof d.prefix === 'string' && typeof d.cleanup === 'boolean') return wordPieceDecoder(d.prefix, d.cleanup);
  return undefined;
}
