import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Dataset } from '../../src/data/dataset.ts';
import { TokentagError } from '../../src/errors.ts';
import { FastTokenizer, PreTrainedTokenizer } from '../../src/tokenize/index.ts';
import { collate } from '../../src/train/batching.ts';
import { DataCollatorForTokenClassification, DataLoader, type TokenClassificationBatch } from '../../src/train/index.ts';
import { bertCased, roberta } from '../fixtures/tokenize/tokenizers.ts';

const rows = [
  { input_ids: [2, 6, 12, 13, 3], token_type_ids: [0, 0, 0, 0, 0], attention_mask: [1, 1, 1, 1, 1], labels: [-100, 3, 0, 0, -100] },
  { input_ids: [2, 14, 3], token_type_ids: [0, 0, 0], attention_mask: [1, 1, 1], labels: [-100, 1, -100] },
];

test('DataCollatorForTokenClassification pads input_ids with the pad id, labels with -100, and the mask with 0', async () => {
  const tokenizer = new PreTrainedTokenizer(await roberta()); // RoBERTa's <pad> is 1, not 0
  assert.equal(tokenizer.pad_token_id, 1);
  const data_collator = new DataCollatorForTokenClassification({ tokenizer });
  assert.equal(typeof data_collator, 'function');
  const batch = data_collator(rows);
  assert.deepEqual(batch.input_ids.tolist(), [[2, 6, 12, 13, 3], [2, 14, 3, 1, 1]]);
  assert.deepEqual(batch.labels!.tolist(), [[-100, 3, 0, 0, -100], [-100, 1, -100, -100, -100]]);
  assert.deepEqual(batch.attention_mask.tolist(), [[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]]);
  assert.deepEqual(batch.token_type_ids!.shape, [2, 5]);
  assert.equal(batch.input_ids.dtype, 'int64');
  // The engine's collate, which the Trainer and the CLI use, with the same options: the same bytes.
  const same = collate(rows.map((r) => ({ inputIds: r.input_ids, tokenTypeIds: r.token_type_ids, attentionMask: r.attention_mask, labels: r.labels })), data_collator.collateOptions);
  assert.deepEqual(batch.input_ids.data, same.input_ids.data);
  assert.deepEqual(batch.labels!.data, same.labels!.data);
  // Options as Python spells them.
  const eight = new DataCollatorForTokenClassification({ tokenizer, pad_to_multiple_of: 8, label_pad_token_id: -1 });
  const b8 = eight(rows);
  assert.deepEqual(b8.labels!.shape, [2, 8]);
  assert.deepEqual(b8.labels!.tolist()[1], [-100, 1, -100, -1, -1, -1, -1, -1]);
});

test('a collator that cannot pad is a clear error: no pad token, or padding: false with rows of different lengths', async () => {
  const bert = await bertCased();
  const json = structuredClone(bert.json);
  json.added_tokens = (json.added_tokens ?? []).filter((t) => t.content !== '[PAD]');
  const noPad = await FastTokenizer.fromJson(json, { specialTokens: { unk_token: '[UNK]', cls_token: '[CLS]', sep_token: '[SEP]' } });
  assert.throws(
    () => new DataCollatorForTokenClassification({ tokenizer: noPad }),
    (e: unknown) => e instanceof TokentagError && /asking to pad but the tokenizer has no padding token; give the tokenizer a pad token/.test(e.message),
  );
  const unpadded = new DataCollatorForTokenClassification({ tokenizer: noPad, padding: false });
  assert.deepEqual(unpadded([rows[0], rows[0]]).input_ids.shape, [2, 5], 'rows of one length need no padding');
  assert.throws(
    () => unpadded(rows),
    (e: unknown) => e instanceof TokentagError && /cannot stack features of different lengths without padding: feature 1 has 3 tokens, the longest 5/.test(e.message),
  );
  assert.throws(() => new DataCollatorForTokenClassification({} as never), /needs the tokenizer/);
  const collator = new DataCollatorForTokenClassification({ tokenizer: bert });
  assert.throws(() => collator([{ tokens: ['a'] } as never]), /row 0 has no input_ids: tokenize the dataset first/);
  assert.throws(() => collator([{ input_ids: [2, 3], labels: [-100] }]), /labels has 1 values but inputIds has 2/);
});

test('DataLoader: batches by collate_fn, a new seeded order each pass with shuffle, len() as Python', async () => {
  const tokenizer = new PreTrainedTokenizer(await bertCased());
  const data = Dataset.from(Array.from({ length: 10 }, (_, i) => ({ input_ids: [2, 5 + i, 3], labels: [-100, i % 3, -100] })));
  const firstIds = <R,>(loader: DataLoader<R, TokenClassificationBatch>) => [...loader].map((b) => b.input_ids.tolist().map((r) => r[1] - 5));
  const ordered = new DataLoader(data, { collate_fn: new DataCollatorForTokenClassification({ tokenizer }), batch_size: 4 });
  assert.equal(ordered.length, 3);
  assert.deepEqual(firstIds(ordered), [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
  const shuffled = new DataLoader(data, { collate_fn: new DataCollatorForTokenClassification({ tokenizer }), batch_size: 4, shuffle: true });
  const epoch0 = firstIds(shuffled).flat();
  const epoch1 = firstIds(shuffled).flat();
  assert.deepEqual([...epoch0].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.notDeepEqual(epoch0, epoch1, 'each pass draws a new order');
  const again = new DataLoader(data, { collate_fn: new DataCollatorForTokenClassification({ tokenizer }), batch_size: 4, shuffle: true });
  assert.deepEqual(firstIds(again).flat(), epoch0, 'the same seed gives the same orders');
  assert.equal(new DataLoader(data, { collate_fn: (r) => r, batch_size: 4, drop_last: true }).length, 2);
  assert.throws(() => new DataLoader(data, {} as never), /needs collate_fn/);
});
