import assert from 'node:assert/strict';
import { InputError } from '../../src/errors.ts';

/** Asserts an InputError with this exact `file:line: …` message start and detail pattern. */
export function throwsInput(fn: () => unknown, file: string, line: number, detail: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof InputError, `expected InputError, got ${String(e)}`);
    assert.equal(e.file, file);
    assert.equal(e.line, line);
    assert.match(e.detail, detail);
    assert.ok(e.message.startsWith(`${file}:${line}: `));
    return true;
  });
}
