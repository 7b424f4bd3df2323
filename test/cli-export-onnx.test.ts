// `tokentag export onnx` end to end through main(), on copies of the reference fixtures.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { main } from '../src/cli/main.ts';
import { runCli } from './helpers/cli.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'models');
const root = fs.mkdtempSync(join(tmpdir(), 'tokentag-cli-export-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

function copyFixture(name: string, as = name): string {
  const dir = join(root, as);
  fs.cpSync(join(FIXTURES, name), dir, { recursive: true });
  return dir;
}

const run = (...argv: string[]) => runCli('export', 'onnx', ...argv);

test('exports DIR/onnx/model.onnx and prints path, size, inputs and outputs', async () => {
  const dir = copyFixture('bert');
  const r = await run('--model', dir);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.err, '');
  const file = join(dir, 'onnx', 'model.onnx');
  const size = fs.statSync(file).size;
  assert.equal(
    r.out,
    [
      `wrote ${file} (${(size / 1024).toFixed(1)} KiB, ${size} bytes)`,
      'model: bert, 5 labels, ONNX opset 17',
      'inputs:',
      '  input_ids       int64    [batch_size, sequence_length]',
      '  attention_mask  int64    [batch_size, sequence_length]',
      '  token_type_ids  int64    [batch_size, sequence_length]',
      'outputs:',
      '  logits          float32  [batch_size, sequence_length, 5]',
      '',
    ].join('\n'),
  );
  const session = await ort.InferenceSession.create(file);
  assert.deepEqual(session.inputNames, ['input_ids', 'attention_mask', 'token_type_ids']);
  assert.deepEqual(session.outputNames, ['logits']);
  await session.release();
});

test('--output FILE writes there; --json prints the result; DistilBERT has no token_type_ids', async () => {
  const dir = copyFixture('distilbert');
  const out = join(root, 'out', 'distil.onnx');
  const r = await run('--model', dir, '--output', out, '--json');
  assert.equal(r.code, 0, r.err);
  const result = JSON.parse(r.out);
  assert.equal(result.file, out);
  assert.equal(result.bytes, fs.statSync(out).size);
  assert.deepEqual(result.inputs.map((i: { name: string }) => i.name), ['input_ids', 'attention_mask']);
  assert.deepEqual(result.outputs, [{ name: 'logits', dtype: 'float32', dims: ['batch_size', 'sequence_length', 5] }]);
  assert.ok(!fs.existsSync(join(dir, 'onnx')));
});

test('--external-data writes and reports model.onnx_data', async () => {
  const dir = copyFixture('roberta');
  const r = await run('--model', dir, '--external-data');
  assert.equal(r.code, 0, r.err);
  const data = join(dir, 'onnx', 'model.onnx_data');
  assert.match(r.out, new RegExp(`^wrote ${data.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(.* KiB, ${fs.statSync(data).size} bytes\\)$`, 'm'));
});

test('--help prints the usage', async () => {
  const r = await run('--help');
  assert.equal(r.code, 0);
  assert.match(r.out, /^Usage: tokentag export onnx --model DIR/);
  assert.match(r.out, /--output FILE/);
  assert.match(r.out, /token_type_ids/);
});

test('the command is listed in tokentag --help', async () => {
  let out = '';
  const code = await main(['--help'], { out: (t) => void (out += t), err: () => {} });
  assert.equal(code, 0);
  assert.match(out, /^ {2}export onnx +Export a model directory to ONNX/m);
});

test('bad command lines are usage errors (exit 2)', async () => {
  for (const argv of [[], ['--modle', 'x'], ['--model'], ['--model', 'x', 'extra'], ['--model', 'x', '--output', '']]) {
    const r = await run(...argv);
    assert.equal(r.code, 2, `${argv.join(' ')}: ${r.err}`);
    assert.match(r.err, /^tokentag export onnx: .*\n\(see 'tokentag export onnx --help'\)\n$/);
    assert.equal(r.out, '');
  }
});

test('a directory without config.json or weights: exit 1 with the path, no stack', async () => {
  const empty = join(root, 'empty');
  fs.mkdirSync(empty);
  let r = await run('--model', empty);
  assert.equal(r.code, 1);
  assert.equal(r.err, `tokentag export onnx: ${join(empty, 'config.json')}: no such file (a model directory needs config.json and model.safetensors)\n`);

  const noWeights = join(root, 'no-weights');
  fs.mkdirSync(noWeights);
  fs.copyFileSync(join(FIXTURES, 'electra', 'config.json'), join(noWeights, 'config.json'));
  r = await run('--model', noWeights);
  assert.equal(r.code, 1);
  assert.match(r.err, new RegExp(`^tokentag export onnx: ${noWeights.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: no model weights found`));
  assert.ok(!fs.existsSync(join(noWeights, 'onnx')));
});
