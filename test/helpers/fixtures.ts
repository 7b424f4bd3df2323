import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Fails (never skips) when a committed fixture is absent: a test that silently skips guards
 * nothing. `how` says how the fixture is made.
 */
export function requireFixtures(how: string, ...files: string[]): void {
  const absent = files.filter((f) => !fs.existsSync(f));
  if (absent.length > 0) assert.fail(`missing fixture ${absent.map((a) => path.relative(process.cwd(), a)).join(', ')}: ${how}`);
}
