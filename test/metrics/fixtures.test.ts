// Fixture vectors in test/fixtures/metrics/*.json; the arithmetic is worked out in its README.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { accuracyScore, classificationReportRows, type EntityOptions } from '../../src/metrics/index.ts';

interface Fixture {
  readonly description: string;
  readonly y_true: string[][];
  readonly y_pred: string[][];
  readonly runs: { options: EntityOptions; rows: Record<string, [number, number, number, number]>; accuracy: number }[];
}

const dir = fileURLToPath(new URL('../fixtures/metrics/', import.meta.url));
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

test('fixture directory is not empty', () => assert.ok(files.length >= 5));

for (const file of files) {
  const fx = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Fixture;
  fx.runs.forEach((run, i) => {
    test(`${file} run ${i} ${JSON.stringify(run.options)}`, () => {
      const { rows } = classificationReportRows(fx.y_true, fx.y_pred, run.options);
      const got = rows.map(([name, r]) => [name, [r.precision, r.recall, r['f1-score'], r.support]]);
      // Exact equality: the numbers must be the float64 values Python seqeval produces.
      assert.deepEqual(got, Object.entries(run.rows));
      assert.equal(accuracyScore(fx.y_true, fx.y_pred), run.accuracy);
    });
  });
}
