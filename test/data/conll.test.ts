import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { formatConll, parseConll, readConll, writeConll } from '../../src/data/conll.ts';
import { CONLL2003_NER, CONLL2003_POS } from '../../src/data/labels.ts';
import { InputError } from '../../src/errors.ts';
import { throwsInput } from '../helpers/input-error.ts';

const fixtures = fileURLToPath(new URL('../fixtures/data/', import.meta.url));

test('reads the CoNLL-2003 layout: pos, chunk and ner columns with ids', async () => {
  const ds = await readConll(join(fixtures, 'conll2003/train.txt'));
  assert.equal(ds.length, 3);
  assert.deepEqual(Object.keys(ds.features), ['id', 'tokens', 'pos_tags', 'chunk_tags', 'ner_tags']);
  const first = ds.get(0);
  assert.equal(first.id, '0');
  assert.deepEqual(first.tokens, ['EU', 'rejects', 'German', 'call', 'to', 'boycott', 'British', 'lamb', '.']);
  const ner = ds.labels('ner_tags');
  assert.deepEqual(first.ner_tags.map((i) => ner.int2str(i as number)), ['B-ORG', 'O', 'B-MISC', 'O', 'O', 'O', 'B-MISC', 'O', 'O']);
  // Collected labels: O first, grouped by type.
  assert.deepEqual(ner.names, ['O', 'B-LOC', 'B-MISC', 'B-ORG', 'B-PER', 'I-PER']);
  assert.deepEqual(ds.labels('pos_tags').names, ['.', 'CD', 'JJ', 'NN', 'NNP', 'TO', 'VB', 'VBZ']);
});

test('with the conll2003 preset, ids are the Hub ids', () => {
  const ds = parseConll('EU NNP B-NP B-ORG\nrejects VBZ B-VP O\n', { labels: 'conll2003' });
  assert.deepEqual(ds.get(0).ner_tags, [3, 0]);
  assert.deepEqual(ds.get(0).pos_tags, [22, 42]);
  assert.deepEqual(ds.get(0).chunk_tags, [11, 21]);
  assert.deepEqual(ds.labels('ner_tags').names, CONLL2003_NER);
  assert.deepEqual(ds.labels('pos_tags').names, CONLL2003_POS);
});

test('reads the 2-column tab-separated WNUT-17 layout as ner_tags', async () => {
  const ds = await readConll(join(fixtures, 'wnut17/train.conll'), { labels: 'wnut_17' });
  assert.equal(ds.length, 2);
  assert.deepEqual(Object.keys(ds.features), ['id', 'tokens', 'ner_tags']);
  assert.equal(ds.get(0).tokens[14], 'Empire');
  assert.deepEqual(ds.get(0).ner_tags.slice(14, 19), [7, 8, 8, 0, 7]);
  assert.deepEqual(ds.get(1).ner_tags[4], 5);
});

test('tolerates CRLF, a BOM, trailing whitespace, DOCSTART and extra blank lines', () => {
  const messy =
    '\uFEFF-DOCSTART- -X- -X- O\r\n\r\n\r\nEU  NNP\tB-NP B-ORG \r\nrejects VBZ B-VP O\t\r\n  \r\n\r\n' +
    '-DOCSTART- -X- -X- O\r\nPeter NNP B-NP B-PER\r\n\r\n\r\n\r\n';
  const ds = parseConll(messy);
  assert.equal(ds.length, 2);
  assert.deepEqual(ds.get(0).tokens, ['EU', 'rejects']);
  assert.deepEqual(ds.get(1).tokens, ['Peter']);
  assert.deepEqual(ds.column('id'), ['0', '1']);
  assert.deepEqual(ds.labels('ner_tags').names, ['O', 'B-ORG', 'B-PER']);
  // A last sentence without a final newline is kept too.
  assert.equal(parseConll('a O\n\nb O').length, 2);
  assert.equal(parseConll('').length, 0);
});

test('columns name the file columns; _ skips one', () => {
  const text = 'EU NNP B-NP B-ORG\nrejects VBZ B-VP O\n';
  const ds = parseConll(text, { columns: ['tokens', '_', '_', 'ner_tags'] });
  assert.deepEqual(Object.keys(ds.features), ['id', 'tokens', 'ner_tags']);
  const typed: readonly number[] = ds.get(0).ner_tags; // typed from the columns literal
  assert.equal(typed.length, 2);
  const reordered = parseConll('B-ORG EU\n', { columns: ['ner_tags', 'tokens'] });
  assert.deepEqual(reordered.get(0).tokens, ['EU']);
  assert.throws(() => parseConll(text, { columns: ['a', 'b', 'c', 'd'] }), /must include 'tokens'/);
  assert.throws(() => parseConll(text, { columns: ['tokens', 'x', 'x', 'y'] }), /named twice/);
});

test("separator 'tab' keeps spaces inside tokens", () => {
  const ds = parseConll('New York\tB-LOC\nis\tO\n', { separator: 'tab' });
  assert.deepEqual(ds.get(0).tokens, ['New York', 'is']);
  throwsInput(() => parseConll('a\tO\n\tO\n', { separator: 'tab', file: 't.tsv' }), 't.tsv', 2, /column 1 \(tokens\) is empty/);
});

test('a ragged line is an error naming the file and line', () => {
  const text = '-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\nrejects VBZ B-VP O\n\nPeter NNP B-PER\n';
  throwsInput(() => parseConll(text, { file: 'eng.train' }), 'eng.train', 6, /expected 4 columns \(tokens pos_tags chunk_tags ner_tags\) as on line 3, found 3/);
  throwsInput(
    () => parseConll('a O\n', { file: 'x.txt', columns: ['tokens', 'pos_tags', 'ner_tags'] }),
    'x.txt',
    1,
    /expected 3 columns .* as given by columns, found 2/,
  );
  throwsInput(() => parseConll('a b c d e\n', { file: 'wide.txt' }), 'wide.txt', 1, /cannot tell what 5 columns hold; pass columns/);
});

test('an unknown label is an error when label names are given', () => {
  const text = 'EU B-ORG\nrejects O\n\nPeter B-PERSON\n';
  throwsInput(() => parseConll(text, { file: 'a.txt', labels: 'conll2003' }), 'a.txt', 4, /unknown ner_tags label 'B-PERSON' \(expected one of 'O', 'B-PER'/);
  throwsInput(
    () => parseConll(text, { file: 'b.txt', labels: { ner_tags: ['O', 'B-ORG'] } }),
    'b.txt',
    4,
    /unknown ner_tags label 'B-PERSON'/,
  );
});

test('a file that is not UTF-8 is an error naming the line', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tokentag-conll-'));
  const file = join(dir, 'latin1.txt');
  await writeFile(file, Buffer.concat([Buffer.from('EU B-ORG\n\nM'), Buffer.from([0xfc]), Buffer.from('nchen B-LOC\n')]));
  await assert.rejects(readConll(file), (e: unknown) => {
    assert.ok(e instanceof InputError);
    assert.equal(e.message, `${file}:3: invalid UTF-8 (the file must be UTF-8 text)`);
    return true;
  });
});

test('formatConll writes the same format back (round trip)', async () => {
  const original = await readFile(join(fixtures, 'conll2003/train.txt'), 'utf8');
  const ds = parseConll(original);
  const written = formatConll(ds);
  // The writer leaves out DOCSTART; everything else is byte for byte the same.
  assert.equal(written, original.replace('-DOCSTART- -X- -X- O\n\n', ''));
  const again = parseConll(written);
  assert.deepEqual(again.toArray(), ds.toArray());
  assert.deepEqual(again.features, ds.features);

  const wnut = await readFile(join(fixtures, 'wnut17/train.conll'), 'utf8');
  assert.equal(formatConll(parseConll(wnut), { separator: '\t' }), wnut);

  const dir = await mkdtemp(join(tmpdir(), 'tokentag-conll-'));
  await writeConll(join(dir, 'out.txt'), ds, { columns: ['tokens', 'ner_tags'] });
  assert.equal((await readFile(join(dir, 'out.txt'), 'utf8')).split('\n')[0], 'EU B-ORG');
});

test('formatConll refuses what it cannot write', () => {
  const ds = parseConll('a O\n');
  const bad = ds.map((r) => ({ ...r, tokens: ['a b'] }));
  assert.throws(() => formatConll(bad), /row 0: tokens value "a b" is empty or has whitespace/);
  const outOfRange = ds.map((r) => ({ ...r, ner_tags: [5] }));
  assert.throws(() => formatConll(outOfRange), /row 0: ner_tags id 5 is out of range \(1 labels\)/);
  const empty = ds.map((r) => ({ ...r, tokens: [], ner_tags: [] }));
  assert.throws(() => formatConll(empty), /no tokens/);
});

// Speed is measured by bench/data.ts, not here: a timed assertion would be flaky on a loaded machine.
test('reads a CoNLL-2003-sized file (14k sentences, 200k tokens) completely', () => {
  const lines: string[] = [];
  const ner = CONLL2003_NER;
  let tokens = 0;
  for (let s = 0; s < 14_000; s++) {
    for (let k = 0; k < 14 + (s % 3); k++, tokens++) lines.push(`w${(s * 31 + k) % 5000} NNP B-NP ${ner[(s + k) % 9]}`);
    lines.push('');
  }
  const text = lines.join('\n');
  const ds = parseConll(text, { labels: 'conll2003' });
  assert.equal(ds.length, 14_000);
  assert.equal(ds.toArray().reduce((n, r) => n + r.tokens.length, 0), tokens);
  assert.ok(tokens >= 200_000);
});

test('a one-column file or a JSON line is a clear error naming the line, not a crash', () => {
  // Before: RangeError: Invalid array length, thrown by the error-message builder itself.
  throwsInput(() => parseConll('EU\nrejects\n', { file: 'words.txt' }), 'words.txt', 1, /1 column .*token .*tag column/);
  throwsInput(
    () => parseConll('{"tokens":["EU"],"ner_tags":[3]}\n', { file: 'train.json' }),
    'train.json',
    1,
    /JSON.*--format jsonl/,
  );
  throwsInput(
    () => parseConll('{"tokens": ["EU", "rejects"], "ner_tags": [3, 0]}\n', { file: 'train.txt' }),
    'train.txt',
    1,
    /JSON.*--format jsonl/,
  );
  // Five columns still get the column-list hint.
  throwsInput(() => parseConll('a b c d e\n', { file: 'x.txt' }), 'x.txt', 1, /cannot tell what 5 columns hold; pass columns, e\.g\. \['tokens', '_', '_', '_', 'ner_tags'\]/);
});
