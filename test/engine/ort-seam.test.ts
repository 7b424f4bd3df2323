/**
 * The ONNX Runtime seam: ort.ts (onnxruntime-node) and ort-web.ts (onnxruntime-web, which the
 * browser build puts in its place) export the same names, and both run the same graph.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as nodeSeam from '../../src/engine/ort.ts';
import * as webSeam from '../../src/engine/ort-web.ts';
import { GraphBuilder, int } from '../../src/engine/graph.ts';
import { serializeModel } from '../../src/engine/onnx.ts';

// A type-level check too: the web module must be assignable to the Node one's shape.
const asNode: Omit<typeof nodeSeam, 'RUNTIME'> = webSeam;

describe('the ONNX Runtime seam', () => {
  it('ort.ts and ort-web.ts export the same names', () => {
    assert.deepEqual(Object.keys(webSeam).sort(), Object.keys(nodeSeam).sort());
    assert.equal(nodeSeam.RUNTIME, 'onnxruntime-node');
    assert.equal(webSeam.RUNTIME, 'onnxruntime-web');
    assert.ok(asNode.availableProviders().includes('cpu'));
  });

  it('both run the same graph to the same result', async () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [2, 3]);
    b.output(b.op1('Softmax', [b.op1('Mul', [x, x])]), 'y');
    const { model } = serializeModel(b.build());
    const data = Float32Array.of(0.5, -1, 2, 0, 1, -3);
    const out: Float32Array[] = [];
    for (const ort of [nodeSeam, webSeam]) {
      if (ort === webSeam) ort.env.wasm.numThreads = 1;
      const s = await ort.InferenceSession.create(model, { executionProviders: ['cpu'] });
      const r = await s.run({ x: new ort.Tensor('float32', data, [2, 3]) });
      out.push(r.y!.data as Float32Array);
      await s.release();
    }
    for (let i = 0; i < 6; i++) assert.ok(Math.abs(out[0]![i]! - out[1]![i]!) < 1e-6);
  });

  it('each says truly whether it writes pre-allocated outputs (views of WebAssembly memory) in place', async () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', [4]);
    b.output(b.op1('Mul', [x, x]), 'y');
    b.output(b.op1('ReduceSum', [x], { keepdims: int(0) }), 's');
    const { model } = serializeModel(b.build());
    for (const ort of [nodeSeam, webSeam]) {
      const s = await ort.InferenceSession.create(model);
      const mem = new WebAssembly.Memory({ initial: 1, maximum: 1 });
      const xin = new Float32Array(mem.buffer, 0, 4);
      xin.set([1, 2, 3, 4]);
      const y = new Float32Array(mem.buffer, 64, 4);
      const r = await s.run({ x: new ort.Tensor('float32', xin, [4]) }, { y: new ort.Tensor('float32', y, [4]), s: new ort.Tensor('float32', new Float32Array(1), []) });
      assert.equal(y[3] === 16, ort.WRITES_PREALLOCATED_OUTPUTS, `${ort.RUNTIME}: WRITES_PREALLOCATED_OUTPUTS is ${ort.WRITES_PREALLOCATED_OUTPUTS} but the output was ${y[3] === 16 ? '' : 'not '}written in place`);
      if (ort.WRITES_PREALLOCATED_OUTPUTS) assert.deepEqual([...(r.y!.data as Float32Array)], [1, 4, 9, 16]);
      // Fetched by name, the values come back either way (what the runtime does when they are not written in place).
      const byName = await s.run({ x: new ort.Tensor('float32', xin, [4]) }, ['y', 's']);
      assert.deepEqual([...(byName.y!.data as Float32Array)], [1, 4, 9, 16]);
      assert.equal((byName.s!.data as Float32Array)[0], 10);
      await s.release();
    }
  });
});
