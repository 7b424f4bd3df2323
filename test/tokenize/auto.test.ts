import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Dataset } from '../../src/data/dataset.ts';
import { syntheticNer } from '../../src/data/synthetic.ts';
import { TokentagError } from '../../src/errors.ts';
import { AutoTokenizer, BatchEncoding, PreTrainedTokenizer, encodeWords, saveTokenizerFiles, trainWordPiece } from '../../src/tokenize/index.ts';
import { bertCased } from '../fixtures/tokenize/tokenizers.ts';

test('tokenizer(words, { is_split_into_words: true }): tokens() and word_ids() of the course cell', async () => {
  const tokenizer = new PreTrainedTokenizer(await bertCased());
  assert.equal(typeof tokenizer, 'function');
  assert.ok(tokenizer instanceof PreTrainedTokenizer);
  assert.equal(tokenizer.is_fast, true);
  const inputs = await tokenizer(['The', 'running', 'walked', '.'], { is_split_into_words: true });
  assert.ok(inputs instanceof BatchEncoding);
  assert.deepEqual(inputs.tokens(), ['[CLS]', 'The', 'run', '##ning', 'walk', '##ed', '.', '[SEP]']);
  assert.deepEqual(inputs.word_ids(), [null, 0, 1, 1, 2, 2, 3, null]);
  assert.deepEqual(inputs.input_ids, [2, 6, 12, 13, 23, 22, 10, 3]);
  assert.deepEqual(inputs.attention_mask, [1, 1, 1, 1, 1, 1, 1, 1]);
  assert.deepEqual(inputs.token_type_ids, [0, 0, 0, 0, 0, 0, 0, 0]);
  assert.throws(() => inputs.word_ids(1), /word_ids\(1\): the batch has 1 sequence \(indices 0\.\.0\)/);
});

test('word_ids(i) of a batch equal the encoder the CLI trains with (encodeWords), sentence by sentence', async () => {
  const raw = syntheticNer({ train: 40, validation: 1, test: 1 }).get('train');
  const sentences = raw.column('tokens');
  const backend = await trainWordPiece(sentences, { vocabSize: 120, lowercase: false });
  const tokenizer = new PreTrainedTokenizer(backend);
  const batch = await tokenizer(sentences, { is_split_into_words: true });
  const reference = await encodeWords(backend, sentences, { maxLength: null });
  assert.equal(batch.length, 40);
  let split = 0;
  reference.forEach((e, i) => {
    assert.deepEqual(batch.word_ids(i), e.wordIds);
    assert.deepEqual(batch.input_ids[i], e.inputIds);
    assert.deepEqual(batch.tokens(i), e.tokens);
    if (new Set(e.wordIds).size < e.wordIds.length - 1) split++;
  });
  assert.ok(split > 10, 'a small vocabulary splits words into pieces, so word_ids repeat');
});

test('truncation: true cuts to max_length keeping [CLS] … [SEP]; the call needs is_split_into_words', async () => {
  const tokenizer = new PreTrainedTokenizer(await bertCased());
  const long = ['The', 'running', 'walked', '.', 'the', 'cafe'];
  const cut = await tokenizer(long, { is_split_into_words: true, truncation: true, max_length: 6 });
  assert.deepEqual(cut.tokens(), ['[CLS]', 'The', 'run', '##ning', 'walk', '[SEP]']);
  assert.deepEqual(cut.word_ids(), [null, 0, 1, 1, 2, null]);
  const whole = await tokenizer(long, { is_split_into_words: true });
  assert.equal(whole.input_ids.length, 10, 'without truncation nothing is cut');
  await assert.rejects(tokenizer(long, { is_split_into_words: true, max_length: 6 }), /max_length only applies with truncation: true/);
  await assert.rejects(
    (tokenizer as unknown as (t: string, o: object) => Promise<unknown>)('The running', {}),
    (e: unknown) => e instanceof TokentagError && /is_split_into_words: true/.test(e.message),
  );
});

test('AutoTokenizer.from_pretrained(dir), save_pretrained, and a batched map returning the BatchEncoding', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tokentag-autotok-'));
  try {
    const sentences = syntheticNer({ train: 30, validation: 1, test: 1 }).get('train').column('tokens');
    saveTokenizerFiles(await trainWordPiece(sentences, { vocabSize: 150, lowercase: false, modelMaxLength: 64 }), dir);
    const tokenizer = await AutoTokenizer.from_pretrained(dir);
    assert.equal(tokenizer.model_max_length, 64);
    assert.equal(tokenizer.pad_token, '[PAD]');
    assert.equal(tokenizer.pad_token_id, 0);
    const out = join(dir, 'saved');
    const written = tokenizer.save_pretrained(out);
    assert.ok(written.some((f) => f.endsWith('tokenizer.json')) && existsSync(join(out, 'special_tokens_map.json')));
    assert.equal(readFileSync(join(out, 'vocab.txt'), 'utf8'), readFileSync(join(dir, 'vocab.txt'), 'utf8'));
    const again = await AutoTokenizer.from_pretrained(out);
    assert.equal(again.vocab_size, tokenizer.vocab_size);
    // The BatchEncoding's lists become columns; word_ids() does not.
    const ds = Dataset.from(sentences.slice(0, 5).map((tokens) => ({ tokens })));
    const mapped = await ds.map(
      async (examples) => {
        const enc = await tokenizer(examples.tokens, { is_split_into_words: true });
        enc.labels = enc.input_ids.map((ids) => ids.map(() => -100));
        return enc;
      },
      { batched: true, remove_columns: ['tokens'] },
    );
    assert.deepEqual(mapped.columnNames, ['input_ids', 'token_type_ids', 'attention_mask', 'labels']);
    assert.equal(mapped.get(3).labels.length, mapped.get(3).input_ids.length);
    await assert.rejects(AutoTokenizer.from_pretrained(join(dir, 'nothing-here', 'x')), /no such model directory|Hub id|not a Hugging Face/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
