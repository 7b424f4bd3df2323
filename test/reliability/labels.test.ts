// Item 1 of issue 16: labels are mapped by name when fine-tuning and scoring, never by position.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadTokenClassifier } from '../../src/models/index.ts';
import { labelIdsByName, loadForLabels, mapLabelsByName, remapHead } from '../../src/train/label-map.ts';
import { runCli } from '../helpers/cli.ts';
import { makeTinyModel } from '../helpers/tiny-model.ts';

let root = '';
let model = '';
before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tokentag-labels-'));
  model = await makeTinyModel(path.join(root, 'model')); // id2label: O, B-PER, I-PER, B-LOC, I-LOC
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

// The dataset's labels are sorted (O, B-LOC, I-LOC, B-PER, I-PER): the model's set in another order.
const CONLL = 'Ada B-PER\nLovelace I-PER\nlived O\nin O\nNew B-LOC\nLondon I-LOC\n\nAlan B-PER\nTuring I-PER\nwent O\nto O\nthe O\ncity O\nof O\nParis B-LOC\n\n';
const ROWS = ['Ada Lovelace lived in London', 'Alan Turing met Ada in Zürich', 'the city of Berlin and Paris'];

async function predictions(dir: string): Promise<string> {
  const input = path.join(root, 'input.jsonl');
  fs.writeFileSync(input, ROWS.map((r) => JSON.stringify({ tokens: r.split(' ') })).join('\n') + '\n');
  const r = await runCli('predict', '--model', dir, '--input', input, '--format', 'conll', '--sessions', '1');
  assert.equal(r.code, 0, r.err);
  return r.out;
}

describe('labels mapped by name', () => {
  it('train: the same labels in another order keep their meaning (learning rate 0 changes nothing)', async () => {
    const data = path.join(root, 'reordered.txt');
    fs.writeFileSync(data, CONLL);
    const out = path.join(root, 'ft');
    const r = await runCli('train', '--model', model, '--dataset', data, '--max-steps', '1', '--learning-rate', '0', '--output-dir', out, '--save-strategy', 'no');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /are the model's in another order; they are mapped by name/);
    const saved = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
    assert.deepEqual(Object.values(saved.id2label), ['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC'], "the model's order is kept");
    assert.equal(await predictions(out), await predictions(model));
  });

  it('train: a dataset with some of the model\'s labels keeps all of them, mapped by name', async () => {
    const data = path.join(root, 'subset.txt');
    fs.writeFileSync(data, 'Ada B-PER\nLovelace I-PER\nlived O\nin O\nLondon B-LOC\n\n');
    const out = path.join(root, 'ft-subset');
    const r = await runCli('train', '--model', model, '--dataset', data, '--max-steps', '1', '--learning-rate', '0', '--output-dir', out, '--save-strategy', 'no');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /are 4 of the model's 5; .*not in the data: I-LOC/);
    assert.equal(await predictions(out), await predictions(model));
  });

  it('evaluate: a dataset listing the labels in another order scores like one in the model order', async () => {
    // The same sentences twice: as JSON Lines with integer ids over the labels sorted
    // (O, B-LOC, I-LOC, B-PER, I-PER), and over the model's order (O, B-PER, I-PER, B-LOC, I-LOC).
    const sentences = CONLL.trim().split('\n\n').map((s) => s.split('\n').map((l) => l.split(' ')));
    const score = async (name: string, order: string[]) => {
      const file = path.join(root, name);
      fs.writeFileSync(file, sentences.map((s) => JSON.stringify({ tokens: s.map((w) => w[0]), ner_tags: s.map((w) => order.indexOf(w[1]!)) })).join('\n') + '\n');
      const r = await runCli('evaluate', '--model', model, '--dataset', file, '--labels', order.join(','), '--split', 'train', '--json');
      assert.equal(r.code, 0, r.err);
      return JSON.parse(r.out);
    };
    const sorted = await score('eval-sorted.jsonl', ['O', 'B-LOC', 'I-LOC', 'B-PER', 'I-PER']);
    const modelOrder = await score('eval-model-order.jsonl', ['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC']);
    assert.deepEqual(sorted, modelOrder);
  });

  it('another label set: labels the model knows keep their head rows, new ones get fresh rows', async () => {
    const loaded = loadForLabels(model, ['O', 'B-LOC', 'I-LOC', 'B-ORG', 'I-ORG'], { seed: 7 });
    assert.equal(loaded.mapping.kind, 'different');
    assert.deepEqual(loaded.config.id2label, ['O', 'B-LOC', 'I-LOC', 'B-ORG', 'I-ORG']);
    const before = loadTokenClassifier(model).params;
    const oldW = before.get('classifier.weight')!;
    const newW = loaded.params.get('classifier.weight')!;
    const H = oldW.dims[1];
    const row = (t: typeof oldW, i: number) => [...t.data.subarray(i * H, (i + 1) * H)];
    assert.deepEqual(row(newW, 1), row(oldW, 3), 'B-LOC keeps its row');
    assert.deepEqual(row(newW, 0), row(oldW, 0), 'O keeps its row');
    assert.notDeepEqual(row(newW, 3), row(oldW, 1), "B-ORG does not inherit B-PER's row by position");
    assert.equal(loaded.params.get('classifier.bias')!.data[3], 0);
  });

  it('another label count needs --ignore-mismatched-sizes, named as the flag', async () => {
    const data = path.join(root, 'three.txt');
    fs.writeFileSync(data, 'Ada B-PER\nLovelace I-PER\nlived O\nat O\nAcme B-ORG\n\n');
    const r = await runCli('train', '--model', model, '--dataset', data, '--max-steps', '1', '--output-dir', path.join(root, 'three'));
    assert.equal(r.code, 1);
    assert.match(r.err, /head has 5 labels .* but the dataset has 4 .*pass --ignore-mismatched-sizes/);
    assert.doesNotMatch(r.err, /ignoreMismatchedSizes/);
  });
});

describe('mapLabelsByName', () => {
  it('same, reordered, different, unnamed', () => {
    assert.equal(mapLabelsByName(['O', 'B-X'], ['O', 'B-X']).kind, 'same');
    assert.deepEqual(mapLabelsByName(['O', 'B-X', 'I-X'], ['O', 'I-X', 'B-X']), { kind: 'reordered', labels: ['O', 'B-X', 'I-X'], datasetToModel: [0, 2, 1] });
    assert.deepEqual(mapLabelsByName(['O', 'B-X', 'I-X'], ['O', 'B-Y', 'B-X']), {
      kind: 'different',
      labels: ['O', 'B-Y', 'B-X'],
      rowFrom: [0, -1, 1],
      added: ['B-Y'],
      dropped: ['I-X'],
    });
    assert.deepEqual(mapLabelsByName(['LABEL_0', 'LABEL_1'], ['B-X', 'O']), { kind: 'unnamed', labels: ['B-X', 'O'] });
  });

  it('labelIdsByName: dataset ids → model ids; a label the model lacks is an error naming it', () => {
    assert.deepEqual(labelIdsByName(['O', 'B-PER', 'I-PER'], ['O', 'I-PER']), [0, 2]);
    assert.throws(() => labelIdsByName(['O', 'B-PER'], ['O', 'B-ORG']), /'B-ORG' is not one of the model's labels \(O, B-PER\)/);
  });

  it('remapHead copies rows by the map and leaves the encoder shared', () => {
    const { config, params } = loadTokenClassifier(model);
    const r = remapHead(config, params, [4, 3, 2, 1, 0], ['I-LOC', 'B-LOC', 'I-PER', 'B-PER', 'O']);
    assert.deepEqual([...r.params.get('classifier.bias')!.data], [...params.get('classifier.bias')!.data].reverse());
    assert.equal(r.params.get('bert.embeddings.word_embeddings.weight'), params.get('bert.embeddings.word_embeddings.weight'));
  });
});
