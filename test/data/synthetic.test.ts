import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatConll } from '../../src/data/conll.ts';
import { CONLL2003_NER } from '../../src/data/labels.ts';
import { loadDataset } from '../../src/data/load.ts';
import {
  SYNTHETIC_LEXICON,
  syntheticHeldOutNames,
  syntheticNer,
  syntheticTemplateWords,
  writeSyntheticConll,
  type NamePool,
} from '../../src/data/synthetic.ts';

const corpus = syntheticNer();
const SPLITS = ['train', 'validation', 'test'] as const;

test('default sizes, columns and the conll2003 label order', () => {
  assert.deepEqual(corpus.names, [...SPLITS]);
  assert.deepEqual(SPLITS.map((s) => corpus.get(s).length), [3000, 400, 400]);
  for (const s of SPLITS) {
    const ds = corpus.get(s);
    assert.deepEqual(ds.columnNames, ['id', 'tokens', 'ner_tags']);
    assert.deepEqual(ds.labels('ner_tags').names, CONLL2003_NER);
    assert.equal(ds.get(0).id, '0');
    for (const row of ds) {
      assert.equal(row.tokens.length, row.ner_tags.length);
      assert.ok(row.tokens.length > 0 && row.tokens.every((t) => t !== '' && !/\s/.test(t)));
    }
  }
  const small = syntheticNer({ train: 5, validation: 0, test: 2 });
  assert.deepEqual(SPLITS.map((s) => small.get(s).length), [5, 0, 2]);
  assert.throws(() => syntheticNer({ train: -1 }), RangeError);
  assert.throws(() => syntheticNer({ test: 1.5 }), RangeError);
});

test('deterministic: the same seed gives the same corpus byte for byte; another seed differs', () => {
  const again = syntheticNer();
  for (const s of SPLITS) assert.equal(formatConll(again.get(s)), formatConll(corpus.get(s)));
  assert.notEqual(formatConll(syntheticNer({ seed: 7 }).get('train')), formatConll(corpus.get('train')));
  // one split's size does not change another split
  assert.equal(formatConll(syntheticNer({ train: 10 }).get('test')), formatConll(corpus.get('test')));
  assert.equal(formatConll(syntheticNer({ train: 10 }).get('train')), formatConll(syntheticNer().get('train').select([...Array(10).keys()])));
});

test('every sentence is valid IOB2', () => {
  for (const s of SPLITS) {
    for (const row of corpus.get(s)) {
      const tags = row.ner_tags.map((t) => CONLL2003_NER[t]);
      tags.forEach((tag, k) => {
        assert.ok(tag !== undefined, `row ${row.id}: tag id out of range`);
        if (tag.startsWith('I-')) {
          const prev = tags[k - 1];
          assert.ok(prev === `B-${tag.slice(2)}` || prev === tag, `${s} row ${row.id}: ${tag} after ${prev ?? 'start'}`);
        }
      });
    }
  }
});

function entities(tokens: readonly string[], tags: readonly number[]): { type: string; start: number; end: number; text: string }[] {
  const out: { type: string; start: number; end: number; text: string }[] = [];
  tags.forEach((id, k) => {
    const tag = CONLL2003_NER[id];
    if (tag.startsWith('B-')) out.push({ type: tag.slice(2), start: k, end: k + 1, text: tokens[k] });
    else if (tag.startsWith('I-')) {
      const e = out[out.length - 1];
      e.end = k + 1;
      e.text += ` ${tokens[k]}`;
    }
  });
  return out;
}

test('every label and entity type occurs in every split', () => {
  for (const s of SPLITS) {
    const counts = new Array(CONLL2003_NER.length).fill(0);
    for (const row of corpus.get(s)) for (const t of row.ner_tags) counts[t]++;
    counts.forEach((c, id) => assert.ok(c > 0, `${s}: no ${CONLL2003_NER[id]}`));
    // a non-trivial share of entity tokens
    const entityShare = 1 - counts[0] / counts.reduce((a, b) => a + b, 0);
    assert.ok(entityShare > 0.15 && entityShare < 0.6, `${s}: entity share ${entityShare}`);
  }
});

test('multi-word entities and adjacent entities of the same and of different types', () => {
  const multi = new Set<string>();
  let sameAdjacent = 0;
  let diffAdjacent = 0;
  let parenthesised = 0;
  for (const row of corpus.get('train')) {
    const es = entities(row.tokens, row.ner_tags);
    for (const e of es) if (e.end - e.start > 1) multi.add(e.type);
    for (let i = 1; i < es.length; i++) {
      if (es[i].start === es[i - 1].end) {
        if (es[i].type === es[i - 1].type) sameAdjacent++;
        else diffAdjacent++;
      }
      // "Lopez ( Acme )" shapes
      if (es[i].start === es[i - 1].end + 1 && row.tokens[es[i - 1].end] === '(') parenthesised++;
    }
  }
  assert.deepEqual([...multi].sort(), ['LOC', 'MISC', 'ORG', 'PER']);
  assert.ok(sameAdjacent > 20, `same-type adjacent: ${sameAdjacent}`);
  assert.ok(diffAdjacent > 20, `different-type adjacent: ${diffAdjacent}`);
  assert.ok(parenthesised > 20, `parenthesised: ${parenthesised}`);
});

test('varied shapes: questions, headlines in capitals, numbers, and name-like lowercase words tagged O', () => {
  const train = corpus.get('train').toArray();
  assert.ok(train.some((r) => r.tokens.at(-1) === '?'));
  assert.ok(train.some((r) => r.tokens.length > 3 && r.tokens.every((t) => t === t.toUpperCase()) && r.ner_tags.some((t) => t > 0)));
  assert.ok(train.some((r) => r.tokens.some((t) => /^\d+$/.test(t))));
  const decoys = new Set(['rose', 'bill', 'grant', 'frank', 'mark', 'hope', 'turkey', 'china', 'page', 'dean']);
  let decoyO = 0;
  const capitalised = new Set<string>();
  for (const r of train) {
    r.tokens.forEach((t, k) => {
      if (decoys.has(t)) {
        assert.equal(r.ner_tags[k], 0, `lowercase '${t}' must be O`);
        decoyO++;
      }
      if (decoys.has(t.toLowerCase()) && t !== t.toLowerCase() && r.ner_tags[k] > 0) capitalised.add(t.toLowerCase());
    });
  }
  assert.ok(decoyO > 50);
  // the same words occur as names elsewhere
  assert.ok(capitalised.size >= 6, [...capitalised].join(' '));
  // sentence shapes are varied
  const shapes = new Set(train.map((r) => r.ner_tags.map((t) => (t === 0 ? 'O' : 'E')).join('')));
  assert.ok(shapes.size > 300, `${shapes.size} shapes`);
});

test('held-out names appear only in validation and test', () => {
  const lower = (ts: readonly string[]) => ts.map((t) => t.toLowerCase());
  // the tokens that only held-out entries have
  const sharedTokens = new Set(
    lower([...Object.values(SYNTHETIC_LEXICON).flatMap((p: NamePool) => p.shared.flatMap((e) => e.split(' '))), ...syntheticTemplateWords()]),
  );
  const heldOut = syntheticHeldOutNames();
  assert.ok(heldOut.length >= 30, `${heldOut.length} held-out names`);
  const heldTokens = new Set(lower(heldOut.flatMap((e) => e.split(' '))).filter((t) => !sharedTokens.has(t)));
  // every held-out entry has at least one token of its own
  for (const e of heldOut) assert.ok(lower(e.split(' ')).some((t) => heldTokens.has(t)), `held-out '${e}' has no token of its own`);
  const found = (s: string) => {
    const seen = new Set<string>();
    for (const r of corpus.get(s)) for (const t of lower(r.tokens)) if (heldTokens.has(t)) seen.add(t);
    return seen;
  };
  assert.equal(found('train').size, 0, `in train: ${[...found('train')].join(' ')}`);
  const evalSeen = new Set([...found('validation'), ...found('test')]);
  assert.ok(evalSeen.size >= heldTokens.size * 0.8, `${evalSeen.size} of ${heldTokens.size} held-out tokens seen`);
  // roughly a fifth of evaluation entities contain a held-out token; most are shared
  let withHeld = 0;
  let total = 0;
  for (const s of ['validation', 'test']) {
    for (const r of corpus.get(s)) {
      for (const e of entities(r.tokens, r.ner_tags)) {
        total++;
        if (lower(e.text.split(' ')).some((t) => heldTokens.has(t))) withHeld++;
      }
    }
  }
  assert.ok(withHeld / total > 0.1 && withHeld / total < 0.35, `held-out share ${withHeld / total}`);
});

test('fast: the default corpus in well under 200 ms', () => {
  syntheticNer();
  const t0 = performance.now();
  syntheticNer();
  const ms = performance.now() - t0;
  assert.ok(ms < 200, `${ms.toFixed(0)} ms`);
});

test('writeSyntheticConll writes 2-column CoNLL that loadDataset reads back', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tokentag-synthetic-'));
  try {
    const files = await writeSyntheticConll(dir, { train: 20, validation: 5, test: 5, seed: 3 });
    assert.deepEqual(files, ['train.txt', 'validation.txt', 'test.txt'].map((f) => join(dir, f)));
    const text = await readFile(files[0], 'utf8');
    assert.ok(text.split('\n').filter((l) => l !== '').every((l) => l.split(' ').length === 2));
    const back = await loadDataset(dir, { labels: 'conll2003' });
    const orig = syntheticNer({ train: 20, validation: 5, test: 5, seed: 3 });
    assert.deepEqual(back.names, orig.names);
    for (const s of SPLITS) assert.deepEqual(back.get(s).toArray(), orig.get(s).toArray());
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
