import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Tokenizer, WordPiece, wordPieceDecoder as bindingWordPieceDecoder } from 'tokenizers';
import { FastTokenizer, fastDecoder, wordPieceDecoder } from '../../src/tokenize/index.ts';

const POOL = ['a', 'Paris', '##is', '##', '## x', '##.', '.', ',', '!', '?', "'", "n't", "'s", "'m", "'ve", "'re", 'do', 'not', 'do not', ' ', '', 'x ##y', '[UNK]', 'é', '😀', '##😀', ' .', "' "];

describe('wordPieceDecoder', () => {
  for (const cleanup of [true, false]) {
    for (const prefix of ['##', '@@']) {
      it(`agrees with the library's decoder (prefix ${prefix}, cleanup ${cleanup}) on random tokens`, async () => {
        const t = new Tokenizer(WordPiece.init({ a: 0, '[UNK]': 1 }, { unkToken: '[UNK]' }));
        t.setDecoder(bindingWordPieceDecoder(prefix, cleanup));
        const theirs = t.getDecoder()!;
        const ours = wordPieceDecoder(prefix, cleanup);
        const pool = POOL.map((s) => s.replaceAll('##', prefix));
        fc.assert(
          fc.property(fc.array(fc.constantFrom(...pool), { maxLength: 12 }), (tokens) => {
            assert.equal(ours(tokens), theirs.decode(tokens));
          }),
          { numRuns: 500 },
        );
      });
    }
  }

  it('is chosen for a WordPiece decoder in tokenizer.json, and only for it', async () => {
    const t = new Tokenizer(WordPiece.init({ a: 0, '[UNK]': 1 }, { unkToken: '[UNK]' }));
    t.setDecoder(bindingWordPieceDecoder('##', true));
    const tok = await FastTokenizer.fromBinding(t);
    assert.equal(fastDecoder(tok.json)!(['New', '##er', ',', 'city']), 'Newer, city');
    assert.equal(fastDecoder({ ...tok.json, decoder: { type: 'ByteLevel' } }), undefined);
    assert.equal(fastDecoder({ ...tok.json, decoder: null }), undefined);
  });
});
