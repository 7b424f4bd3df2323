// `tokentag score` end to end through main(), with temporary files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'tokentag-score-'));
function file(name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const run = (...argv: string[]) => runCli('score', ...argv);

// The seqeval README example as CoNLL files (tokens invented).
const GOLD = file(
  'gold.txt',
  '-DOCSTART- O\n\nThe O\nnew O\nsong O\nLove B-MISC\nMe I-MISC\nDo I-MISC\n. O\n\nJohn B-PER\nSmith I-PER\nsaid O\n',
);
const PRED = file(
  'pred.txt',
  'The O\nnew O\nsong B-MISC\nLove I-MISC\nMe I-MISC\nDo I-MISC\n. O\n\r\nJohn B-PER\nSmith I-PER\nsaid O\n\n\n',
);

test('--json prints the evaluate dictionary', async () => {
  const r = await run('--gold', GOLD, '--pred', PRED, '--json');
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(JSON.parse(r.out), {
    MISC: { precision: 0, recall: 0, f1: 0, number: 1 },
    PER: { precision: 1, recall: 1, f1: 1, number: 1 },
    overall_precision: 0.5,
    overall_recall: 0.5,
    overall_f1: 0.5,
    overall_accuracy: 0.8,
  });
});

test('the default output is the seqeval text report plus accuracy', async () => {
  const r = await run('--gold', GOLD, '--pred', PRED);
  assert.equal(r.code, 0, r.err);
  assert.equal(
    r.out,
    [
      '              precision    recall  f1-score   support',
      '',
      '        MISC       0.00      0.00      0.00         1',
      '         PER       1.00      1.00      1.00         1',
      '',
      '   micro avg       0.50      0.50      0.50         2',
      '   macro avg       0.50      0.50      0.50         2',
      'weighted avg       0.50      0.50      0.50         2',
      '',
      'accuracy: 0.80',
      '',
    ].join('\n'),
  );
});

test('--mode strict --scheme and --digits', async () => {
  const gold = file('np-gold.txt', 'a B-NP\nb I-NP\nc O\n');
  const pred = file('np-pred.txt', 'a I-NP\nb I-NP\nc O\n');
  const lenient = await run('--gold', gold, '--pred', pred, '--json');
  assert.equal(JSON.parse(lenient.out).overall_f1, 1);
  const strict = await run('--gold', gold, '--pred', pred, '--json', '--mode', 'strict', '--scheme', 'iob2');
  assert.equal(JSON.parse(strict.out).overall_f1, 0);
  const text = await run('--gold', gold, '--pred', pred, '--digits', '4');
  assert.match(text.out, /\n {10}NP {5}1\.0000 {4}1\.0000 {4}1\.0000 {9}1\n/);
  assert.match(text.out, /accuracy: 0\.6667\n$/);
});

test('--suffix reads PER-B style tags', async () => {
  const gold = file('sfx-gold.txt', 'John PER-B\nSmith PER-I\n');
  const r = await run('--gold', gold, '--pred', gold, '--json', '--suffix');
  assert.deepEqual(JSON.parse(r.out).PER, { precision: 1, recall: 1, f1: 1, number: 1 });
});

test('differing token text stops with both files and lines', async () => {
  const pred = file('typo.txt', 'The O\nnew O\nsong O\nLove B-MISC\nMe I-MISC\nDo I-MISC\n. O\n\nJon B-PER\nSmith I-PER\nsaid O\n');
  const r = await run('--gold', GOLD, '--pred', pred);
  assert.equal(r.code, 1);
  assert.equal(
    r.err,
    `tokentag score: ${GOLD}:11 has 'John' but ${pred}:9 has 'Jon' (use --align position to pair tags by position)\n`,
  );
});

test('--align position pairs by position and reports the differing tokens', async () => {
  const pred = file('typo2.txt', 'The O\nnew O\nsong O\nLove B-MISC\nMe I-MISC\nDo I-MISC\n. O\n\nJon B-PER\nSmyth I-PER\nsaid O\n');
  const r = await run('--gold', GOLD, '--pred', pred, '--json', '--align', 'position');
  assert.equal(r.code, 0);
  assert.equal(JSON.parse(r.out).overall_f1, 1);
  assert.match(r.err, /note: 2 tokens differ in text between .*gold\.txt and .*typo2\.txt/);
});

test('sentence length and count mismatches name both files', async () => {
  const short = file('short.txt', 'The O\nnew O\n\nJohn B-PER\nSmith I-PER\nsaid O\n');
  const r = await run('--gold', GOLD, '--pred', short);
  assert.equal(r.code, 1);
  assert.match(r.err, /sentence 1 has 7 tokens in .*gold\.txt \(starting at line 3\) but 2 in .*short\.txt \(starting at line 1\)/);
  const one = file('one.txt', 'The O\nnew O\nsong O\nLove B-MISC\nMe I-MISC\nDo I-MISC\n. O\n');
  const c = await run('--gold', GOLD, '--pred', one);
  assert.equal(c.code, 1);
  assert.match(c.err, /gold\.txt has 2 sentences but .*one\.txt has 1: sentence 2 starts at .*gold\.txt:11 but .*one\.txt ends at line 7/);
});

test('bad input: missing tag column, not UTF-8, missing file', async () => {
  const noTag = file('notag.txt', 'The O\nnew\n');
  const r1 = await run('--gold', noTag, '--pred', PRED);
  assert.equal(r1.code, 1);
  assert.match(r1.err, /notag\.txt:2: expected 'token \.\.\. tag'/);
  const latin1 = file('latin1.txt', new Uint8Array([0x5a, 0xfc, 0x72, 0x69, 0x63, 0x68, 0x20, 0x4f, 0x0a]));
  const r2 = await run('--gold', latin1, '--pred', PRED);
  assert.equal(r2.code, 1);
  assert.match(r2.err, /latin1\.txt:1: invalid UTF-8 \(the file must be UTF-8 text\)/);
  const r3 = await run('--gold', join(dir, 'nope.txt'), '--pred', PRED);
  assert.equal(r3.code, 1);
  assert.match(r3.err, /nope\.txt: no such file/);
});

test('usage errors exit 2', async () => {
  assert.equal((await run('--gold', GOLD)).code, 2);
  assert.equal((await run('--gold', GOLD, '--pred', PRED, '--mode', 'lenient')).code, 2);
  assert.equal((await run('--gold', GOLD, '--pred', PRED, '--scheme', 'BIO')).code, 2);
  assert.equal((await run('--gold', GOLD, '--pred', PRED, '--digits', 'x')).code, 2);
  assert.equal((await run('--gold', GOLD, '--pred', PRED, '--align', 'fuzzy')).code, 2);
  assert.equal((await run('--gold', GOLD, '--pred', PRED, '--unknown')).code, 2);
});

test('--scheme without strict mode is noted, as seqeval ignores it', async () => {
  const r = await run('--gold', GOLD, '--pred', PRED, '--scheme', 'IOB2', '--json');
  assert.equal(r.code, 0);
  assert.match(r.err, /--scheme only takes effect with --mode strict/);
});

test('strict mode on invalid tags is a clear error', async () => {
  const g = file('bad-gold.txt', 'a B-X\nb E-X\n');
  const r = await run('--gold', g, '--pred', g, '--mode', 'strict', '--scheme', 'IOB2');
  assert.equal(r.code, 1);
  assert.match(r.err, /Invalid token is found: E-X\. Allowed prefixes are: I\|O\|B\./);
});

test('help', async () => {
  const r = await run('--help');
  assert.equal(r.code, 0);
  assert.match(r.out, /Usage: tokentag score --gold GOLD --pred PRED/);
});

test('one conlleval-style file (token … gold pred per line), as conlleval and wnuteval read it', async () => {
  // The same sentences as GOLD / PRED above, with a middle column the scorer ignores.
  const one = file(
    'both.txt',
    '-DOCSTART- -X- O O\n\nThe DT O O\nnew JJ O O\nsong NN O B-MISC\nLove NNP B-MISC I-MISC\nMe PRP I-MISC I-MISC\nDo VB I-MISC I-MISC\n. . O O\n\nJohn NNP B-PER B-PER\nSmith NNP I-PER I-PER\nsaid VBD O O\n',
  );
  const a = await run(one, '--json');
  assert.equal(a.code, 0, a.err);
  const b = await run('--gold', GOLD, '--pred', PRED, '--json');
  assert.deepEqual(JSON.parse(a.out), JSON.parse(b.out));
  const text = await run(one);
  assert.equal(text.code, 0, text.err);
  assert.equal(text.out, (await run('--gold', GOLD, '--pred', PRED)).out);
  // Standard input, as `conlleval < file`.
  const { Readable } = await import('node:stream');
  let out = '';
  const { main } = await import('../src/cli/main.ts');
  const code = await main(['score', '-', '--json'], { out: (t) => { out += t; }, err: () => {}, stdin: Readable.from([readFileSync(one)]) });
  assert.equal(code, 0);
  assert.deepEqual(JSON.parse(out), JSON.parse(b.out));
  // Fewer than three columns is an error naming the line; a file and --gold together is a usage error.
  const short = await run(file('short.txt', 'John B-PER B-PER\nSmith I-PER\n'));
  assert.equal(short.code, 1);
  assert.match(short.err, /short\.txt:2: expected 'token … gold pred' \(at least 3 columns\)/);
  const both = await run(one, '--gold', GOLD);
  assert.equal(both.code, 2);
});

test('--surface: WNUT-17 surface-form scores (unique surface form and type pairs), in the report and in --json', async () => {
  // Paris is found in sentence 1 and missed in 2 (its form is still found); "Kanye West" is cut
  // short twice (two mentions, one form); kktny gets the wrong type.
  const both = file(
    'wnut.txt',
    [
      'in O O', 'Paris B-location B-location', '',
      'back O O', 'to O O', 'Paris B-location O', '',
      'Kanye B-person B-person', 'West I-person O', '',
      'kktny B-creative-work B-product', '',
      'Kanye O B-person', 'said O O', '',
    ].join('\n'),
  );
  const j = await run(both, '--surface', '--json');
  assert.equal(j.code, 0, j.err);
  const r = JSON.parse(j.out);
  assert.equal(r.overall_f1, 0.25); // entity F1: 1 of 4 gold, 1 of 4 predicted
  assert.deepEqual(r.surface, {
    'creative-work': { precision: 0, recall: 0, f1: 0, number: 1, predicted: 0, correct: 0 },
    location: { precision: 1, recall: 1, f1: 1, number: 1, predicted: 1, correct: 1 },
    person: { precision: 0, recall: 0, f1: 0, number: 1, predicted: 1, correct: 0 },
    overall_precision: 1 / 3,
    overall_recall: 1 / 3,
    overall_f1: 1 / 3,
    overall_number: 3,
    overall_predicted: 3,
    overall_correct: 1,
  });
  const t = await run(both, '--surface', '--digits', '4');
  assert.equal(t.code, 0, t.err);
  assert.match(t.out, /surface forms \(WNUT-17\): unique \(surface form, type\) pairs/);
  assert.match(t.out, /\n +location +1\.0000 +1\.0000 +1\.0000 +1\n/);
  assert.match(t.out, /\n +overall +0\.3333 +0\.3333 +0\.3333 +3\n/);
  // Without --surface nothing changes.
  assert.equal(JSON.parse((await run(both, '--json')).out).surface, undefined);
  // The shared task's script reads B-, I- and O only: other tags are refused, naming the line.
  const bioes = await run(file('bioes.txt', 'Kanye B-person B-person\nWest E-person E-person\n'), '--surface');
  assert.equal(bioes.code, 1);
  assert.match(bioes.err, /bioes\.txt:2: --surface reads IOB tags \(B-X, I-X, O\) as the WNUT-17 script does; found 'E-person'/);
});
