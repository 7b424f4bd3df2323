/**
 * The ONNX Runtime seam: ort.ts (onnxruntime-node) and ort-web.ts (onnxruntime-web, which the
 * browser build puts in its place) export the same names, and both run the same graph.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as nodeSeam from '../../src/engine/ort.ts';
import * as webSeam from '../../src/engine/ort-web.ts';
import { GraphBuilder } from '../../src/engine/graph.ts';
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
});
