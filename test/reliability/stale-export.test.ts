// Item 2 of issue 16: a stale onnx/model.onnx never wins over the weights it no longer matches.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkExport, exportOnnx, loadTokenClassifier, saveTokenClassifier } from '../../src/models/index.ts';
import { runCli } from '../helpers/cli.ts';
import { makeTinyModel } from '../helpers/tiny-model.ts';

let root = '';
before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tokentag-stale-export-'));
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

const TEXTS = ['Ada Lovelace lived in London', 'Alan Turing met Ada in Zürich'];
async function predict(dir: string): Promise<{ out: string; err: string }> {
  const r = await runCli('predict', '--model', dir, '--sessions', '1', ...TEXTS);
  assert.equal(r.code, 0, r.err);
  return r;
}

/** A copy of `dir` without its export: what the weights predict. */
function weightsOnly(dir: string): string {
  const copy = `${dir}-weights`;
  fs.cpSync(dir, copy, { recursive: true });
  fs.rmSync(path.join(copy, 'onnx'), { recursive: true, force: true });
  return copy;
}

describe('a stale ONNX export', () => {
  it('predict runs the weights, with a note, when the export was made from other weights', async () => {
    const dir = await makeTinyModel(path.join(root, 'a'));
    exportOnnx(dir);
    assert.deepEqual(checkExport(dir), { status: 'current' });
    // New weights saved into the directory (as a training run would): the head is flipped.
    const { config, params } = loadTokenClassifier(dir);
    const w = params.get('classifier.weight')!.data as Float32Array;
    for (let i = 0; i < w.length; i++) w[i] = -w[i]!;
    saveTokenClassifier(dir, config, params);
    assert.equal(checkExport(dir).status, 'stale');
    const r = await predict(dir);
    assert.match(r.err, /onnx\/model\.onnx was exported from other weights than model\.safetensors: running the weights/);
    assert.equal(r.out, (await predict(weightsOnly(dir))).out);
  });

  it('an export with another label count than config.json is stale, even without a fingerprint', async () => {
    const dir = await makeTinyModel(path.join(root, 'b'));
    exportOnnx(dir);
    const { config, params } = loadTokenClassifier(dir, { id2label: ['O', 'B-PER', 'I-PER'], ignoreMismatchedSizes: true });
    saveTokenClassifier(dir, config, params);
    const check = checkExport(dir);
    assert.deepEqual(check, { status: 'stale', reason: 'has 5 labels but config.json has 3' });
  });

  it('an unchanged directory keeps using its export (a touched but identical weights file too)', async () => {
    const dir = await makeTinyModel(path.join(root, 'c'));
    exportOnnx(dir);
    const now = new Date();
    fs.utimesSync(path.join(dir, 'model.safetensors'), now, new Date(now.getTime() + 5000));
    assert.deepEqual(checkExport(dir), { status: 'current' });
    const r = await predict(dir);
    assert.doesNotMatch(r.err, /note/);
  });

  it('the fingerprint keeps exports deterministic: a copy of the model (other file times) exports the same bytes', async () => {
    const dir = await makeTinyModel(path.join(root, 'e'));
    const copy = path.join(root, 'e-copy');
    fs.cpSync(dir, copy, { recursive: true, preserveTimestamps: false });
    fs.utimesSync(path.join(copy, 'model.safetensors'), new Date(0), new Date(0));
    exportOnnx(dir);
    exportOnnx(copy);
    assert.deepEqual(fs.readFileSync(path.join(copy, 'onnx', 'model.onnx')), fs.readFileSync(path.join(dir, 'onnx', 'model.onnx')));
  });

  it('train into a directory with an export makes the export again from the new weights', async () => {
    const dir = await makeTinyModel(path.join(root, 'd'));
    exportOnnx(dir);
    const data = path.join(root, 'd.txt');
    fs.writeFileSync(data, 'Ada B-PER\nLovelace I-PER\nlived O\nin O\nLondon B-LOC\n\nAlan B-PER\nTuring I-PER\nin O\nNew B-LOC\nYork I-LOC\n\n');
    const before = fs.readFileSync(path.join(dir, 'onnx', 'model.onnx'));
    const t = await runCli('train', '--model', dir, '--dataset', data, '--output-dir', dir, '--overwrite-output-dir', '--max-steps', '3', '--learning-rate', '0.05', '--save-strategy', 'no');
    assert.equal(t.code, 0, t.err);
    assert.match(t.out, /re-exported .*model\.onnx from the new weights/);
    assert.notDeepEqual(fs.readFileSync(path.join(dir, 'onnx', 'model.onnx')), before);
    assert.deepEqual(checkExport(dir), { status: 'current' });
    assert.equal((await predict(dir)).out, (await predict(weightsOnly(dir))).out);
  });
});
