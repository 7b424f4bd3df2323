import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Tensor } from '../../src/engine/tensor.ts';
import { TokentagError } from '../../src/errors.ts';
import { AutoModelForTokenClassification, PreTrainedModel } from '../../src/models/auto-model.ts';
import { loadTokenClassifier } from '../../src/models/checkpoint.ts';
import { CONLL2003_NER } from '../../src/data/labels.ts';
import { makeOfflineCourse } from '../../examples/course/offline.ts';

let dir = '';
let checkpoint = '';
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tokentag-automodel-'));
  checkpoint = (await makeOfflineCourse(dir, { train: 40, validation: 4, test: 4 })).checkpoint;
});
after(() => rmSync(dir, { recursive: true, force: true }));

const label_names = [...CONLL2003_NER];
const id2label = Object.fromEntries(label_names.map((label, i) => [i, label]));
const label2id = Object.fromEntries(label_names.map((label, i) => [label, i]));

test('from_pretrained(base checkpoint, { id2label, label2id }): a new head of that size, the labels in the config', async () => {
  const model = await AutoModelForTokenClassification.from_pretrained(checkpoint, { id2label, label2id });
  assert.ok(model instanceof PreTrainedModel);
  assert.equal(typeof model, 'function');
  assert.deepEqual(model.config.id2label, label_names);
  assert.deepEqual(model.config.label2id, label2id);
  assert.equal(model.num_labels, 9);
  assert.deepEqual(model.params.get('classifier.weight')!.dims, [9, 64]);
  assert.deepEqual(model.params.get('classifier.bias')!.dims, [9]);
  assert.deepEqual(model.report!.newlyInitialized, ['classifier.weight', 'classifier.bias']);
  // An array of names works as the dict does; three labels give a head of three rows.
  const three = await AutoModelForTokenClassification.from_pretrained(checkpoint, { id2label: ['O', 'B-X', 'I-X'] });
  assert.deepEqual(three.params.get('classifier.weight')!.dims, [3, 64]);
  // save_pretrained: config.json with id2label / label2id, loadable by the one loader.
  const out = join(dir, 'saved');
  model.save_pretrained(out);
  const json = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  assert.deepEqual(json.id2label, Object.fromEntries(label_names.map((l, i) => [String(i), l])));
  assert.equal(json.label2id['B-LOC'], 5);
  const again = loadTokenClassifier(out);
  assert.deepEqual(again.params.get('classifier.weight')!.data, model.params.get('classifier.weight')!.data);
  // A head of 9 labels cannot become one of 3 unless asked.
  await assert.rejects(AutoModelForTokenClassification.from_pretrained(out, { id2label: ['O', 'B-X', 'I-X'] }), /shape|mismatch/i);
  const replaced = await AutoModelForTokenClassification.from_pretrained(out, { id2label: ['O', 'B-X', 'I-X'], ignore_mismatched_sizes: true });
  assert.deepEqual(replaced.params.get('classifier.bias')!.dims, [3]);
});

test('label options that disagree are errors naming the label and the fix', async () => {
  const fails = (o: object, re: RegExp) =>
    assert.rejects(AutoModelForTokenClassification.from_pretrained(checkpoint, o), (e: unknown) => e instanceof TokentagError && re.test(e.message));
  await fails({ id2label, label2id: { ...label2id, 'B-FOO': 9 } }, /label2id names 'B-FOO', which is not in id2label \(O, B-PER, .*\); label2id must be id2label's inverse/);
  await fails({ id2label, label2id: { ...label2id, 'B-PER': 2 } }, /label2id\['B-PER'\] is 2 but id2label has 'B-PER' at 1/);
  const { 'I-MISC': _gone, ...short } = label2id;
  await fails({ id2label, label2id: short }, /label2id lacks 'I-MISC'/);
  await fails({ label2id }, /label2id needs id2label beside it/);
  await fails({ id2label: { 0: 'O', 2: 'B-PER' } }, /id2label: the ids must be 0\.\.1, found "2"/);
  await fails({ id2label: ['O', 'O'] }, /'O' is both label 0 and label 1/);
  await fails({ id2label, num_labels: 5 }, /num_labels is 5 but id2label has 9 labels/);
  const numbered = await AutoModelForTokenClassification.from_pretrained(checkpoint, { num_labels: 4 });
  assert.deepEqual(numbered.config.id2label, ['LABEL_0', 'LABEL_1', 'LABEL_2', 'LABEL_3']);
});

test('model(batch): logits [batch, tokens, num_labels], and the loss when the batch has labels', async () => {
  const model = await AutoModelForTokenClassification.from_pretrained(checkpoint, { id2label, label2id });
  const ids = (rows: number[][]) => new Tensor<'int64', 2>({ dtype: 'int64', dims: [rows.length, rows[0].length], data: BigInt64Array.from(rows.flat().map(BigInt)) });
  const batch = { input_ids: ids([[2, 10, 11, 3], [2, 12, 3, 0]]), attention_mask: ids([[1, 1, 1, 1], [1, 1, 1, 0]]) };
  const out = await model(batch);
  assert.deepEqual(out.logits.shape, [2, 4, 9]);
  assert.equal(out.loss, undefined);
  const withLabels = await model({ ...batch, labels: ids([[-100, 1, 2, -100], [-100, 0, -100, -100]]) });
  assert.ok(withLabels.loss! > 1 && withLabels.loss! < 4, `an untrained 9-way head: loss near ln 9, got ${withLabels.loss}`);
  assert.deepEqual(withLabels.logits.data, out.logits.data, 'dropout off: the same logits');
  await assert.rejects(model({} as never), /the batch needs input_ids/);
  await model.dispose();
});
