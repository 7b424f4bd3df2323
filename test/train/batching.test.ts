import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Rng } from '../../src/data/rng.ts';
import { TokentagError } from '../../src/errors.ts';
import { batches, collate, lengthGroupedIndices, paddedLength, planBatches, type EncodedFeature } from '../../src/train/index.ts';

const rows = (t: { dims: readonly number[]; data: BigInt64Array }): number[][] => {
  const [b, l] = t.dims;
  return Array.from({ length: b }, (_, r) => Array.from(t.data.subarray(r * l, (r + 1) * l), Number));
};

const f3: EncodedFeature[] = [
  { inputIds: [101, 7, 8, 102], labels: [-100, 1, 2, -100] },
  { inputIds: [101, 9, 102], labels: [-100, 0, -100] },
  { inputIds: [101, 102], labels: [-100, -100] },
];

test('pads to the longest feature on the right, labels with -100, int64 tensors', () => {
  const b = collate(f3);
  assert.equal(b.input_ids.dtype, 'int64');
  assert.ok(b.input_ids.data instanceof BigInt64Array);
  assert.deepEqual(b.input_ids.dims, [3, 4]);
  assert.deepEqual(rows(b.input_ids), [[101, 7, 8, 102], [101, 9, 102, 0], [101, 102, 0, 0]]);
  assert.deepEqual(rows(b.attention_mask), [[1, 1, 1, 1], [1, 1, 1, 0], [1, 1, 0, 0]]);
  assert.deepEqual(rows(b.labels!), [[-100, 1, 2, -100], [-100, 0, -100, -100], [-100, -100, -100, -100]]);
  assert.equal(b.token_type_ids, undefined);
  assert.deepEqual(Object.keys(b), ['input_ids', 'attention_mask', 'labels']);
});

test('padTokenId, labelPadTokenId, token_type_ids and a given attention mask', () => {
  const b = collate(
    [
      { inputIds: [0, 5, 2], attentionMask: [1, 1, 1], tokenTypeIds: [0, 0, 1], labels: [-100, 3, -100] },
      { inputIds: [0, 2], attentionMask: [1, 0], tokenTypeIds: [0, 1], labels: [-100, -100] },
    ],
    { padTokenId: 1, labelPadTokenId: -1, padTokenTypeId: 0 },
  );
  assert.deepEqual(rows(b.input_ids), [[0, 5, 2], [0, 2, 1]]);
  assert.deepEqual(rows(b.attention_mask), [[1, 1, 1], [1, 0, 0]]);
  assert.deepEqual(rows(b.token_type_ids!), [[0, 0, 1], [0, 1, 0]]);
  assert.deepEqual(rows(b.labels!), [[-100, 3, -100], [-100, -100, -1]]);
});

test('left padding pads ids, mask and labels on the left', () => {
  const b = collate(f3, { paddingSide: 'left', padTokenId: 9 });
  assert.deepEqual(rows(b.input_ids), [[101, 7, 8, 102], [9, 101, 9, 102], [9, 9, 101, 102]]);
  assert.deepEqual(rows(b.attention_mask), [[1, 1, 1, 1], [0, 1, 1, 1], [0, 0, 1, 1]]);
  assert.deepEqual(rows(b.labels!), [[-100, 1, 2, -100], [-100, -100, 0, -100], [-100, -100, -100, -100]]);
});

test('padToMultipleOf rounds the length up (and leaves a multiple alone); max_length pads to maxLength', () => {
  assert.deepEqual(collate(f3, { padToMultipleOf: 8 }).input_ids.dims, [3, 8]);
  assert.deepEqual(collate(f3, { padToMultipleOf: 4 }).input_ids.dims, [3, 4]);
  assert.deepEqual(collate(f3, { padToMultipleOf: 3 }).input_ids.dims, [3, 6]);
  const m = collate(f3, { padding: 'max_length', maxLength: 6 });
  assert.deepEqual(m.input_ids.dims, [3, 6]);
  assert.deepEqual(rows(m.labels!)[2], [-100, -100, -100, -100, -100, -100]);
  assert.deepEqual(collate(f3, { padding: 'max_length', maxLength: 5, padToMultipleOf: 8 }).labels!.dims, [3, 8]);
  assert.equal(paddedLength(17, { padToMultipleOf: 16 }), 32);
  assert.equal(paddedLength(16, { padToMultipleOf: 16 }), 16);
});

test('features without labels give a batch without labels', () => {
  const b = collate([{ inputIds: [1, 2, 3] }, { inputIds: [4] }]);
  assert.equal(b.labels, undefined);
  assert.deepEqual(rows(b.input_ids), [[1, 2, 3], [4, 0, 0]]);
  assert.deepEqual(Object.keys(b), ['input_ids', 'attention_mask']);
});

test('negative and large int32 values survive the int64 encoding', () => {
  const big = 2 ** 31 - 1;
  const b = collate([{ inputIds: [big, -5, 0], labels: [-(2 ** 31), 8, -100] }]);
  assert.deepEqual([...b.input_ids.data], [BigInt(big), -5n, 0n]);
  assert.deepEqual([...b.labels!.data], [-(2n ** 31n), 8n, -100n]);
});

test('errors name the feature and the field', () => {
  const err = (fn: () => unknown, re: RegExp) => assert.throws(fn, (e: unknown) => e instanceof TokentagError && re.test(e.message));
  err(() => collate([]), /empty/);
  err(() => collate([f3[0], { inputIds: [1, 2], labels: [0] }]), /^feature 1: labels has 1 values but inputIds has 2/);
  err(() => collate([{ inputIds: [1, 2], attentionMask: [1] }]), /^feature 0: attentionMask has 1/);
  err(() => collate([{ inputIds: [1], tokenTypeIds: [0] }, { inputIds: [1], tokenTypeIds: [0, 0] }]), /^feature 1: tokenTypeIds/);
  err(() => collate([f3[0], f3[1], { inputIds: [1] }]), /feature 2 has no labels but feature 0 does/);
  err(() => collate([{ inputIds: [1] }, f3[0]]), /feature 1 has labels but feature 0 does not/);
  err(() => collate([{ inputIds: [1], tokenTypeIds: [0] }, { inputIds: [1] }]), /feature 1 has no tokenTypeIds/);
  err(() => collate([{ inputIds: [1, 2.5] }]), /feature 0: inputIds\[1\] is 2.5/);
  err(() => collate([{ inputIds: [1] }, { inputIds: [2 ** 40] }]), /feature 1: inputIds\[0\]/);
  err(() => collate(f3, { padding: 'max_length' }), /needs maxLength/);
  err(() => collate(f3, { padding: 'max_length', maxLength: 3 }), /4 tokens, more than maxLength 3/);
  err(() => collate(f3, { maxLength: 8 }), /only applies with padding: 'max_length'/);
  assert.throws(() => collate(f3, { padToMultipleOf: 0 }), RangeError);
});

const many: EncodedFeature[] = Array.from({ length: 103 }, (_, i) => ({
  inputIds: Array.from({ length: 1 + ((i * 37) % 29) }, (_, k) => k + 1),
  labels: Array.from({ length: 1 + ((i * 37) % 29) }, () => 0),
}));
const lengths = many.map((f) => f.inputIds.length);
const flat = (p: { batches: readonly (readonly number[])[] }) => p.batches.flat();

test('without shuffle, batches follow dataset order; the last batch is short; nothing dropped', () => {
  const it = batches(many, { batchSize: 10 });
  assert.equal(it.length, 11);
  assert.deepEqual(it.dropped, []);
  const all = [...it];
  assert.deepEqual(all.flatMap((b) => b.indices), [...Array(103).keys()]);
  assert.equal(all[10].indices.length, 3);
  assert.deepEqual(all[10].tensors.input_ids.dims, [3, Math.max(...lengths.slice(100))]);
  // iterable twice, same batches
  assert.deepEqual([...it].map((b) => b.indices), all.map((b) => b.indices));
});

test('dropLast drops only the incomplete last batch and reports it', () => {
  const it = batches(many, { batchSize: 10, dropLast: true, shuffle: true, seed: 3 });
  assert.equal(it.length, 10);
  assert.equal(it.dropped.length, 3);
  const seen = [...it].flatMap((b) => b.indices);
  assert.deepEqual([...seen, ...it.dropped].sort((a, b) => a - b), [...Array(103).keys()]);
  assert.deepEqual(batches(many.slice(0, 100), { batchSize: 10, dropLast: true }).dropped, []);
});

test('shuffling is deterministic per seed and epoch, and differs between epochs', () => {
  const a = flat(planBatches(lengths, { batchSize: 8, shuffle: true, seed: 42, epoch: 0 }));
  const b = flat(planBatches(lengths, { batchSize: 8, shuffle: true, seed: 42, epoch: 0 }));
  const c = flat(planBatches(lengths, { batchSize: 8, shuffle: true, seed: 42, epoch: 1 }));
  const d = flat(planBatches(lengths, { batchSize: 8, shuffle: true, seed: 7, epoch: 0 }));
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.notDeepEqual(a, d);
  // seed + epoch, as HF's seedable sampler
  assert.deepEqual(c, flat(planBatches(lengths, { batchSize: 8, shuffle: true, seed: 43 })));
  // pinned: if this changes, every user's training order changes
  assert.deepEqual(flat(planBatches([1, 1, 1, 1, 1, 1, 1, 1, 1, 1], { batchSize: 4, shuffle: true, seed: 42 })), [3, 7, 4, 8, 2, 0, 9, 6, 5, 1]);
});

test('every feature appears exactly once per epoch (property)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 1, max: 64 }), { maxLength: 300 }),
      fc.integer({ min: 1, max: 40 }),
      fc.integer({ min: 0, max: 2 ** 31 }),
      fc.integer({ min: 0, max: 20 }),
      fc.boolean(),
      fc.boolean(),
      (ls, batchSize, seed, epoch, shuffle, groupByLength) => {
        const plan = planBatches(ls, { batchSize, seed, epoch, shuffle, groupByLength });
        assert.deepEqual(flat(plan).sort((a, b) => a - b), [...ls.keys()]);
        assert.ok(plan.batches.every((b, i) => b.length === batchSize || (i === plan.batches.length - 1 && b.length > 0)));
        assert.equal(plan.batches.length, Math.ceil(ls.length / batchSize));
      },
    ),
  );
});

test('groupByLength: longest feature in the first batch, megabatches sorted by decreasing length', () => {
  const rng = new Rng(5);
  const ls = Array.from({ length: 2000 }, () => 1 + rng.nextInt(100));
  const batchSize = 8;
  const order = flat(planBatches(ls, { batchSize, groupByLength: true, seed: 1 }));
  const max = Math.max(...ls);
  assert.equal(ls[order[0]], max);
  // default megabatch: min(2000 / 32, 50) = 50 batches of 8 = 400 features
  const size = 400;
  for (let m = 0; m < order.length; m += size) {
    const mb = order.slice(m, m + size).map((i) => ls[i]);
    // the first element may be the swapped-in global maximum; the rest is non-increasing
    for (let k = 2; k < mb.length; k++) assert.ok(mb[k - 1] >= mb[k], `megabatch ${m / size} not sorted at ${k}`);
  }
  // similar lengths: far less padding than a plain shuffle
  const pad = (o: number[]) => {
    let cells = 0;
    for (let i = 0; i < o.length; i += batchSize) cells += batchSize * Math.max(...o.slice(i, i + batchSize).map((j) => ls[j]));
    return cells;
  };
  const shuffled = flat(planBatches(ls, { batchSize, shuffle: true, seed: 1 }));
  assert.ok(pad(order) < 0.8 * pad(shuffled), `grouped ${pad(order)} vs shuffled ${pad(shuffled)}`);
  // the first batch is the longest batch
  const firstMax = Math.max(...order.slice(0, batchSize).map((i) => ls[i]));
  for (let i = 0; i < order.length; i += batchSize) assert.ok(Math.max(...order.slice(i, i + batchSize).map((j) => ls[j])) <= firstMax);
  // deterministic per seed + epoch
  assert.deepEqual(order, flat(planBatches(ls, { batchSize, groupByLength: true, seed: 1 })));
  assert.notDeepEqual(order, flat(planBatches(ls, { batchSize, groupByLength: true, seed: 1, epoch: 1 })));
});

test('lengthGroupedIndices matches HF on a hand-checked case', () => {
  // The permutation of 10 for seed 42 is [3, 7, 4, 8, 2, 0, 9, 6, 5, 1] (pinned in rng.test.ts).
  const ls = [5, 1, 9, 2, 7, 3, 8, 4, 6, 10];
  // megabatchMult 1, batchSize 4: megabatches [3,7,4,8] [2,0,9,6] [5,1]
  // sorted by decreasing length: [4,8,7,3] (7,6,4,2) [9,2,6,0] (10,9,8,5) [5,1] (3,1)
  // the global longest (index 9, length 10) swaps places with the first of megabatch 0 (index 4)
  assert.deepEqual(lengthGroupedIndices(ls, 4, new Rng(42), 1), [9, 8, 7, 3, 4, 2, 6, 0, 5, 1]);
  // default mult for tiny data is 1; ties keep permutation order (stable sort)
  assert.deepEqual(lengthGroupedIndices([1, 1, 1, 1, 1, 1, 1, 1, 1, 1], 4, new Rng(42)), [3, 7, 4, 8, 2, 0, 9, 6, 5, 1]);
  assert.deepEqual(lengthGroupedIndices([], 4, new Rng(42)), []);
});

test('batches() checks its options up front', () => {
  assert.throws(() => batches(many, { batchSize: 0 }), RangeError);
  assert.throws(() => batches(many, { batchSize: 2.5 }), RangeError);
  assert.throws(() => batches(many, { batchSize: 4, epoch: -1 }), RangeError);
  assert.throws(() => batches(many, { batchSize: 4, maxLength: 8 }), TokentagError);
  assert.equal(batches([], { batchSize: 4 }).length, 0);
});
