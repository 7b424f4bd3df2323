// One ONNX Runtime inference session in a worker thread, for the pipeline's worker pool
// (runner.ts). Plain JavaScript on purpose: a worker does not inherit the TypeScript loader the
// main thread may run under (tsx), and this file needs none.
//
// in  workerData: { source: string | Uint8Array, sessionOptions }
// out 'ready' { type } | 'failed' { type, message }     (the protocol of engine/worker-lane.ts)
// in  { id, feeds: { [name]: { type, data, dims } } }   (data buffers transferred)
// out { id, outputs: { [name]: { type, data, dims } } } (data buffers transferred) | { id, error }
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';

// The main thread turned ONNX Runtime's telemetry off before any session (engine/ort-env.ts);
// the variable is process-wide, so this worker's sessions see it too.

let session;
try {
  session = await ort.InferenceSession.create(workerData.source, workerData.sessionOptions);
  parentPort.postMessage({ type: 'ready' });
} catch (e) {
  parentPort.postMessage({ type: 'failed', message: e instanceof Error ? e.message : String(e) });
}

parentPort.on('message', async (msg) => {
  if (msg === 'close') {
    await session?.release();
    parentPort.close();
    return;
  }
  try {
    const feeds = {};
    for (const [name, t] of Object.entries(msg.feeds)) feeds[name] = new ort.Tensor(t.type, t.data, t.dims);
    const result = await session.run(feeds);
    const outputs = {};
    const transfer = new Set();
    for (const [name, t] of Object.entries(result)) {
      outputs[name] = { type: t.type, data: t.data, dims: t.dims };
      transfer.add(t.data.buffer);
    }
    parentPort.postMessage({ id: msg.id, outputs }, [...transfer]);
  } catch (e) {
    parentPort.postMessage({ id: msg.id, error: e instanceof Error ? e.message : String(e) });
  }
});
