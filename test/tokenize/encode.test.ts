import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { TokentagError } from '../../src/errors.ts';
import { FastTokenizer, encodeWords, loadTokenizer, type Encoding } from '../../src/tokenize/index.ts';
import { bertCased, bertUncased, fixtures, roberta, robertaBinding, xlmr, xlmrBinding } from '../fixtures/tokenize/tokenizers.ts';

/** The plain fields of an encoding, for deepEqual. */
function fields(e: Encoding) {
  return {
    inputIds: e.inputIds,
    tokens: e.tokens,
    wordIds: e.wordIds,
    offsets: e.offsets,
    specialTokensMask: e.specialTokensMask,
    attentionMask: e.attentionMask,
  };
}

const WORDS = ['The', 'Café', 'running', 'well-known', 'qzx.'];

test('WordPiece uncased: lower-casing, accents stripped, ## pieces, punctuation inside a word, [UNK]', async () => {
  const tok = await bertUncased();
  const [e] = await encodeWords(tok, [WORDS]);
  // The→the(5); Café→NFD, accent stripped, lower-cased→cafe(7); running→run(12) ##ning(13)
  // (longest prefix first); well-known→the BERT pre-tokenizer splits it into well(20) -(19)
  // known(21), all of word 3; qzx.→qzx has no prefix in the vocab→[UNK](1), then .(10).
  assert.deepEqual(fields(e), {
    inputIds: [2, 5, 7, 12, 13, 20, 19, 21, 1, 10, 3],
    tokens: ['[CLS]', 'the', 'cafe', 'run', '##ning', 'well', '-', 'known', '[UNK]', '.', '[SEP]'],
    wordIds: [null, 0, 1, 2, 2, 3, 3, 3, 4, 4, null],
    // Offsets are relative to each word, as HF gives them for pretokenized input.
    offsets: [[0, 0], [0, 3], [0, 4], [0, 3], [3, 7], [0, 4], [4, 5], [5, 10], [0, 3], [3, 4], [0, 0]],
    specialTokensMask: [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
    attentionMask: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
  });
  assert.deepEqual(e.typeIds, new Array(11).fill(0));
  assert.equal(e.sentence, 0);
  assert.equal(e.wordCount, 5);
  assert.deepEqual(e.window, { index: 0, count: 1, wordStart: 0, wordEnd: 5, scoreStart: 0, scoreEnd: 5 });
});

test('WordPiece cased: case and accents kept', async () => {
  const tok = await bertCased();
  const [e, ny] = await encodeWords(tok, [WORDS, ['New', 'york']]);
  // The(6), Café(8) (no NFD, no lower-casing), the rest as uncased.
  assert.deepEqual(e.inputIds, [2, 6, 8, 12, 13, 20, 19, 21, 1, 10, 3]);
  assert.deepEqual(ny.inputIds, [2, 14, 17, 3]);
  assert.equal(ny.sentence, 1);
  const [nyUncased] = await encodeWords(await bertUncased(), [['New', 'York']]);
  assert.deepEqual(nyUncased.inputIds, [2, 15, 17, 3]); // new(15) york(17)
});

test('WordPiece: tokenize_chinese_chars splits CJK characters, one [UNK] per unknown character', async () => {
  const [on] = await encodeWords(await bertUncased(), [['中文']]);
  assert.deepEqual(on.inputIds, [2, 25, 1, 3]); // 中(25), 文 unknown
  assert.deepEqual(on.wordIds, [null, 0, 0, null]);
  const [off] = await encodeWords(await bertUncased({ tokenize_chinese_chars: false }), [['中文']]);
  assert.deepEqual(off.inputIds, [2, 1, 3]); // 中 then ##文 missing: the whole word is [UNK]
});

test('WordPiece: agrees with the binding encoding the joined sentence (words without inner punctuation)', async () => {
  for (const tok of [await bertUncased(), await bertCased()]) {
    const words = ['The', 'Café', 'running', 'walking', 'walked', 'qzx'];
    const [e] = await encodeWords(tok, [words]);
    const whole = await tok.binding.encode(words.join(' '));
    assert.deepEqual(e.inputIds, whole.getIds());
    assert.deepEqual(e.wordIds, whole.getWordIds().map((w) => w ?? null));
    assert.deepEqual(e.specialTokensMask, whole.getSpecialTokensMask());
  }
});

test('loads an older BERT directory (vocab.txt + tokenizer_config.json) with its model_max_length', async () => {
  const tok = await loadTokenizer(join(fixtures, 'bert-uncased'));
  assert.equal(tok.modelMaxLength, 16);
  const [e] = await encodeWords(tok, [WORDS]);
  assert.deepEqual(e.inputIds, [2, 5, 7, 12, 13, 20, 19, 21, 1, 10, 3]);
  assert.equal(tok.specialTokens.unk_token, '[UNK]');
});

test('byte-level BPE (RoBERTa): every word gets the prefix space, as add_prefix_space=True', async () => {
  const tok = await roberta();
  const [e] = await encodeWords(tok, [['Hello', 'café', 'world', '!', 'Hello!']]);
  // Hello → Ġ H e l l o → merges 0..4 → ĠHello(17)
  // café  → Ġ c a f Ã © → Ġc(11) Ġca(12) Ġcaf(13), Ã©(14) → Ġcaf(31) Ã©(32)
  // world → Ġ w o r l d → Ġw(5) or(6) Ġwor(7) ld(8) Ġworld(9) → Ġworld(22)
  // !     → Ġ ! → Ġ!(23)
  // Hello! → the byte-level regex splits 'ĠHello' | '!' → 17, 12 (no Ġ: not a word start)
  assert.deepEqual(fields(e), {
    inputIds: [0, 17, 31, 32, 22, 23, 17, 12, 2],
    tokens: ['<s>', 'ĠHello', 'Ġcaf', 'Ã©', 'Ġworld', 'Ġ!', 'ĠHello', '!', '</s>'],
    wordIds: [null, 0, 1, 1, 2, 3, 4, 4, null],
    offsets: [[0, 0], [0, 5], [0, 3], [3, 4], [0, 5], [0, 1], [0, 5], [5, 6], [0, 0]],
    specialTokensMask: [1, 0, 0, 0, 0, 0, 0, 0, 1],
    attentionMask: [1, 1, 1, 1, 1, 1, 1, 1, 1],
  });
  // Same ids as encoding the text with the spaces (the binding, add_prefix_space on).
  const whole = await tok.binding.encode('Hello café world ! Hello!');
  assert.deepEqual(e.inputIds, whole.getIds());
});

test('byte-level BPE: the tokenizer.json as roberta-base ships it (add_prefix_space false) is fixed on load', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tokentag-test-'));
  robertaBinding().save(join(dir, 'tokenizer.json'));
  const tok = await loadTokenizer(dir);
  const [e] = await encodeWords(tok, [['Hello', 'world']]);
  assert.deepEqual(e.inputIds, [0, 17, 22, 2]);
  // Without the prefix space (what Python refuses to do): world → w o r l d → w(9) or(19) ld(21).
  const raw = await roberta({ addPrefixSpace: false });
  const [bad] = await encodeWords(raw, [['Hello', 'world']]);
  assert.deepEqual(bad.inputIds, [0, 5, 6, 15, 8, 9, 19, 21, 2]);
});

test('Metaspace + Unigram (XLM-R): ▁ prepended to every word', async () => {
  const tok = await xlmr();
  const [e] = await encodeWords(tok, [['Hello', 'café', 'world', '!', 'Hellox']]);
  // ▁Hello: [▁Hello] −1 beats [▁Hel, lo] −8 → 4
  // ▁café:  no ▁café; [▁ca, fé] −6.5 → 12, 13
  // ▁world: [▁world] −1.5 beats [▁wor, ld] −6 → 5
  // ▁!:     [▁, !] → 6, 7
  // ▁Hellox: ▁Hello then x, which is not in the vocabulary → <unk>(3)
  assert.deepEqual(e.inputIds, [0, 4, 12, 13, 5, 6, 7, 4, 3, 2]);
  assert.deepEqual(e.tokens, ['<s>', '▁Hello', '▁ca', 'fé', '▁world', '▁', '!', '▁Hello', 'x', '</s>']);
  assert.deepEqual(e.wordIds, [null, 0, 1, 1, 2, 3, 3, 4, 4, null]);
  assert.deepEqual(e.offsets, [[0, 0], [0, 5], [0, 2], [2, 4], [0, 5], [0, 1], [0, 1], [0, 5], [5, 6], [0, 0]]);
  assert.deepEqual(e.specialTokensMask, [1, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  const whole = await tok.binding.encode('Hello café world ! Hellox');
  assert.deepEqual(e.inputIds, whole.getIds());
});

test('equals the binding merging per-word encodings and post-processing them (the Rust pretokenized path)', async () => {
  // Python's is_split_into_words: encode each word, Encoding.merge(…, growing_offsets=false),
  // post_process(add_special_tokens=true). The binding exposes those steps; only the word ids
  // differ (the binding numbers pre-tokens), so compare the rest.
  const { mergeEncodings } = await import('tokenizers');
  const cases: [FastTokenizer, string[]][] = [
    [await bertUncased(), WORDS],
    [await roberta(), ['Hello', 'café', 'world', '!', 'Hello!']],
    [await FastTokenizer.fromBinding(xlmrBinding()), ['Hello', 'café', 'world', '!', 'Hellox']],
  ];
  for (const [tok, words] of cases) {
    const parts = await tok.binding.encodeBatch(words, { addSpecialTokens: false });
    const merged = tok.binding.postProcess(mergeEncodings(parts, false), null, true);
    const [e] = await encodeWords(tok, [words]);
    assert.deepEqual(e.inputIds, merged.getIds());
    assert.deepEqual(e.tokens, merged.getTokens());
    assert.deepEqual(e.offsets, merged.getOffsets());
    assert.deepEqual(e.specialTokensMask, merged.getSpecialTokensMask());
    assert.deepEqual(e.typeIds, merged.getTypeIds());
  }
});

test('many sentences in one call; empty sentence; repeated words come from the cache', async () => {
  const tok = await bertUncased();
  const out = await encodeWords(tok, [['the'], [], ['the', 'the']]);
  assert.deepEqual(out.map((e) => e.inputIds), [[2, 5, 3], [2, 3], [2, 5, 5, 3]]);
  assert.deepEqual(out.map((e) => e.sentence), [0, 1, 2]);
  const again = await encodeWords(tok, [['the', 'the']]);
  assert.deepEqual(again[0].inputIds, [2, 5, 5, 3]);
});

test('a word that normalises to nothing gets no tokens (as in HF)', async () => {
  const [e] = await encodeWords(await bertUncased(), [['the', '\u0000', 'the']]);
  assert.deepEqual(e.inputIds, [2, 5, 5, 3]);
  assert.deepEqual(e.wordIds, [null, 0, 2, null]);
});

test('rejects non-string words and bad options', async () => {
  const tok = await bertUncased();
  await assert.rejects(encodeWords(tok, [[1 as unknown as string]]), TokentagError);
  await assert.rejects(encodeWords(tok, [['the']], { maxLength: 2 }), /maxLength must be an integer above the 2 special tokens/);
  await assert.rejects(encodeWords(tok, [['the']], { maxLength: 6, stride: 4 }), /stride must be an integer in 0\.\.3/);
});

test('tokenizer.json that is not JSON is a clear error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tokentag-test-'));
  writeFileSync(join(dir, 'tokenizer.json'), '{oops');
  await assert.rejects(loadTokenizer(dir), /tokenizer\.json is not valid JSON/);
  await assert.rejects(loadTokenizer(join(dir, 'nothing-here')), /no tokenizer\.json or vocab\.txt/);
});

test('encodeWordPieces: a concurrent call that clears the word cache does not lose this call\'s words', async () => {
  const tok = await bertCased();
  const alone = async (words: string[]) => (await (await bertCased()).encodeWordPieces(words)).map((p) => [...p.ids]);
  await tok.encodeWordPieces(['Paris']); // cached
  tok.cacheLimit = 2;
  // a: 'Paris' from the cache, 'Zürich' from the library (an await); b clears the cache meanwhile.
  const [a, b] = await Promise.all([tok.encodeWordPieces(['Paris', 'Zürich']), tok.encodeWordPieces(['München', 'Köln'])]);
  assert.deepEqual(a.map((p) => [...p.ids]), await alone(['Paris', 'Zürich']));
  assert.deepEqual(b.map((p) => [...p.ids]), await alone(['München', 'Köln']));
});
