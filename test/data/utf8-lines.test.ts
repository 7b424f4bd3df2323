import { test } from 'node:test';
import assert from 'node:assert/strict';
import { utf8Lines } from '../../src/data/text.ts';

async function* chunks(parts: (string | Uint8Array)[]) {
  for (const p of parts) yield p;
}
const collect = async (parts: (string | Uint8Array)[], file = 'in.txt') => {
  const out: string[] = [];
  for await (const l of utf8Lines(chunks(parts), file)) out.push(l);
  return out;
};

test('utf8Lines: lines across chunk borders, a character split between chunks, CRLF, BOM, a last line without LF', async () => {
  assert.deepEqual(await collect(['\uFEFFab', 'c\r\nd', 'é\n', Uint8Array.of(0xc3), Uint8Array.of(0xa9, 10, 10), 'last']), ['abc', 'dé', 'é', '', 'last']);
  assert.deepEqual(await collect(['a\n']), ['a']);
  assert.deepEqual(await collect([]), []);
});

test('utf8Lines: invalid UTF-8 is an InputError naming the file and line, as the data loaders say it', async () => {
  await assert.rejects(collect(['ok\n', Uint8Array.of(0x61, 0xff, 10), 'more\n'], 'bad.txt'), /^InputError: bad\.txt:2: invalid UTF-8 \(the file must be UTF-8 text\)$/m);
  await assert.rejects(collect(['ok\nstill ok', Uint8Array.of(0xe2, 0x82)], 'cut.txt'), /cut\.txt:2: invalid UTF-8/);
});
