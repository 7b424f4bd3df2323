/**
 * The TypeScript WordPiece (the browser's tokenizer) against the Rust `tokenizers` library: the
 * same ids, tokens, offsets and word ids on every word of a realistic corpus, for cased and uncased
 * BERT tokenizers; the same treatment of every code point; the same trained vocabulary; the same
 * `tokenizer.json` and tokenizer files.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Tokenizer, WordPiece, bertNormalizer, bertPreTokenizer, templateProcessing, wordPieceDecoder } from 'tokenizers';
import { parseConll } from '../../src/data/conll.ts';
import { syntheticNer } from '../../src/data/synthetic.ts';
import { bertTokenizerJson } from '../../src/tokenize/bert-json.ts';
import { encodeWords } from '../../src/tokenize/encode.ts';
import { tokenizerFiles } from '../../src/tokenize/tokenizer-files.ts';
import { FastTokenizer, bindingToJson } from '../../src/tokenize/tokenizer.ts';
import { saveTokenizerFiles, trainWordPiece } from '../../src/tokenize/train.ts';
import { WordPieceTokenizer } from '../../src/tokenize/wordpiece.ts';
import { trainWordPieceTokenizer } from '../../src/tokenize/wordpiece-train.ts';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const example = (p: string) => readFileSync(new URL(`../../examples/${p}`, import.meta.url), 'utf8');

/** Words with accents, scripts, CJK, emoji, control and format characters, marks, odd spaces and punctuation. */
const UNICODE_SENTENCES: string[][] = [
  ['Zürich', 'Ångström', 'São', 'Paulo', 'Kraków', 'Dvořák', 'Łódź', 'İstanbul', 'ΣΟΦΊΑ', 'Ὀδυσσεύς', 'straße', 'ﬁnance'],
  ['東京都', '北京大学', '서울', 'まつもと', 'Ｔｏｋｙｏ', '１２３', '株式会社トヨタ', '𠮷野家', '中文abc文'],
  ['Москва', 'Київ', 'مرحبا', 'שלום', 'हिन्दी', 'ภาษาไทย', 'ქართული', 'Ἀθῆναι', 'e\u0301te\u0301', 'n\u0303'],
  ['😀', 'ok👍', '🇫🇷', '👩‍💻', 'a\u200bb', 'soft\u00adhyphen', '\u200e', 'x\u0000y', 'tab\tin', 'nbsp\u00a0in', 'line\u2028sep', 'zero\ufeffwidth', '\ufffd'],
  ['«quoted»', '“curly”', '—dash—', '¿Qué?', '¡Hola!', '…', '§12', '¶', '€100', '£5', '¥', '$20', '30%', '(a)', 'e.g.', "O'Neil", 'rock\'n\'roll', 'x^2', 'a|b', '~', '`code`'],
  ['[CLS]', 'a[SEP]b', '[MASK]ed', '[unk]', '[UNK]', 'ǅemal', 'ǈ', 'K', 'Ω', 'ℌ', '\u0378', 'x\u{e000}y', '\u{1e95e}adlam', 'aa\u0890', 'ꞵ', '𞤀'],
  ['a'.repeat(100), 'b'.repeat(101), 'é'.repeat(60) + 'x'.repeat(41), 'Supercalifragilisticexpialidocious', 'co-operate', 'U.S.A.', '3.14', '10,000', 'user@example.com', 'http://x.y/z?q=1'],
];

function corpus(): string[][] {
  const sentences: string[][] = [];
  const synthetic = syntheticNer({ train: 1500, validation: 200, test: 200 });
  for (const name of synthetic.names) for (const row of synthetic.get(name)) sentences.push([...row.tokens]);
  for (const file of ['real-sentences/test.txt', 'ner-sample/train.txt', 'ner-sample/test.txt']) {
    for (const row of parseConll(example(file), { file })) sentences.push([...row.tokens]);
  }
  sentences.push(...UNICODE_SENTENCES);
  return sentences;
}

const CORPUS = corpus();

/** The pair under test: the library and the TypeScript tokenizer over the same tokenizer.json. */
async function pair(lowercase: boolean): Promise<{ rust: FastTokenizer; ts: WordPieceTokenizer }> {
  const rust = await trainWordPiece(CORPUS.slice(0, 1200), { vocabSize: 3000, lowercase });
  return { rust, ts: new WordPieceTokenizer(rust.json, { modelMaxLength: rust.modelMaxLength, specialTokens: rust.specialTokens }) };
}

const plain = (p: { ids: readonly number[]; tokens: readonly string[]; offsets: readonly (readonly [number, number])[] }) => ({
  ids: [...p.ids],
  tokens: [...p.tokens],
  offsets: p.offsets.map((o) => [o[0], o[1]]),
});

/** The library's own tokens for words, each encoded whole (not through FastTokenizer's ASCII shortcut). */
async function libraryWords(rust: FastTokenizer, words: string[]) {
  const encs = await rust.binding.encodeBatch(words, { addSpecialTokens: false });
  return encs.map((e) => ({ ids: e.getIds(), tokens: e.getTokens(), offsets: e.getOffsets().map((o) => [o[0], o[1]]) }));
}

describe('the TypeScript WordPiece gives the Rust library\'s tokens', () => {
  for (const lowercase of [false, true]) {
    const name = lowercase ? 'uncased' : 'cased';

    it(`every word of the corpus: ids, tokens and offsets (${name})`, async () => {
      const { rust, ts } = await pair(lowercase);
      const words = [...new Set(CORPUS.flat())];
      assert.ok(words.length > 5000, `a realistic corpus (${words.length} distinct words)`);
      const want = await libraryWords(rust, words);
      const got = (await ts.encodeWordPieces(words)).map(plain);
      const diff = words.filter((_, i) => JSON.stringify(got[i]) !== JSON.stringify(want[i]));
      assert.deepEqual(diff, [], `words tokenized differently: ${diff.slice(0, 10).map((w) => JSON.stringify(w)).join(', ')}`);
      // The corpus exercises what it should: unknown pieces, split words, isolated punctuation.
      const flat = got.flatMap((g) => g.tokens);
      assert.ok(flat.includes('[UNK]') && flat.some((t) => t.startsWith('##')), 'unknown and continuation pieces occur');
    });

    it(`every sentence: encodeWords ids, word ids and special tokens (${name})`, async () => {
      const { rust, ts } = await pair(lowercase);
      const want = await encodeWords(rust, CORPUS, { maxLength: 256 });
      const got = await encodeWords(ts, CORPUS, { maxLength: 256 });
      assert.equal(got.length, want.length);
      for (let i = 0; i < want.length; i++) {
        assert.deepEqual([got[i]!.inputIds, got[i]!.wordIds, got[i]!.typeIds], [want[i]!.inputIds, want[i]!.wordIds, want[i]!.typeIds], `sentence ${want[i]!.sentence}`);
      }
    });

    it(`raw texts: the library's ids and offsets, in UTF-16 (${name})`, async () => {
      const { rust, ts } = await pair(lowercase);
      const texts = [...CORPUS.slice(1500, 1700), ...UNICODE_SENTENCES].map((s) => s.join(' ')).concat(['Tabs\tand\nnew lines,\r\nand  double  spaces.', '😀 Paris, [MASK] 東京!', '']);
      assert.deepEqual(await ts.encodeTexts(texts), await rust.encodeTexts(texts));
    });
  }

  it('every code point is cleaned, split, stripped and lower-cased as the library does', async () => {
    const vocab: Record<string, number> = { '[PAD]': 0, '[UNK]': 1, '[CLS]': 2, '[SEP]': 3, '[MASK]': 4, a: 5, b: 6, '##b': 7, '##a': 8 };
    for (const lowercase of [false, true]) {
      const rust = await FastTokenizer.fromJson(bertTokenizerJson(vocab, { do_lower_case: lowercase }));
      const ts = new WordPieceTokenizer(rust.json);
      // Each code point twice, inside a word and at its start, 16 code points to a text.
      const all: number[] = [];
      for (let cp = 0; cp <= 0x2ffff; cp++) if (cp < 0xd800 || cp > 0xdfff) all.push(cp);
      all.push(0xe0001, 0xe0020, 0xe0100, 0xf0000, 0x10fffd);
      const groups: number[][] = [];
      for (let i = 0; i < all.length; i += 16) groups.push(all.slice(i, i + 16));
      const texts = groups.map((g) => g.map((cp) => `a${String.fromCodePoint(cp)}b ${String.fromCodePoint(cp)}a`).join(' '));
      const want = await rust.binding.encodeBatch(texts, { addSpecialTokens: false });
      const got = await ts.encodeTexts(texts);
      const bad: string[] = [];
      groups.forEach((g, i) => {
        const w = want[i]!;
        if (JSON.stringify(got[i]!.ids) !== JSON.stringify(w.getIds())) bad.push(`U+${g[0]!.toString(16)}…U+${g[g.length - 1]!.toString(16)}`);
      });
      assert.deepEqual(bad.slice(0, 20), [], `${bad.length} code points differ (${lowercase ? 'uncased' : 'cased'})`);
    }
  });
});

describe('a WordPiece vocabulary trained in TypeScript', () => {
  it('is the vocabulary the Node trainer learns from the same corpus, for cased and uncased', async () => {
    for (const lowercase of [false, true]) {
      const node = await trainWordPiece(CORPUS, { vocabSize: 2500, lowercase });
      const ts = trainWordPieceTokenizer(CORPUS, { vocabSize: 2500, lowercase });
      assert.deepEqual(ts.json.model!.vocab, node.json.model!.vocab);
      assert.equal(ts.vocabSize, node.vocabSize);
    }
  });

  it('is deterministic and tokenizes its own corpus without unknown pieces', async () => {
    const a = trainWordPieceTokenizer(CORPUS.slice(0, 500), { vocabSize: 800 });
    const b = trainWordPieceTokenizer(CORPUS.slice(0, 500), { vocabSize: 800 });
    assert.equal(JSON.stringify(a.json), JSON.stringify(b.json));
    assert.equal(a.vocabSize, 800);
    const tokens = (await a.encodeWordPieces(CORPUS.slice(0, 500).flat())).flatMap((p) => p.tokens);
    assert.ok(!tokens.includes('[UNK]'), 'every character of the corpus is in the alphabet');
  });

  it('writes the same tokenizer files as the Node tokenizer', async () => {
    const node = await trainWordPiece(CORPUS.slice(0, 300), { vocabSize: 600 });
    const ts = trainWordPieceTokenizer(CORPUS.slice(0, 300), { vocabSize: 600 });
    const dir = mkdtempSync(join(tmpdir(), 'tokentag-wp-'));
    try {
      saveTokenizerFiles(node, dir);
      const written = new Map(readdirSync(dir).sort().map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
      assert.deepEqual(new Map([...tokenizerFiles(ts)].sort()), written);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('bertTokenizerJson', () => {
  it('is the tokenizer.json the library builds from vocab.txt, as transformers\' BertConverter does', () => {
    const vocab: Record<string, number> = { '[PAD]': 0, '[UNK]': 1, '[CLS]': 2, '[SEP]': 3, '[MASK]': 4, the: 5, '##s': 6 };
    for (const config of [{}, { do_lower_case: false }, { do_lower_case: true, strip_accents: false, tokenize_chinese_chars: false }]) {
      const lowercase = (config as { do_lower_case?: boolean }).do_lower_case ?? true;
      const t = new Tokenizer(WordPiece.init({ ...vocab }, { unkToken: '[UNK]', continuingSubwordPrefix: '##', maxInputCharsPerWord: 100 }));
      t.setNormalizer(bertNormalizer({ cleanText: true, handleChineseChars: (config as { tokenize_chinese_chars?: boolean }).tokenize_chinese_chars ?? true, stripAccents: (config as { strip_accents?: boolean }).strip_accents ?? lowercase, lowercase }));
      t.setPreTokenizer(bertPreTokenizer());
      t.setPostProcessor(templateProcessing('[CLS]:0 $A:0 [SEP]:0', '[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1', [['[CLS]', 2], ['[SEP]', 3]]));
      t.setDecoder(wordPieceDecoder('##', true));
      t.addSpecialTokens(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
      assert.deepEqual(bertTokenizerJson(vocab, config), bindingToJson(t));
    }
  });
});
