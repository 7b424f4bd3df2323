import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { bertWordPieceTokenizer, type FastTokenizer } from '../../src/tokenize/index.ts';
import { encodePlainWord, isPlainWord, plainWordPieceOf } from '../../src/tokenize/plain-wordpiece.ts';

const VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'un', 'Un', '##believ', '##able', '##a', '##b', 'a', 'b', 'ab', 'abab', '##ab', 'x', '##x', '##xx', 'Paris', 'paris', '1', '##2', '.', ',', '-', '#', '##', '###'];

async function tokenizer(lowercase: boolean): Promise<FastTokenizer> {
  return bertWordPieceTokenizer(Object.fromEntries(VOCAB.map((t, i) => [t, i])), { do_lower_case: lowercase });
}

/** The library's tokens for one word encoded on its own. */
async function library(tok: FastTokenizer, words: string[]) {
  const encs = await tok.binding.encodeBatch(words, { addSpecialTokens: false });
  return encs.map((e) => ({ ids: e.getIds(), tokens: e.getTokens(), offsets: e.getOffsets().map((o) => [o[0], o[1]]) }));
}

const plainWord = fc.oneof(
  fc.array(fc.constantFrom('a', 'b', 'x', 'A', 'B', 'X', 'un', 'Un', 'believ', 'able', 'Paris', 'PARIS', '1', '2', 'z', 'é'.normalize('NFD')[0]!), { minLength: 1, maxLength: 8 }).map((p) => p.join('')),
  fc.constantFrom('.', ',', '-', '#', '!', '~', 'a'.repeat(100), 'a'.repeat(101), 'x'.repeat(150)),
);

describe('plain WordPiece', () => {
  for (const lowercase of [false, true]) {
    it(`gives the library's tokens and offsets for plain words (${lowercase ? 'uncased' : 'cased'})`, async () => {
      const tok = await tokenizer(lowercase);
      const wp = tok.plainWordPiece!;
      assert.ok(wp);
      assert.equal(wp.lowercase, lowercase);
      await fc.assert(
        fc.asyncProperty(fc.array(plainWord, { minLength: 1, maxLength: 10 }), async (words) => {
          assert.deepEqual(words.map((w) => encodePlainWord(wp, w)), await library(tok, words));
        }),
        { numRuns: 300 },
      );
    });
  }

  it('encodeWordPieces mixes plain words (here) and the rest (the library) in order', async () => {
    const tok = await tokenizer(false);
    const words = ['unbelievable', 'New-York', 'Zürich', 'Paris', '[MASK]', 'ab.ab', 'x'];
    assert.deepEqual(
      (await tok.encodeWordPieces(words)).map((p) => ({ ids: [...p.ids], tokens: [...p.tokens], offsets: p.offsets.map((o) => [o[0], o[1]]) })),
      await library(tok, words),
    );
  });

  it('knows a plain word', () => {
    for (const w of ['Paris', 'x1', '.', '#', 'a'.repeat(200)]) assert.ok(isPlainWord(w), w);
    for (const w of ['', 'New-York', 'a b', 'Zürich', 'a.', '\t', '\u007f', '[MASK]']) assert.ok(!isPlainWord(w), JSON.stringify(w));
  });

  it('is off for tokenizers it cannot vouch for', async () => {
    const tok = await tokenizer(false);
    const j = tok.json;
    assert.equal(plainWordPieceOf({ ...j, pre_tokenizer: { type: 'Whitespace' } }), null, 'another pre-tokenizer');
    assert.equal(plainWordPieceOf({ ...j, normalizer: { type: 'Replace' } }), null, 'a normalizer that may change ASCII');
    assert.equal(plainWordPieceOf({ ...j, model: { ...j.model, type: 'BPE' } }), null, 'another model');
    assert.equal(plainWordPieceOf({ ...j, model: { ...j.model, unk_token: '<nope>' } }), null, 'an unknown token outside the vocabulary');
    assert.equal(plainWordPieceOf({ ...j, added_tokens: [...(j.added_tokens ?? []), { id: 99, content: 'ab', special: false }] }), null, 'an added token that can sit inside a word');
    assert.equal(plainWordPieceOf({ ...j, normalizer: { type: 'Sequence', normalizers: [{ type: 'NFD' }, { type: 'Lowercase' }, { type: 'StripAccents' }] } })!.lowercase, true);
  });
});
