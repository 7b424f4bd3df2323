// Item 5 of issue 16: checkpoint writes and rotation are crash-safe; what a crash leaves is
// cleaned; resume picks a complete checkpoint by construction. (The seeded kill-at-random loop
// over a real run is in the matrix, matrix.test.ts.)
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { Rng } from '../../src/data/rng.ts';
import { architectureFor } from '../../src/models/index.ts';
import {
  cleanCheckpointDebris,
  isCompleteCheckpoint,
  latestCheckpoint,
  listCheckpoints,
  readCheckpoint,
  rotateCheckpoints,
} from '../../src/train/checkpoint.ts';
import { Trainer } from '../../src/train/trainer.ts';
import { tinyBertConfig } from '../train/tiny-bert.ts';

const dirs: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tokentag-crash-'));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const config = tinyBertConfig(['O', 'B-LOC', 'I-LOC']);
const rng = new Rng(3);
const trainFeatures = Array.from({ length: 16 }, () => {
  const labels = Array.from({ length: 3 }, () => rng.nextInt(3));
  return { inputIds: [2, ...labels.map((l) => 5 + 15 * l + rng.nextInt(15)), 3], labels: [-100, ...labels, -100] };
});
async function trainInto(outputDir: string, maxSteps: number, extra: Record<string, unknown> = {}): Promise<void> {
  const trainer = new Trainer({
    model: { config, params: architectureFor(config).init(config, 5) },
    args: { outputDir, learningRate: 1e-3, maxSteps, perDeviceTrainBatchSize: 4, saveSteps: 1, threads: 1, ...extra },
    trainFeatures,
    output: null,
  });
  await trainer.train();
  await trainer.dispose();
}

/** Runs `fn` with fs.rmSync replaced by one that removes a single file of a directory and then "dies". */
function withCrashingRm(fn: () => void): void {
  const real = fs.rmSync;
  (fs as { rmSync: typeof fs.rmSync }).rmSync = ((p: fs.PathLike, opts?: fs.RmOptions) => {
    const target = String(p);
    if (fs.statSync(target, { throwIfNoEntry: false })?.isDirectory()) {
      const files = fs.readdirSync(target).sort();
      real(path.join(target, files[files.length - 1]!), { force: true }); // trainer_state.json goes, as in the report
      throw Object.assign(new Error('killed mid-delete'), { code: 'SIMULATED_KILL' });
    }
    return real(p, opts);
  }) as typeof fs.rmSync;
  syncBuiltinESMExports();
  try {
    fn();
  } finally {
    (fs as { rmSync: typeof fs.rmSync }).rmSync = real;
    syncBuiltinESMExports();
  }
}

describe('crash-safe checkpoints', () => {
  it('a kill in the middle of rotation never leaves a half-deleted checkpoint-N', async () => {
    const out = tmp();
    await trainInto(out, 3);
    assert.deepEqual(listCheckpoints(out).map((c) => c.step), [1, 2, 3]);
    withCrashingRm(() => assert.throws(() => rotateCheckpoints(out, 1), /killed mid-delete/));
    for (const c of listCheckpoints(out)) assert.ok(isCompleteCheckpoint(c.dir), `${c.dir} is incomplete`);
    assert.deepEqual(listCheckpoints(out).map((c) => c.step), [2, 3]);
    // The debris is hidden, and the next run's cleaning removes it.
    const debris = fs.readdirSync(out).filter((n) => n.startsWith('.'));
    assert.equal(debris.length, 1);
    assert.match(debris[0]!, /^\.checkpoint-1\.deleting-\d+-[0-9a-f]+$/);
    fs.renameSync(path.join(out, debris[0]!), path.join(out, debris[0]!.replace(/-\d+-/, '-999999999-'))); // a process that is gone
    assert.equal(cleanCheckpointDebris(out).length, 1);
    assert.deepEqual(fs.readdirSync(out).filter((n) => n.startsWith('.')), []);
  });

  it('temporary checkpoint directories of a killed run are removed when training starts again', async () => {
    const out = tmp();
    await trainInto(out, 2);
    const stale = path.join(out, '.checkpoint-3.tmp-999999999-abcdef012345');
    fs.cpSync(path.join(out, 'checkpoint-2'), stale, { recursive: true });
    fs.rmSync(path.join(stale, 'trainer_state.json'));
    const trainer = new Trainer({
      model: { config, params: architectureFor(config).init(config, 5) },
      args: { outputDir: out, learningRate: 1e-3, maxSteps: 3, perDeviceTrainBatchSize: 4, saveSteps: 1, threads: 1 },
      trainFeatures,
      output: null,
    });
    await trainer.train({ resumeFromCheckpoint: true });
    await trainer.dispose();
    assert.ok(!fs.existsSync(stale));
    assert.deepEqual(listCheckpoints(out).map((c) => c.step), [1, 2, 3]);
  });

  it('a checkpoint set aside while being replaced is put back when its replacement never arrived', async () => {
    const out = tmp();
    await trainInto(out, 1);
    fs.renameSync(path.join(out, 'checkpoint-1'), path.join(out, '.checkpoint-1.old-999999999-0123456789ab'));
    cleanCheckpointDebris(out);
    assert.ok(isCompleteCheckpoint(path.join(out, 'checkpoint-1')));
  });

  it('resume picks the newest complete checkpoint: one missing any file is passed over', async () => {
    const out = tmp();
    await trainInto(out, 3);
    fs.rmSync(path.join(out, 'checkpoint-3', 'optimizer.safetensors'));
    assert.equal(latestCheckpoint(out), path.join(out, 'checkpoint-2'));
  });
});
