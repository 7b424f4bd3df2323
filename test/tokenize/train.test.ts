import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { encodeWords, loadTokenizer, saveTokenizerFiles, trainWordPiece } from '../../src/tokenize/index.ts';

const SENTENCES = [
  ['Walking', 'in', 'Paris', 'is', 'nice', '.'],
  ['Talking', 'and', 'walking', 'in', 'Berlin', '.'],
  ['The', 'walker', 'talked', 'to', 'the', 'talker', '.'],
  ['Café', 'au', 'lait', ',', 'please', '!'],
];

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'tokentag-train-test-'));
}

test('trains WordPiece: special tokens at 0-4, alphabet kept, vocabulary capped', async () => {
  const tok = await trainWordPiece(SENTENCES, { vocabSize: 60 });
  const vocab = tok.binding.getVocab(true);
  assert.deepEqual(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].map((t) => vocab[t]), [0, 1, 2, 3, 4]);
  assert.ok(tok.vocabSize >= 60 - 5 && tok.vocabSize <= 80, `vocab size ${tok.vocabSize}`);
  // Lower-cased, accents stripped: no 'W', no 'é'.
  assert.equal(vocab.W, undefined);
  assert.equal(vocab['é'], undefined);
  assert.ok(vocab.c !== undefined && vocab['##e'] !== undefined);
  // The training words encode without [UNK]; [CLS] … [SEP] around them.
  const encs = await encodeWords(tok, SENTENCES);
  for (const e of encs) {
    assert.equal(e.inputIds[0], 2);
    assert.equal(e.inputIds.at(-1), 3);
    assert.ok(!e.inputIds.includes(1), e.tokens.join(' '));
  }
  // A big enough vocabulary learns whole words.
  const big = await trainWordPiece(SENTENCES, { vocabSize: 1000 });
  const [w] = await encodeWords(big, [['walking', 'Walking']]);
  assert.deepEqual(w.tokens, ['[CLS]', 'walking', 'walking', '[SEP]']);
  // A small vocabulary is a prefix (by id) of a larger one.
  const small = tok.binding.getVocab(false);
  const large = big.binding.getVocab(false);
  for (const [t, id] of Object.entries(small)) if (id < 60) assert.equal(large[t], id, t);
});

test('cased training keeps case', async () => {
  const tok = await trainWordPiece(SENTENCES, { vocabSize: 200, lowercase: false });
  const vocab = tok.binding.getVocab(false);
  assert.ok(vocab.W !== undefined && vocab['é'] !== undefined);
  const [e] = await encodeWords(tok, [['Walking']]);
  assert.deepEqual(e.tokens, ['[CLS]', 'Walking', '[SEP]']);
});

test('saves the HF layout; it loads back from tokenizer.json and from vocab.txt alone', async () => {
  const tok = await trainWordPiece(SENTENCES, { vocabSize: 80, modelMaxLength: 128 });
  const dir = tmp();
  saveTokenizerFiles(tok, dir);
  assert.deepEqual(readdirSync(dir).sort(), ['special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt']);
  const config = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8'));
  assert.equal(config.tokenizer_class, 'BertTokenizer');
  assert.equal(config.do_lower_case, true);
  assert.equal(config.model_max_length, 128);
  assert.equal(config.unk_token, '[UNK]');
  assert.deepEqual(config.added_tokens_decoder['0'], { content: '[PAD]', lstrip: false, normalized: false, rstrip: false, single_word: false, special: true });
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'special_tokens_map.json'), 'utf8')), {
    cls_token: '[CLS]', mask_token: '[MASK]', pad_token: '[PAD]', sep_token: '[SEP]', unk_token: '[UNK]',
  });
  const vocabLines = readFileSync(join(dir, 'vocab.txt'), 'utf8').split('\n');
  assert.deepEqual(vocabLines.slice(0, 5), ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
  const json = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8'));
  assert.equal(json.model.type, 'WordPiece');
  assert.equal(json.normalizer.type, 'BertNormalizer');
  assert.equal(json.pre_tokenizer.type, 'BertPreTokenizer');
  assert.equal(json.post_processor.type, 'TemplateProcessing');

  const expected = await encodeWords(tok, SENTENCES);
  const fromJson = await loadTokenizer(dir);
  assert.equal(fromJson.modelMaxLength, 128);
  assert.deepEqual(await encodeWords(fromJson, SENTENCES), expected);
  rmSync(join(dir, 'tokenizer.json'));
  const fromVocab = await loadTokenizer(dir);
  assert.deepEqual(await encodeWords(fromVocab, SENTENCES), expected);
});

test('deterministic: the same input gives the same files, also in another process', async () => {
  const a = tmp();
  const b = tmp();
  saveTokenizerFiles(await trainWordPiece(SENTENCES, { vocabSize: 70 }), a);
  saveTokenizerFiles(await trainWordPiece(SENTENCES, { vocabSize: 70 }), b);
  const c = tmp();
  const src = fileURLToPath(new URL('../../src/tokenize/index.ts', import.meta.url));
  const script = `import { trainWordPiece, saveTokenizerFiles } from ${JSON.stringify(src)};
    saveTokenizerFiles(await trainWordPiece(${JSON.stringify(SENTENCES)}, { vocabSize: 70 }), ${JSON.stringify(c)});`;
  execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: 'pipe' });
  for (const f of ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt']) {
    const x = readFileSync(join(a, f), 'utf8');
    assert.equal(readFileSync(join(b, f), 'utf8'), x, f);
    assert.equal(readFileSync(join(c, f), 'utf8'), x, f);
  }
});

test('rejects a vocabulary size below the special tokens', async () => {
  await assert.rejects(trainWordPiece(SENTENCES, { vocabSize: 5 }), /vocabSize must be an integer above 5/);
});
