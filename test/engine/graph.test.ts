import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { tensor } from '../../src/engine/dtype.ts';
import { GraphBuilder, GraphError } from '../../src/engine/graph.ts';
import { saveModel, serializeModel } from '../../src/engine/onnx.ts';

function affine() {
  const b = new GraphBuilder('affine');
  const x = b.input('x', 'float32', ['batch', 3]);
  const w = b.initializer('w', tensor('float32', [3, 2], Float32Array.of(1, 2, 3, 4, 5, 6)));
  const bias = b.initializer('bias', tensor('float32', [2], Float32Array.of(0.5, -0.5)));
  b.output(b.add(b.matmul(x, w), bias), 'y');
  return b.build();
}

test('a value of another graph is refused, naming the op and the value', () => {
  const a = new GraphBuilder('a');
  const foreign = a.input('x', 'float32', [2]);
  const b = new GraphBuilder('b');
  b.input('y', 'float32', [2]);
  assert.throws(() => b.neg(foreign), (e: Error) => e instanceof GraphError && /Neg '.*': input 0 'x' is not a value of graph 'b'/.test(e.message));
});

test('a name used twice is refused', () => {
  const b = new GraphBuilder();
  b.input('x', 'float32', [2]);
  assert.throws(() => b.input('x', 'float32', [2]), /input 'x' is already defined/);
});

test('static shape checks name the op and both inputs', () => {
  const b = new GraphBuilder('m');
  const x = b.input('x', 'float32', [2, 3]);
  const y = b.input('y', 'float32', [4, 5]);
  assert.throws(() => b.matmul(x, y), (e: Error) => /MatMul '.*': inner dimensions differ: 3 and 4 \(inputs: 'x' float32\[2, 3\], 'y' float32\[4, 5\]\)/.test(e.message));
  assert.throws(() => b.add(x, y), /cannot broadcast dimension 2 with 4/);
  assert.throws(() => b.reshape(x, [4, 2]), /cannot reshape 6 elements to \[4, 2\]/);
});

test('symbolic dims flow through shape inference', () => {
  const b = new GraphBuilder();
  const x = b.input('x', 'float32', ['batch', 'seq', 8]);
  const w = b.input('w', 'float32', [8, 4]);
  const y = b.transpose(b.matmul(x, w), [1, 0, 2]);
  assert.deepEqual(y.shape, ['seq', 'batch', 4]);
  assert.deepEqual(b.reduceSum(y, [2], false).shape, ['seq', 'batch']);
});

test('a serialised graph round-trips through the ONNX protobuf and runs in ONNX Runtime', async () => {
  const g = affine();
  const { model, external } = serializeModel(g);
  assert.equal(external, undefined);
  const decoded = onnxProto.onnx.ModelProto.decode(model);
  assert.equal(Number(decoded.opsetImport[0]!.version), 17);
  assert.deepEqual(decoded.graph!.input!.map((i) => i.name), ['x']);
  assert.equal(decoded.graph!.input![0]!.type!.tensorType!.shape!.dim![0]!.dimParam, 'batch');
  assert.deepEqual(decoded.graph!.initializer!.map((i) => i.name), ['w', 'bias']);
  const s = await ort.InferenceSession.create(model);
  const r = await s.run({ x: new ort.Tensor('float32', Float32Array.of(1, 0, 0, 0, 1, 1), [2, 3]) });
  assert.deepEqual(Array.from(r.y!.data as Float32Array), [1.5, 1.5, 8.5, 9.5]);
  await s.release();
});

test('weights can live in an external data file (as graphs over 2 GiB must), and ORT loads them', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tokentag-onnx-'));
  try {
    const path = join(dir, 'model.onnx');
    saveModel(affine(), path, { externalData: true, externalThreshold: 0 });
    assert.deepEqual(readdirSync(dir).sort(), ['model.onnx', 'model.onnx_data']);
    const decoded = onnxProto.onnx.ModelProto.decode(readFileSync(path));
    const w = decoded.graph!.initializer!.find((i) => i.name === 'w')!;
    assert.equal(w.dataLocation, onnxProto.onnx.TensorProto.DataLocation.EXTERNAL);
    assert.equal(w.rawData!.length, 0);
    assert.ok(statSync(join(dir, 'model.onnx_data')).size >= 24 + 8);
    const s = await ort.InferenceSession.create(path);
    const r = await s.run({ x: new ort.Tensor('float32', Float32Array.of(1, 1, 1), [1, 3]) });
    assert.deepEqual(Array.from(r.y!.data as Float32Array), [9.5, 11.5]);
    await s.release();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('output renames are spelled without Identity copies, and the model still runs', async () => {
  const b = new GraphBuilder('rename');
  const x = b.input('x', 'float32', [2]);
  const y = b.add(x, b.scalar(1));
  b.output(b.mul(y, b.scalar(2)), 'doubled'); // a node output consumed by nobody else
  b.output(y, 'plus_one'); // a node output that another node also reads
  b.output(x, 'echo'); // a graph input: needs its Identity
  const decoded = onnxProto.onnx.ModelProto.decode(serializeModel(b.build()).model);
  const ops = decoded.graph!.node!.map((n) => n.opType);
  assert.deepEqual(ops.filter((o) => o === 'Identity').length, 1, ops.join(' '));
  const s = await ort.InferenceSession.create(serializeModel(b.build()).model);
  const r = await s.run({ x: new ort.Tensor('float32', Float32Array.of(1, 2), [2]) });
  assert.deepEqual(Array.from(r.doubled!.data as Float32Array), [4, 6]);
  assert.deepEqual(Array.from(r.plus_one!.data as Float32Array), [2, 3]);
  assert.deepEqual(Array.from(r.echo!.data as Float32Array), [1, 2]);
  await s.release();
});
