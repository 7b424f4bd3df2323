/**
 * Training learns: a short from-scratch run on the built-in synthetic corpus, through the CLI as
 * users run it, must clear F1 0.70 on held-out sentences (a model that learned nothing scores
 * about 0). About 10–15 s on two idle cores; the run below reached 0.82 when this was written.
 * If the synthetic corpus changes (src/data/synthetic.ts), re-check the margin, not the bar.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { writeSyntheticConll } from '../../src/data/synthetic.ts';
import { runCli } from '../helpers/cli.ts';

const root = fs.mkdtempSync(join(tmpdir(), 'tokentag-learns-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

test('bert-tiny from scratch, 800 synthetic sentences, 4 epochs: test F1 ≥ 0.70', async () => {
  const data = join(root, 'data');
  await writeSyntheticConll(data, { train: 800, validation: 50, test: 200, seed: 7 });
  const r = await runCli(
    'train', '--model', 'bert-tiny', '--dataset', data, '--output-dir', join(root, 'run'), '--json',
    '--epochs', '4', '--batch-size', '16', '--learning-rate', '2e-3', '--word-dropout', '0', '--eval-strategy', 'no', '--save-strategy', 'no',
  );
  assert.equal(r.code, 0, r.err);
  const out = JSON.parse(r.out) as { train: { global_step: number; train_loss: number }; test: { overall_f1: number; overall_accuracy: number } };
  assert.equal(out.train.global_step, 200);
  assert.ok(out.test.overall_f1 >= 0.7, `test F1 ${out.test.overall_f1} < 0.70: training no longer learns (train loss ${out.train.train_loss})`);
  assert.ok(out.test.overall_accuracy >= 0.9, `token accuracy ${out.test.overall_accuracy}`);
});
