import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AtomicFileWriter, writeFileAtomic } from '../../src/io/atomic.ts';

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

test('AtomicFileWriter: nothing at the target until commit; abort leaves the old file and no temporary file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tokentag-atomic-'));
  try {
    const file = join(dir, 'page.html');
    writeFileSync(file, 'old page');
    const w = new AtomicFileWriter(file);
    w.write('<p>new');
    w.write(new Uint8Array([0x21]));
    assert.equal(readFileSync(file, 'utf8'), 'old page');
    w.commit();
    assert.equal(readFileSync(file, 'utf8'), '<p>new!');
    assert.deepEqual(readdirSync(dir), ['page.html']);
    const aborted = new AtomicFileWriter(file);
    aborted.write('half');
    aborted.abort();
    assert.equal(readFileSync(file, 'utf8'), '<p>new!');
    assert.deepEqual(readdirSync(dir), ['page.html']);
    assert.throws(() => aborted.write('more'), /already committed or aborted/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
