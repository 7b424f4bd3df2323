/**
 * The model runner: worker sessions give what a session on the calling thread gives, report
 * errors instead of hanging, and never keep a process alive that forgot `dispose()`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { serializeModel } from '../../src/engine/onnx.ts';
import { exportGraph } from '../../src/models/export.ts';
import { loadTokenClassifier } from '../../src/models/index.ts';
import { createRunner, type ModelRunner, type RunnerTensor } from '../../src/pipeline/runner.ts';

const FIXTURE = path.join(import.meta.dirname, '..', 'fixtures', 'models', 'bert');
let model: Uint8Array;
let inline: ModelRunner;
let pool: ModelRunner;

function feeds(rows: number, cols: number, seed: number): Record<string, RunnerTensor> {
  const ids = new BigInt64Array(rows * cols).map((_, i) => BigInt((i * 7 + seed) % 90) + 5n);
  const mask = new BigInt64Array(rows * cols).map((_, i) => (i % cols < cols - (i % 3) ? 1n : 0n));
  return {
    input_ids: { type: 'int64', data: ids, dims: [rows, cols] },
    attention_mask: { type: 'int64', data: mask, dims: [rows, cols] },
    token_type_ids: { type: 'int64', data: new BigInt64Array(rows * cols), dims: [rows, cols] },
  };
}

before(async () => {
  const { config, params } = loadTokenClassifier(FIXTURE);
  model = serializeModel(exportGraph(config, params)).model;
  inline = await createRunner(model, { sessions: 1 });
  pool = await createRunner(model, { sessions: 3 });
});
after(async () => {
  await inline?.dispose();
  await pool?.dispose();
});

describe('createRunner', () => {
  it('a pool of sessions gives the logits of one session, for runs in flight together', async () => {
    assert.equal(pool.lanes, 3);
    assert.deepEqual([...pool.inputNames].sort(), ['attention_mask', 'input_ids', 'token_type_ids']);
    const shapes: [number, number][] = [[3, 9], [1, 4], [5, 17], [2, 2], [4, 11]];
    const expected = await Promise.all(shapes.map(([r, c], i) => inline.run(feeds(r, c, i))));
    const got = await Promise.all(shapes.map(([r, c], i) => pool.run(feeds(r, c, i))));
    got.forEach((g, i) => {
      assert.deepEqual(g.logits!.dims, expected[i]!.logits!.dims);
      assert.deepEqual(g.logits!.data, expected[i]!.logits!.data);
    });
  });

  it('transfers the feeds of a batch sent to a worker (the pipeline never reuses them)', async () => {
    // The first batch of an idle pool runs on the calling thread, the next ones in the workers.
    const f = [feeds(2, 5, 1), feeds(2, 5, 2), feeds(2, 5, 3)];
    await Promise.all(f.map((x) => pool.run(x)));
    assert.equal(f[0]!.input_ids!.data.length, 10, 'the calling thread\'s own run leaves its feeds alone');
    assert.equal(f[1]!.input_ids!.data.length, 0, 'detached');
  });

  it('rejects a bad run with ONNX Runtime\'s message and keeps working', async () => {
    const bad = { ...feeds(2, 5, 1), attention_mask: { type: 'int64' as const, data: new BigInt64Array(3), dims: [1, 3] } };
    await assert.rejects(pool.run(bad), /ONNX Runtime/);
    const ok = await pool.run(feeds(2, 5, 1));
    assert.deepEqual(ok.logits!.dims.slice(0, 2), [2, 5]);
  });

  it('a model ONNX Runtime cannot load is an error at creation', async () => {
    const junk = new Uint8Array([1, 2, 3, 4]);
    await assert.rejects(createRunner(junk, { sessions: 3 }));
    await assert.rejects(createRunner(junk, { sessions: 1 }));
    await assert.rejects(createRunner(model, { sessions: 0 }), /sessions must be a positive integer/);
  });

  it('a disposed pool refuses runs', async () => {
    const p = await createRunner(model, { sessions: 2 });
    await p.dispose();
    await assert.rejects(p.run(feeds(1, 3, 0)), /disposed/);
  });

  it('a script that never calls dispose() still exits', () => {
    const script = `
      import { createRunner } from ${JSON.stringify(path.resolve(import.meta.dirname, '../../src/pipeline/runner.ts'))};
      import { serializeModel } from ${JSON.stringify(path.resolve(import.meta.dirname, '../../src/engine/onnx.ts'))};
      import { exportGraph } from ${JSON.stringify(path.resolve(import.meta.dirname, '../../src/models/export.ts'))};
      import { loadTokenClassifier } from ${JSON.stringify(path.resolve(import.meta.dirname, '../../src/models/index.ts'))};
      const { config, params } = loadTokenClassifier(${JSON.stringify(FIXTURE)});
      const r = await createRunner(serializeModel(exportGraph(config, params)).model, { sessions: 3 });
      const ids = new BigInt64Array([5n, 6n, 7n]);
      const out = await r.run({ input_ids: { type: 'int64', data: ids, dims: [1, 3] }, attention_mask: { type: 'int64', data: new BigInt64Array([1n, 1n, 1n]), dims: [1, 3] }, token_type_ids: { type: 'int64', data: new BigInt64Array(3), dims: [1, 3] } });
      console.log('ran', out.logits.dims.join('x'));
    `;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokentag-runner-'));
    const file = path.join(dir, 'forgets-dispose.mjs');
    fs.writeFileSync(file, script);
    const r = spawnSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8', timeout: 60_000 });
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(r.signal, null, 'it did not exit by itself');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^ran 1x3x\d+/);
  });
});

describe('a worker that dies', () => {
  it('the pool goes on without it (runs go to the live sessions) and dispose() still returns', { timeout: 30_000 }, async () => {
    const p = await createRunner(model, { sessions: 2 });
    // Reach into the pool: stop its worker as a crash would.
    const lanes = (p as unknown as { pool: { worker: { terminate(): Promise<number> } }[] }).pool;
    await lanes[0]!.worker.terminate();
    const out = await Promise.all([p.run(feeds(2, 4, 1)), p.run(feeds(3, 5, 2))]);
    assert.deepEqual(out.map((o) => o.logits!.dims.slice(0, 2)), [[2, 4], [3, 5]], 'both ran on the calling thread');
    await p.dispose();
  });
});
