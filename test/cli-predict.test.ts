import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { main } from '../src/cli/main.ts';
import { makeTinyModel } from './helpers/tiny-model.ts';

async function cli(argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => { out += t; }, err: (t) => { err += t; } });
  return { code, out, err };
}

let root = '';
let dir = '';
before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tokentag-cli-predict-'));
  dir = await makeTinyModel(path.join(root, 'model'));
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

describe('tokentag predict', () => {
  it('texts as arguments → JSON', async () => {
    const one = await cli(['predict', '--model', dir, '--aggregation', 'simple', '--ignore-labels', '', 'Ada Lovelace met Alan Turing in Zürich']);
    assert.equal(one.code, 0, one.err);
    const r = JSON.parse(one.out);
    assert.ok(Array.isArray(r) && r.length > 0 && 'entity_group' in r[0]);
    const two = await cli(['predict', '--model', dir, 'Paris', 'London and Berlin']);
    assert.equal(two.code, 0, two.err);
    assert.equal(JSON.parse(two.out).length, 2);
    // One session on this thread, or three side by side: the same predictions.
    const texts = ['Paris', 'London and Berlin', 'Ada Lovelace met Alan Turing in Zürich', 'Alan went to Paris and London'];
    const single = await cli(['predict', '--model', dir, '--sessions', '1', '--threads', '1', ...texts]);
    const three = await cli(['predict', '--model', dir, '--sessions', '3', '--batch-size', '1', ...texts]);
    assert.equal(single.code, 0, single.err);
    assert.equal(three.code, 0, three.err);
    assert.deepEqual(JSON.parse(three.out), JSON.parse(single.out));
  });

  it('--input text / JSONL → JSONL, one line per input line', async () => {
    const txt = path.join(root, 'in.txt');
    fs.writeFileSync(txt, 'Ada lived in Paris\n\nAlan went to Zürich 😀\n');
    const a = await cli(['predict', '--model', dir, '--input', txt, '--ignore-labels', '']);
    assert.equal(a.code, 0, a.err);
    const lines = a.out.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, 3);
    assert.equal(lines[1].text, '');
    for (const l of lines) for (const e of l.entities) assert.equal(l.text.slice(e.start, e.end), e.word.replace(/^##/, ''));
    const jsonl = path.join(root, 'in.jsonl');
    fs.writeFileSync(jsonl, `${JSON.stringify({ text: 'Ada lived in Paris' })}\n${JSON.stringify({ tokens: ['Alan', 'Turing', 'in', 'London'] })}\n`);
    const out = path.join(root, 'out.jsonl');
    const b = await cli(['predict', '--model', dir, '--input', jsonl, '--output', out, '--batch-size', '1']);
    assert.equal(b.code, 0, b.err);
    const rows = fs.readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(rows.length, 2);
    assert.ok(Array.isArray(rows[0].entities));
    assert.deepEqual(rows[1].tokens, ['Alan', 'Turing', 'in', 'London']);
    assert.equal(rows[1].labels.length, 4);
  });

  it('--format conll on a CoNLL file is scored by tokentag score', async () => {
    const gold = path.join(root, 'gold.conll');
    const sents = Array.from({ length: 300 }, (_, i) => (i % 2 ? [['Ada', 'B-PER'], ['lived', 'O'], ['in', 'O'], ['Paris', 'B-LOC']] : [['Alan', 'B-PER'], ['Turing', 'I-PER'], ['went', 'O'], ['to', 'O'], ['Zürich', 'B-LOC']]));
    fs.writeFileSync(gold, '-DOCSTART- O\n\n' + sents.map((s) => s.map((t) => t.join(' ')).join('\n')).join('\n\n') + '\n');
    const pred = path.join(root, 'pred.conll');
    const p = await cli(['predict', '--model', dir, '--input', gold, '--format', 'conll', '--output', pred, '--bio']);
    assert.equal(p.code, 0, p.err);
    const predLines = fs.readFileSync(pred, 'utf8').split('\n').filter((l) => l !== '');
    assert.equal(predLines.length, sents.flat().length);
    const s = await cli(['score', '--gold', gold, '--pred', pred, '--json']);
    assert.equal(s.code, 0, s.err);
    const scores = JSON.parse(s.out);
    assert.ok(scores.overall_accuracy >= 0 && scores.overall_accuracy <= 1);
  });

  it('one rule for file types: a CoNLL file named .txt is read as CoNLL, as train reads it', async () => {
    // Before: predict guessed from the extension alone and read every line as a text.
    const conll = path.join(root, 'sentences.txt');
    fs.writeFileSync(conll, 'Ada B-PER\nlived O\nin O\nParis B-LOC\n\nAlan B-PER\nTuring I-PER\n');
    const r = await cli(['predict', '--model', dir, '--input', conll, '--format', 'conll']);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(r.out.split('\n').map((l) => l.split(' ')[0]), ['Ada', 'lived', 'in', 'Paris', '', 'Alan', 'Turing', '', '']);
    // The override still wins.
    const t = await cli(['predict', '--model', dir, '--input', conll, '--input-format', 'text']);
    assert.equal(t.code, 0, t.err);
    assert.equal(JSON.parse(t.out.split('\n')[0]).text, 'Ada B-PER');
  });

  it('CoNLL-U input: the FORM column, comments, multi-word ranges and empty nodes skipped', async () => {
    // Before: the ID column and the # comment lines were read as words.
    const conllu = path.join(root, 'in.conllu');
    fs.writeFileSync(
      conllu,
      ['# sent_id = 1', '# text = Ada lived in Paris', '1\tAda\tAda\tPROPN\t_\t_\t2\tnsubj\t_\t_', '2\tlived\tlive\tVERB\t_\t_\t0\troot\t_\t_',
        '3-4\tinParis\t_\t_\t_\t_\t_\t_\t_\t_', '3\tin\tin\tADP\t_\t_\t4\tcase\t_\t_', '3.1\tgone\tgo\tVERB\t_\t_\t_\t_\t2:conj\t_',
        '4\tParis\tParis\tPROPN\t_\t_\t2\tobl\t_\t_', ''].join('\n'),
    );
    const r = await cli(['predict', '--model', dir, '--input', conllu, '--format', 'conll']);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(r.out.trim().split('\n').map((l) => l.split(' ')[0]), ['Ada', 'lived', 'in', 'Paris']);
  });

  it('--input - reads standard input', async () => {
    let out = '';
    let err = '';
    const stdin = Readable.from(['{"text": "Ada lived in Paris"}\n', '{"tokens": ["Alan", "Turing"]}\n']);
    const code = await main(['predict', '--model', dir, '--input', '-'], { out: (t) => { out += t; }, err: (t) => { err += t; }, stdin });
    assert.equal(code, 0, err);
    const rows = out.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(rows[0].text, 'Ada lived in Paris');
    assert.deepEqual(rows[1].tokens, ['Alan', 'Turing']);
  });

  it('--format conlleval writes token, gold and predicted tag; tokentag score reads it from standard input', async () => {
    const conll = path.join(root, 'gold4.conll');
    fs.writeFileSync(conll, 'Ada NNP B-NP B-PER\nlived VBD B-VP O\nin IN B-PP O\nParis NNP B-NP B-LOC\n\nAlan NNP B-NP B-PER\n');
    const r = await cli(['predict', '--model', dir, '--input', conll, '--format', 'conlleval']);
    assert.equal(r.code, 0, r.err);
    const rows = r.out.trim().split('\n').filter((l) => l !== '').map((l) => l.split(' '));
    assert.deepEqual(rows.map((x) => x.slice(0, 2)), [['Ada', 'B-PER'], ['lived', 'O'], ['in', 'O'], ['Paris', 'B-LOC'], ['Alan', 'B-PER']]);
    assert.ok(rows.every((x) => x.length === 3));
    let out = '';
    const code = await main(['score', '-', '--json'], { out: (t) => { out += t; }, err: () => {}, stdin: Readable.from([r.out]) });
    assert.equal(code, 0);
    assert.equal(typeof JSON.parse(out).overall_f1, 'number');
    // JSON Lines with integer gold ids need their names; --labels without conlleval is an error.
    const ids = path.join(root, 'ids.jsonl');
    fs.writeFileSync(ids, '{"tokens": ["Ada", "lived"], "ner_tags": [1, 0]}\n');
    const named = await cli(['predict', '--model', dir, '--input', ids, '--format', 'conlleval', '--labels', 'conll2003']);
    assert.equal(named.code, 0, named.err);
    assert.deepEqual(named.out.trim().split('\n').map((l) => l.split(' ').slice(0, 2).join(' ')), ['Ada B-PER', 'lived O']);
    const unnamed = await cli(['predict', '--model', dir, '--input', ids, '--format', 'conlleval']);
    assert.notEqual(unnamed.code, 0);
    assert.match(unnamed.err, /holds integer ids; give their names with --labels/);
    const stray = await cli(['predict', '--model', dir, '--input', ids, '--labels', 'conll2003']);
    assert.equal(stray.code, 2);
    assert.match(stray.err, /--labels names the gold tags of --format conlleval/);
  });

  it('usage and input errors', async () => {
    const none = await cli(['predict', '--model', dir]);
    assert.equal(none.code, 2);
    assert.match(none.err, /give texts as arguments or --input FILE/);
    const bad = await cli(['predict', '--model', dir, '--aggregation', 'best', 'x']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /aggregation strategy must be one of/);
    const conllText = await cli(['predict', '--model', dir, '--format', 'conll', 'x']);
    assert.equal(conllText.code, 2);
    const j = path.join(root, 'bad.jsonl');
    fs.writeFileSync(j, '{"text": "ok"}\n{"nope": 1}\n');
    const badLine = await cli(['predict', '--model', dir, '--input', j]);
    assert.notEqual(badLine.code, 0);
    assert.match(badLine.err, /bad\.jsonl:2: expected an object with "text"/);
    const zero = await cli(['predict', '--model', dir, '--sessions', '0', 'x']);
    assert.equal(zero.code, 2);
    assert.match(zero.err, /--sessions must be at least 1, got '0'/);
    const noModel = await cli(['predict', '--model', path.join(root, 'missing'), 'x']);
    assert.notEqual(noModel.code, 0);
    assert.match(noModel.err, /no such model directory/);
  });

  it('--html FILE: one standalone page of the texts with their entities marked, the renderer the server uses; written whole or not at all', async () => {
    const { renderEntities } = await import('../src/web/render.js');
    const html = path.join(root, 'entities.html');
    const texts = ['Ada Lovelace met Alan Turing in Zürich 😀', 'Paris <and> London'];
    const r = await cli(['predict', '--model', dir, '--aggregation', 'first', '--html', html, ...texts]);
    assert.equal(r.code, 0, r.err);
    const results = JSON.parse(r.out);
    const page = fs.readFileSync(html, 'utf8');
    assert.match(page, /^<!doctype html>/);
    assert.match(page, /<title>tokentag predict — model<\/title>/);
    texts.forEach((t, i) => assert.ok(page.includes(renderEntities(t, results[i])), `text ${i} rendered with its entities`));
    assert.ok(results.flat().length > 0 && page.includes('<mark class="tt-ent"'));
    assert.deepEqual([...page.matchAll(/<li><span class="tt-swatch"[^>]*><\/span>([^<]*)<\/li>/g)].map((m) => m[1]), ['LOC', 'PER']); // the model's types, less O
    // From a file of pre-split sentences too (offsets into the words joined with spaces).
    const jsonl = path.join(root, 'words.jsonl');
    fs.writeFileSync(jsonl, `${JSON.stringify({ tokens: ['Alan', 'Turing', 'in', 'London'] })}\n`);
    const w = await cli(['predict', '--model', dir, '--input', jsonl, '--html', html, '--output', path.join(root, 'words.out.jsonl')]);
    assert.equal(w.code, 0, w.err);
    const row = JSON.parse(fs.readFileSync(path.join(root, 'words.out.jsonl'), 'utf8'));
    assert.ok(fs.readFileSync(html, 'utf8').includes(renderEntities('Alan Turing in London', row.entities)));
    // A failure half-way leaves the previous page untouched and no temporary file.
    const bad = path.join(root, 'bad-html.jsonl');
    fs.writeFileSync(bad, '{"text": "Paris"}\nnot json\n');
    const before = fs.readFileSync(html, 'utf8');
    const f = await cli(['predict', '--model', dir, '--input', bad, '--html', html, '--output', path.join(root, 'bad.out.jsonl')]);
    assert.notEqual(f.code, 0);
    assert.equal(fs.readFileSync(html, 'utf8'), before);
    assert.deepEqual(fs.readdirSync(root).filter((n) => n.endsWith('.tmp')), []);
    const nowhere = await cli(['predict', '--model', dir, '--html', path.join(root, 'no', 'such', 'dir.html'), 'x']);
    assert.equal(nowhere.code, 1);
    assert.match(nowhere.err, /--html .*dir\.html: cannot write there/);
  });
});
