/**
 * Raw-text tokenization for the pipeline: the ASCII fast path (split here, words from the
 * tokenizer's cache) must give exactly what the Rust library gives for the whole text.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { bertWordPieceTokenizer, type FastTokenizer } from '../../src/tokenize/index.ts';
import { asciiWordSplitter, tokenizeTexts, utf16Offsets } from '../../src/pipeline/text.ts';

const VOCAB = [
  '[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]',
  'the', 'The', 'Paris', 'paris', 'New', 'new', 'York', 'york', 'is', 'in', 'a', 'city', 'un', '##believ', '##able', 'Un',
  '##s', '##ed', '##ing', 'b', '##b', 'c', '##c', '1', '##2', '2', '##3', 'x', '##x',
  '.', ',', '!', '?', '-', "'", '"', '(', ')', '[', ']', '@', '#', '$', '%', '&', '*', '+', '/', ':', ';', '<', '=', '>', '\\', '^', '_', '`', '{', '|', '}', '~',
];

async function tokenizer(lowercase: boolean): Promise<FastTokenizer> {
  return bertWordPieceTokenizer(Object.fromEntries(VOCAB.map((t, i) => [t, i])), { do_lower_case: lowercase });
}

/** What the library gives for each whole text (offsets converted to UTF-16 as the pipeline does). */
async function reference(tok: FastTokenizer, texts: string[]) {
  const encs = await tok.binding.encodeBatch(texts, { addSpecialTokens: false });
  return encs.map((e, i) => ({
    ids: e.getIds(),
    tokens: e.getTokens(),
    offsets: utf16Offsets(texts[i]!, e.getOffsets().map((o) => [o[0]!, o[1]!] as [number, number])),
  }));
}

const pieces = ['the', 'The', 'Paris', 'PARIS', 'New', 'York', 'unbelievable', 'Unbelieved', 'bbb', 'c', '12', '123', 'xyz', 'x', 'a', 'city',
  ' ', '  ', '\t', '\n', '\r\n', '.', ',', '!', '?', '-', "'", '"', '(', ')', '[', ']', '@', '#', '$', '%', '&', '*', '+', '/', ':', ';', '<', '=', '>', '\\', '^', '_', '`', '{', '|', '}', '~',
  '[MASK]', '[mask]', '[CLS]', 'é', 'Zürich', '😀', '東京', '\u0001', '\u000b', '\u007f', '\u00a0', 'x'.repeat(101)];

describe('tokenizeTexts: the ASCII fast path', () => {
  for (const lowercase of [false, true]) {
    it(`gives the library's ids, tokens and offsets (${lowercase ? 'uncased' : 'cased'}) on random texts`, async () => {
      const tok = await tokenizer(lowercase);
      assert.ok(asciiWordSplitter(tok), 'a BERT WordPiece tokenizer takes the fast path');
      await fc.assert(
        fc.asyncProperty(fc.array(fc.array(fc.constantFrom(...pieces), { maxLength: 14 }).map((p) => p.join('')), { minLength: 1, maxLength: 6 }), async (texts) => {
          assert.deepEqual(await tokenizeTexts(tok, texts), await reference(tok, texts));
        }),
        { numRuns: 300 },
      );
    });
  }

  it('leaves to the library the texts it cannot vouch for', async () => {
    const tok = await tokenizer(false);
    const split = asciiWordSplitter(tok)!;
    assert.deepEqual(split('New York, the city.'), { words: ['New', 'York', ',', 'the', 'city', '.'], starts: [0, 4, 8, 10, 14, 18] });
    assert.equal(split('Zürich'), undefined, 'non-ASCII');
    assert.equal(split('a\u000bb'), undefined, 'a control character clean_text would drop');
    assert.equal(split('the [MASK] city'), undefined, 'an added token the library matches before splitting');
    assert.equal(split('the [mask] city'), undefined, 'an added token in another case');
  });

  it('is off for tokenizers of another kind', async () => {
    const tok = await tokenizer(false);
    const other = Object.create(tok, { json: { value: { ...tok.json, pre_tokenizer: { type: 'Whitespace' } } } }) as FastTokenizer;
    assert.equal(asciiWordSplitter(other), null);
  });
});
