import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeFileAtomic } from '../../src/io/atomic.ts';

test('writeFileAtomic replaces the file whole, from strings and byte chunks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tokentag-atomic-'));
  try {
    const file = join(dir, 'out.txt');
    writeFileSync(file, 'old');
    writeFileAtomic(file, ['né', new Uint8Array([0x21])]);
    assert.equal(readFileSync(file, 'utf8'), 'né!');
    assert.deepEqual(readdirSync(dir), ['out.txt']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an error while the chunks are produced leaves the old file and no temporary file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tokentag-atomic-'));
  try {
    const file = join(dir, 'model.bin');
    writeFileSync(file, 'previous model');
    function* failing() {
      yield 'half of a new ';
      throw new Error('disk on fire');
    }
    assert.throws(() => writeFileAtomic(file, failing()), /disk on fire/);
    assert.equal(readFileSync(file, 'utf8'), 'previous model');
    assert.deepEqual(readdirSync(dir), ['model.bin']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
