import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TokentagError } from '../../src/errors.ts';
import { evaluate, Seqeval, seqevalCompute } from '../../src/metrics/evaluate.ts';
import { syntheticNer } from '../../src/data/synthetic.ts';

test("evaluate.load('seqeval').compute gives the course's numbers for its fake prediction", () => {
  const metric = evaluate.load('seqeval');
  assert.ok(metric instanceof Seqeval);
  const labels = ['B-ORG', 'O', 'B-MISC', 'O', 'O', 'O', 'B-MISC', 'O', 'O'];
  const predictions = [...labels];
  predictions[2] = 'O';
  const r = metric.compute({ predictions: [predictions], references: [labels] });
  // {'MISC': {'precision': 1.0, 'recall': 0.5, 'f1': 0.67, 'number': 2}, 'ORG': {… 1.0 …}, 'overall_precision': 1.0, 'overall_recall': 0.67, 'overall_f1': 0.8, 'overall_accuracy': 0.89}
  assert.deepEqual(r.MISC, { precision: 1, recall: 0.5, f1: 2 / 3, number: 2 });
  assert.deepEqual(r.ORG, { precision: 1, recall: 1, f1: 1, number: 1 });
  assert.equal(r.overall_precision, 1);
  assert.equal(r.overall_recall, 2 / 3);
  assert.equal(Number(r.overall_f1.toFixed(2)), 0.8);
  assert.equal(Number(r.overall_accuracy.toFixed(2)), 0.89);
});

test('add_batch over several batches then compute() equals seqevalCompute on the whole, and starts afresh', () => {
  // Real-looking sequences: the synthetic corpus's tags, and a "prediction" with every 7th tag changed.
  const ds = syntheticNer({ train: 60, validation: 1, test: 1 }).get('train');
  const names = ds.labels('ner_tags').names;
  const references = ds.toArray().map((r) => r.ner_tags.map((t) => names[t]));
  const predictions = references.map((s, i) => s.map((t, j) => ((i + j) % 7 === 0 ? names[(names.indexOf(t) + 1) % names.length] : t)));
  const metric = evaluate.load('seqeval');
  for (let i = 0; i < predictions.length; i += 8) metric.add_batch({ predictions: predictions.slice(i, i + 8), references: references.slice(i, i + 8) });
  assert.equal(metric.pending, 60);
  const whole = seqevalCompute(predictions, references);
  assert.ok(whole.overall_f1 > 0.3 && whole.overall_f1 < 0.95, 'the test data is neither perfect nor useless');
  assert.deepEqual(metric.compute(), whole);
  assert.equal(metric.pending, 0);
  assert.throws(() => metric.compute(), /nothing to compute/);
  // A last batch given to compute() is scored with the kept ones.
  metric.add_batch({ predictions: predictions.slice(0, 30), references: references.slice(0, 30) });
  assert.deepEqual(metric.compute({ predictions: predictions.slice(30), references: references.slice(30) }), whole);
  // Options as evaluate spells them.
  metric.add({ prediction: ['I-PER', 'I-PER'], reference: ['B-PER', 'I-PER'] });
  assert.equal(metric.compute({ mode: 'strict', scheme: 'IOB2' }).overall_f1, 0);
  assert.equal(metric.compute({ predictions: [['I-PER', 'I-PER']], references: [['B-PER', 'I-PER']] }).overall_f1, 1);
});

test('predictions not aligned with their references are a clear error naming the fix', () => {
  const metric = evaluate.load('seqeval');
  const fails = (f: () => unknown, re: RegExp) => assert.throws(f, (e: unknown) => e instanceof TokentagError && re.test(e.message));
  fails(
    () => metric.add_batch({ predictions: [['O', 'B-PER']], references: [['O', 'B-PER', 'I-PER']] }),
    /the prediction of sentence 0 has 2 labels but its reference has 3; .*keep exactly the positions whose label is not -100 in both/,
  );
  fails(() => metric.add_batch({ predictions: [['O', 'B-PER'], ['O']], references: [['O', 'B-PER']] }), /2 predicted sentences but 1 references/);
  fails(
    () => metric.add_batch({ predictions: [[-100 as unknown as string, 'O']], references: [['O', 'O']] }),
    /the prediction of sentence 0 has -100 at position 0, not a label name; drop the positions whose label is -100/,
  );
  fails(() => metric.compute({ predictions: [['O']], references: [[3 as unknown as string]] }), /the reference of sentence 0 has 3 at position 0.*label_names\[id\]/);
  // A batch that failed is not kept; the sentence numbers count across batches.
  assert.equal(metric.pending, 0);
  metric.add_batch({ predictions: [['O']], references: [['O']] });
  fails(() => metric.add_batch({ predictions: [['O']], references: [['O', 'O']] }), /sentence 1 has 1 labels/);
  assert.throws(() => evaluate.load('accuracy' as 'seqeval'), /unknown metric "accuracy"/);
});
