// classification_report (text and dict) and the evaluate "seqeval" dictionary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  classificationReportDict,
  classificationReportRows,
  classificationReportText,
  seqevalCompute,
  seqevalTypes,
  type MetricWarning,
} from '../../src/metrics/index.ts';

const Y_TRUE = [['O', 'O', 'O', 'B-MISC', 'I-MISC', 'I-MISC', 'O'], ['B-PER', 'I-PER', 'O']];
const Y_PRED = [['O', 'O', 'B-MISC', 'I-MISC', 'I-MISC', 'I-MISC', 'O'], ['B-PER', 'I-PER', 'O']];

test('text report of the seqeval README example, byte for byte', () => {
  const expected = [
    '              precision    recall  f1-score   support',
    '',
    '        MISC       0.00      0.00      0.00         1',
    '         PER       1.00      1.00      1.00         1',
    '',
    '   micro avg       0.50      0.50      0.50         2',
    '   macro avg       0.50      0.50      0.50         2',
    'weighted avg       0.50      0.50      0.50         2',
    '',
  ].join('\n');
  assert.equal(classificationReportText(Y_TRUE, Y_PRED), expected);
  assert.equal(classificationReportText(Y_TRUE, Y_PRED, { mode: 'strict', scheme: 'IOB2' }), expected);
  assert.equal(classificationReportText(Y_TRUE, Y_PRED, { mode: 'strict' }), expected); // auto-detected IOB2
});

test('digits and long type names widen the columns as seqeval does', () => {
  const text = classificationReportText([['B-VERY_LONG_TYPE_NAME', 'O']], [['B-VERY_LONG_TYPE_NAME', 'O']], { digits: 4 });
  const lines = text.split('\n');
  assert.equal(lines[0], `${' '.repeat(19)}  precision    recall  f1-score   support`);
  assert.equal(lines[2], 'VERY_LONG_TYPE_NAME     1.0000    1.0000    1.0000         1');
  assert.equal(lines[4], '          micro avg     1.0000    1.0000    1.0000         1');
  // width = max(name, 12, digits): digits 14 makes it 14 wide.
  const wide = classificationReportText([['B-X']], [['B-X']], { digits: 14 }).split('\n');
  assert.equal(wide[2], '             X  1.00000000000000 1.00000000000000 1.00000000000000         1');
});

test('dict report: seqeval keys and values', () => {
  const d = classificationReportDict(Y_TRUE, Y_PRED);
  assert.deepEqual(Object.keys(d), ['MISC', 'PER', 'micro avg', 'macro avg', 'weighted avg']);
  assert.deepEqual(d.MISC, { precision: 0, recall: 0, 'f1-score': 0, support: 1 });
  assert.deepEqual(d['weighted avg'], { precision: 0.5, recall: 0.5, 'f1-score': 0.5, support: 2 });
});

test('strict report auto-detects the scheme and differs from the strict f1 (seqeval inconsistency)', () => {
  const d = classificationReportDict([['B-NP', 'I-NP', 'O']], [['I-NP', 'I-NP', 'O']], { mode: 'strict' });
  assert.deepEqual(d.NP, { precision: 0, recall: 0, 'f1-score': 0, support: 1 });
  assert.throws(() => classificationReportDict([['O']], [['O']], { mode: 'strict' }), /This scheme is not supported/);
});

test('report warnings name the labels, each message once', () => {
  const warnings: MetricWarning[] = [];
  classificationReportDict([['B-PER', 'B-LOC']], [['B-PER', 'O']], { onWarning: (w) => warnings.push(w) });
  assert.deepEqual(warnings.map((w) => w.message), [
    'Precision and F-score are ill-defined and being set to 0.0 in labels with no predicted samples. Use `zero_division` parameter to control this behavior.',
  ]);
});

test('no entities at all: macro is NaN, text report still renders (seqeval crashes there)', () => {
  const d = classificationReportDict([['O']], [['O']]);
  assert.deepEqual(Object.keys(d), ['micro avg', 'macro avg', 'weighted avg']);
  assert.ok(Number.isNaN(d['macro avg'].precision));
  const text = classificationReportText([['O']], [['O']]);
  assert.equal(text.split('\n')[4], '   macro avg        nan       nan       nan         0');
});

test('rows keep seqeval order even for integer-like type names', () => {
  const { rows, typeCount } = classificationReportRows([['B-2', 'B-10', 'B-A']], [['B-2', 'O', 'O']]);
  assert.equal(typeCount, 3);
  assert.deepEqual(rows.map((r) => r[0]), ['10', '2', 'A', 'micro avg', 'macro avg', 'weighted avg']);
});

test('evaluate seqeval dictionary (docstring example of evaluate)', () => {
  const r = seqevalCompute(Y_PRED, Y_TRUE); // predictions first, like evaluate
  assert.deepEqual(Object.keys(r), ['MISC', 'PER', 'overall_precision', 'overall_recall', 'overall_f1', 'overall_accuracy']);
  assert.deepEqual(r.PER, { precision: 1, recall: 1, f1: 1, number: 1 });
  assert.deepEqual(r.MISC, { precision: 0, recall: 0, f1: 0, number: 1 });
  assert.equal(r.overall_f1, 0.5);
  assert.equal(r.overall_precision, 0.5);
  assert.equal(r.overall_recall, 0.5);
  assert.equal(r.overall_accuracy, 0.8);
  assert.deepEqual(seqevalTypes(r).map(([t]) => t), ['MISC', 'PER']);
});

test('evaluate dictionary in strict mode and with suffix tags', () => {
  const r = seqevalCompute([['I-NP', 'I-NP', 'O']], [['B-NP', 'I-NP', 'O']], { mode: 'strict', scheme: 'IOB2' });
  assert.equal(r.overall_f1, 0);
  assert.deepEqual(r.NP, { precision: 0, recall: 0, f1: 0, number: 1 });
  const s = seqevalCompute([['PER-B', 'PER-I']], [['PER-B', 'PER-I']], { suffix: true });
  assert.deepEqual(s.PER, { precision: 1, recall: 1, f1: 1, number: 1 });
  assert.equal(s.overall_accuracy, 1);
});
