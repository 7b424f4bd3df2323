import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCli } from './helpers/cli.ts';

const fixtures = fileURLToPath(new URL('./fixtures/data/', import.meta.url));

const run = runCli;

test('prints counts per split and label, and the first example aligned', async () => {
  const { code, out, err } = await run('data', 'inspect', '--dataset', join(fixtures, 'conll2003'), '--labels', 'conll2003');
  assert.equal(err, '');
  assert.equal(code, 0);
  assert.ok(out.startsWith('split       sentences  tokens\ntrain               3      13\nvalidation          1      11\ntest                2      14\n'), out);
  assert.match(out, /\nid  ner_tags  train  validation  test\n 0  O             7          10    10\n 1  B-PER         1           0     2\n/);
  assert.match(out, /\n25  NN\|SYM        0           0     0\n/);
  assert.match(out, /\nid  chunk_tags  train  validation  test\n/);
  assert.ok(
    out.endsWith(
      'first example of train (id 0; rows: tokens, ner_tags, pos_tags, chunk_tags):\n' +
        'EU    rejects German call to   boycott British lamb .\n' +
        'B-ORG O       B-MISC O    O    O       B-MISC  O    O\n' +
        'NNP   VBZ     JJ     NN   TO   VB      JJ      NN   .\n' +
        'B-NP  B-VP    B-NP   I-NP B-VP I-VP    B-NP    I-NP O\n',
    ),
    out,
  );
});

test('--split, --columns and a 2-column file', async () => {
  const { code, out } = await run(
    'data', 'inspect', '--dataset', join(fixtures, 'conll2003'), '--split', 'test', '--columns', 'tokens,_,_,ner_tags',
  );
  assert.equal(code, 0);
  assert.ok(out.startsWith('split  sentences  tokens\ntest           2      14\n'), out);
  assert.ok(out.endsWith('first example of test (id 0; rows: tokens, ner_tags):\nSOCCER - JAPAN GET LUCKY WIN , CHINA IN SURPRISE DEFEAT .\nO      O B-LOC O   O     O   O B-PER O  O        O      O\n'), out);

  const wnut = await run('data', 'inspect', '--dataset', join(fixtures, 'wnut17/test.conll'), '--labels', 'wnut_17');
  assert.equal(wnut.code, 0);
  assert.match(wnut.out, /^split  sentences  tokens\ntest           1       5\n/);
  assert.match(wnut.out, / 3  B-creative-work     1\n/);
  assert.match(wnut.out, /Watch Star            Wars            on Netflix\nO     B-creative-work I-creative-work O  B-corporation\n$/);
});

test('JSONL with --format and string tags', async () => {
  const { code, out } = await run('data', 'inspect', '--dataset', join(fixtures, 'jsonl/names.jsonl'), '--format', 'jsonl');
  assert.equal(code, 0);
  assert.match(out, /Peter Blackburn visits BRUSSELS\nB-PER I-PER     O      B-LOC\n$/);
});

test('usage errors exit 2, bad data exits 1 with file:line', async () => {
  const missing = await run('data', 'inspect');
  assert.equal(missing.code, 2);
  assert.match(missing.err, /--dataset is required/);
  assert.equal((await run('data', 'inspect', '--dataset', 'x', '--labels', 'ontonotes')).code, 2);
  assert.equal((await run('data', 'inspect', '--dataset', 'x', '--format', 'csv')).code, 2);
  assert.equal((await run('data', 'inspect', '--nope')).code, 2);
  const badSplit = await run('data', 'inspect', '--dataset', join(fixtures, 'conll2003'), '--split', 'dev');
  assert.equal(badSplit.code, 2);
  assert.match(badSplit.err, /no split 'dev' .*\(splits: train, validation, test\)/);

  const dir = await mkdtemp(join(tmpdir(), 'tokentag-cli-'));
  const file = join(dir, 'train.txt');
  await writeFile(file, 'EU B-ORG\nrejects O\n\nPeter B-PERSON\n');
  const bad = await run('data', 'inspect', '--dataset', file, '--labels', 'conll2003');
  assert.equal(bad.code, 1);
  assert.equal(bad.err.split('\n')[0], `tokentag data inspect: ${file}:4: unknown ner_tags label 'B-PERSON' (expected one of 'O', 'B-PER', 'I-PER', 'B-ORG', 'I-ORG', 'B-LOC', 'I-LOC', 'B-MISC', 'I-MISC')`);
});

test('--help describes the options', async () => {
  const { code, out } = await run('data', 'inspect', '--help');
  assert.equal(code, 0);
  assert.match(out, /--dataset PATH/);
  assert.match(out, /conll2003 \| wnut_17/);
});
