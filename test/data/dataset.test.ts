import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Dataset, DatasetDict } from '../../src/data/dataset.ts';
import { ClassLabel, sequence, tokenClassificationFeatures, value } from '../../src/data/features.ts';
import type { TaggedRow } from '../../src/data/row.ts';
import { TokentagError } from '../../src/errors.ts';

const ner = new ClassLabel(['O', 'B-PER', 'I-PER']);
type Row = TaggedRow<'ner_tags'>;
const rows: Row[] = Array.from({ length: 10 }, (_, i) => ({
  id: String(i),
  tokens: Array.from({ length: i + 1 }, (_, k) => `w${k}`),
  ner_tags: Array.from({ length: i + 1 }, (_, k) => (k === 0 ? 1 : 0)),
}));
const make = (): Dataset<Row> => Dataset.from(rows, tokenClassificationFeatures({ ner_tags: ner }));

test('length, get, iteration, column, labels', () => {
  const ds = make();
  assert.equal(ds.length, 10);
  assert.equal(ds.get(3).tokens.length, 4);
  assert.throws(() => ds.get(10), RangeError);
  assert.throws(() => ds.get(-1), RangeError);
  assert.deepEqual([...ds].map((r) => r.id), ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  assert.deepEqual(ds.column('id').slice(0, 3), ['0', '1', '2']);
  assert.equal(ds.labels('ner_tags'), ner);
  assert.deepEqual(ds.columnNames, ['id', 'tokens', 'ner_tags']);
});

test('rows are frozen copies; the caller keeps its arrays', () => {
  const ds = make();
  const row = ds.get(0);
  assert.ok(Object.isFrozen(row) && Object.isFrozen(row.tokens) && Object.isFrozen(row.ner_tags));
  assert.throws(() => ((row.tokens as string[])[0] = 'x'), TypeError);
  assert.ok(!Object.isFrozen(rows[0].tokens));
  assert.notEqual(row.tokens, rows[0].tokens);
});

test('map row by row keeps features of kept columns and takes new ones', () => {
  const ds = make();
  const lengths = ds.map((r) => ({ ...r, n: r.tokens.length }), { features: { n: value('int32') } });
  assert.equal(lengths.get(4).n, 5);
  assert.deepEqual(Object.keys(lengths.features), ['id', 'tokens', 'ner_tags', 'n']);
  assert.equal(lengths.labels('ner_tags'), ner);
  // As in Hugging Face, what the function returns is merged into the row: columns it leaves out are kept…
  const kept = ds.map(({ tokens }) => ({ tokens: tokens.map((t) => t.toUpperCase()) }));
  assert.deepEqual(kept.get(1), { id: '1', tokens: ['W0', 'W1'], ner_tags: [1, 0] });
  assert.equal(kept.labels('ner_tags'), ner);
  // …unless remove_columns drops them.
  const dropped = ds.map(({ id, tokens }) => ({ id, tokens }), { remove_columns: ['ner_tags'] });
  assert.deepEqual(Object.keys(dropped.features), ['id', 'tokens']);
  assert.deepEqual(Object.keys(dropped.get(0)), ['id', 'tokens']);
  assert.ok(Object.isFrozen(dropped.get(0)));
  assert.equal(make().get(2).id, '2', 'the source is unchanged');
  assert.throws(
    () => ds.map((r) => r, { remove_columns: ['ner_tag'] }),
    (e: unknown) => e instanceof TokentagError && /remove_columns: 'ner_tag' is not a column of the dataset \(its columns: one of 'id', 'tokens', 'ner_tags'\)/.test(e.message),
  );
});

test('batched map with remove_columns (the course cell), async functions, and a changed row count', async () => {
  const ds = make();
  // raw_datasets.map(tokenize_and_align_labels, batched=True, remove_columns=raw_datasets["train"].column_names)
  const encoded = await ds.map(
    async (batch) => {
      await Promise.resolve();
      return { input_ids: batch.tokens.map((ws) => ws.map((w) => Number(w.slice(1)))), labels: batch.ner_tags, word_ids: () => 'a method, not a column' };
    },
    { batched: true, batchSize: 3, remove_columns: ds.columnNames },
  );
  assert.deepEqual(encoded.columnNames, ['input_ids', 'labels']);
  assert.deepEqual(encoded.get(2), { input_ids: [0, 1, 2], labels: [1, 0, 0] });
  assert.deepEqual(Object.keys(encoded.features), [], 'the tag column was removed; new columns have no declared type');
  // Without remove_columns, the input's columns stay beside the new ones.
  const withN = ds.map((batch) => ({ n: batch.tokens.map((t) => t.length) }), { batched: true });
  assert.deepEqual(withN.get(3), { id: '3', tokens: ['w0', 'w1', 'w2', 'w3'], ner_tags: [1, 0, 0, 0], n: 4 });
  // A batch that changes the row count cannot keep input columns it does not return.
  assert.throws(
    () => ds.map((batch) => ({ n: [...batch.id, 'extra'].map(() => 1) }), { batched: true, batchSize: 4 }),
    (e: unknown) => e instanceof TokentagError && /rows 0\.\.3 gave 5 rows for 4, so the input columns 'id', 'tokens', 'ner_tags' cannot be kept/.test(e.message),
  );
  const asyncRows = await ds.map(async (r) => ({ n: r.tokens.length }));
  assert.equal(asyncRows.get(9).n, 10);
});

test('features of a tag column read as in Python: features["ner_tags"].feature.names; splits by name', () => {
  const dict = new DatasetDict({ train: make(), validation: make().select([1]) });
  const ner_feature = dict.train.features['ner_tags'];
  assert.deepEqual(ner_feature.feature.names, ['O', 'B-PER', 'I-PER']);
  assert.equal(dict['validation'].length, 1);
  assert.throws(() => dict.test, (e: unknown) => e instanceof TokentagError && /no split 'test' \(splits: train, validation\)/.test(e.message));
});

test('batched map gets column-oriented batches of batchSize and may change the row count', () => {
  const ds = make();
  const seen: number[][] = [];
  const out = ds.map(
    (batch, indices) => {
      seen.push(indices);
      assert.equal(batch.tokens.length, indices.length);
      assert.equal(batch.id[0], String(indices[0]));
      // Keep the rows with an odd index, twice.
      const keep = indices.map((_, j) => j).filter((j) => indices[j] % 2 === 1);
      return {
        id: keep.flatMap((j) => [batch.id[j] + 'a', batch.id[j] + 'b']),
        tokens: keep.flatMap((j) => [batch.tokens[j], batch.tokens[j]]),
        ner_tags: keep.flatMap((j) => [batch.ner_tags[j], batch.ner_tags[j]]),
      };
    },
    { batched: true, batchSize: 4 },
  );
  assert.deepEqual(seen, [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
  assert.deepEqual(out.column('id'), ['1a', '1b', '3a', '3b', '5a', '5b', '7a', '7b', '9a', '9b']);
  assert.equal(out.labels('ner_tags'), ner);
  assert.throws(() => ds.map(() => ({ id: ['x'], tokens: [] }), { batched: true }), /different lengths/);
  assert.throws(() => ds.map((b) => b, { batched: true, batchSize: 0 }), RangeError);
});

test('filter and select', () => {
  const ds = make();
  const long = ds.filter((r) => r.tokens.length > 7);
  assert.deepEqual(long.column('id'), ['7', '8', '9']);
  assert.equal(long.features, ds.features);
  assert.deepEqual(ds.select([9, 0, 9]).column('id'), ['9', '0', '9']);
  assert.throws(() => ds.select([10]), RangeError);
  assert.equal(ds.select([2]).get(0), ds.get(2), 'rows are shared, not copied');
});

test('shuffle is deterministic and a permutation', () => {
  const ds = make();
  const a = ds.shuffle(42).column('id');
  assert.deepEqual(a, ds.shuffle(42).column('id'));
  assert.notDeepEqual(a, ds.shuffle(43).column('id'));
  assert.notDeepEqual(a, ds.column('id'));
  assert.deepEqual([...a].sort(), [...ds.column('id')].sort());
});

test('trainTestSplit sizes follow HF (ceil of the test fraction)', () => {
  const ds = make();
  const split = ds.trainTestSplit({ testSize: 0.25, seed: 1 });
  assert.deepEqual(split.names, ['train', 'test']);
  assert.equal(split.get('test').length, 3);
  assert.equal(split.get('train').length, 7);
  const all = [...split.get('train').column('id'), ...split.get('test').column('id')].sort();
  assert.deepEqual(all, [...ds.column('id')].sort());
  assert.deepEqual(split.get('test').column('id'), ds.trainTestSplit({ testSize: 0.25, seed: 1 }).get('test').column('id'));
  const counted = ds.trainTestSplit({ testSize: 2, seed: 1 });
  assert.equal(counted.get('test').length, 2);
  const ordered = ds.trainTestSplit({ testSize: 0.2, seed: 0, shuffle: false });
  assert.deepEqual(ordered.get('test').column('id'), ['8', '9']);
  assert.throws(() => ds.trainTestSplit({ testSize: 10, seed: 1 }), RangeError);
  assert.throws(() => ds.trainTestSplit({ testSize: 0, seed: 1 }), RangeError);
  assert.throws(() => ds.trainTestSplit({ testSize: 1.5, seed: 1 }), RangeError);
});

test('DatasetDict keeps split order, maps and filters every split, names missing splits', () => {
  const dict = new DatasetDict({ train: make(), test: make().select([0, 1]) });
  assert.deepEqual(dict.names, ['train', 'test']);
  assert.ok(dict.has('test') && !dict.has('validation'));
  assert.throws(() => dict.get('validation'), (e: unknown) => e instanceof TokentagError && /no split 'validation' \(splits: train, test\)/.test(e.message));
  const short = dict.filter((r) => r.tokens.length < 3);
  assert.equal(short.get('train').length, 2);
  const upper = dict.map((r) => ({ ...r, tokens: r.tokens.map((t) => t.toUpperCase()) }));
  assert.equal(upper.get('test').get(1).tokens[1], 'W1');
  const batched = dict.map((b) => b, { batched: true, batchSize: 3 });
  assert.equal(batched.get('train').length, 10);
  assert.deepEqual([...dict].map(([name, ds]) => [name, ds.length]), [['train', 10], ['test', 2]]);
});

test('Dataset.from accepts any rows; features are optional', () => {
  const ds = Dataset.from([{ a: 1 }, { a: 2 }]);
  assert.deepEqual(ds.column('a'), [1, 2]);
  assert.deepEqual(ds.features, {});
  const typed = Dataset.from([{ text: 'x' }], { text: value('string') });
  assert.deepEqual(typed.features, { text: value('string') });
  assert.deepEqual(sequence(value('int64')), { kind: 'sequence', feature: { kind: 'value', dtype: 'int64' } });
});
