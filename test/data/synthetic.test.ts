import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readMarkedSentences, REAL_SENTENCES_DIR, toConll } from '../../scripts/real-sentences.ts';
import { formatConll } from '../../src/data/conll.ts';
import { CONLL2003_NER } from '../../src/data/labels.ts';
import { loadDataset } from '../../src/data/load.ts';
import {
  SYNTHETIC_DEFAULT_SIZES,
  SYNTHETIC_LEXICON,
  syntheticHeldOutNames,
  syntheticNer,
  syntheticTemplates,
} from '../../src/data/synthetic.ts';
import { splitWords } from '../../src/data/words.ts';
import { writeSyntheticConll } from '../../src/data/synthetic-files.ts';

const corpus = syntheticNer();
const SPLITS = ['train', 'validation', 'test'] as const;

interface Span {
  type: string;
  start: number;
  end: number;
  text: string;
}

function entities(tokens: readonly string[], tags: readonly number[] | readonly string[]): Span[] {
  const out: Span[] = [];
  tags.forEach((t, k) => {
    const tag = typeof t === 'number' ? CONLL2003_NER[t] : t;
    if (tag.startsWith('B-')) out.push({ type: tag.slice(2), start: k, end: k + 1, text: tokens[k] });
    else if (tag.startsWith('I-')) {
      const e = out[out.length - 1];
      e.end = k + 1;
      e.text += ` ${tokens[k]}`;
    }
  });
  return out;
}

const trainEntities = corpus.get('train').toArray().flatMap((r) => entities(r.tokens, r.ner_tags));

test('default sizes, columns and the conll2003 label order', () => {
  assert.deepEqual(corpus.names, [...SPLITS]);
  assert.deepEqual(SPLITS.map((s) => corpus.get(s).length), SPLITS.map((s) => SYNTHETIC_DEFAULT_SIZES[s]));
  for (const s of SPLITS) {
    const ds = corpus.get(s);
    assert.deepEqual(ds.columnNames, ['id', 'tokens', 'ner_tags']);
    assert.deepEqual(ds.labels('ner_tags').names, CONLL2003_NER);
    for (const row of ds) assert.equal(row.tokens.length, row.ner_tags.length);
  }
  const small = syntheticNer({ train: 5, validation: 0, test: 2 });
  assert.deepEqual(SPLITS.map((s) => small.get(s).length), [5, 0, 2]);
  assert.throws(() => syntheticNer({ train: -1 }), RangeError);
  assert.throws(() => syntheticNer({ test: 1.5 }), RangeError);
});

test('every token is one word of the BERT pre-tokenizer, as the pipeline cuts raw text', () => {
  for (const s of SPLITS) {
    for (const row of corpus.get(s)) for (const t of row.tokens) assert.deepEqual(splitWords(t), [t], `${s} row ${row.id}: '${t}'`);
  }
  assert.deepEqual(splitWords("Hi, I'm at St Mary's — $69 3-1"), ['Hi', ',', 'I', "'", 'm', 'at', 'St', 'Mary', "'", 's', '—', '$', '69', '3', '-', '1']);
});

test('deterministic: the same seed gives the same corpus byte for byte; another seed differs', () => {
  const again = syntheticNer();
  for (const s of SPLITS) assert.equal(formatConll(again.get(s)), formatConll(corpus.get(s)));
  assert.notEqual(formatConll(syntheticNer({ seed: 7, train: 200 }).get('train')), formatConll(syntheticNer({ train: 200 }).get('train')));
  // one split's size does not change another split
  assert.equal(formatConll(syntheticNer({ train: 10 }).get('test')), formatConll(corpus.get('test')));
  assert.equal(formatConll(syntheticNer({ train: 10 }).get('train')), formatConll(corpus.get('train').select([...Array(10).keys()])));
});

test('every sentence is valid IOB2 and every label occurs in every split', () => {
  for (const s of SPLITS) {
    const counts = new Array(CONLL2003_NER.length).fill(0);
    for (const row of corpus.get(s)) {
      const tags = row.ner_tags.map((t) => CONLL2003_NER[t]);
      tags.forEach((tag, k) => {
        assert.ok(tag !== undefined, `row ${row.id}: tag id out of range`);
        if (tag.startsWith('I-')) assert.ok(tags[k - 1] === `B-${tag.slice(2)}` || tags[k - 1] === tag, `${s} row ${row.id}: ${tag} after ${tags[k - 1]}`);
      });
      for (const t of row.ner_tags) counts[t]++;
    }
    counts.forEach((c, id) => assert.ok(c > 0, `${s}: no ${CONLL2003_NER[id]}`));
    const entityShare = 1 - counts[0] / counts.reduce((a, b) => a + b, 0);
    assert.ok(entityShare > 0.15 && entityShare < 0.5, `${s}: entity share ${entityShare}`);
  }
});

test('validation and test use only names, organisations and places that never occur in training', () => {
  // the two tiers of the lists share no entry, in any list
  const trainEntries = new Set(Object.values(SYNTHETIC_LEXICON).flatMap((p) => p.train));
  const heldOut = syntheticHeldOutNames();
  assert.ok(heldOut.length > 3000, `${heldOut.length} held-out entries`);
  assert.deepEqual(heldOut.filter((e) => trainEntries.has(e)), []);
  // no entity string of validation or test is an entity string of train
  const seen = new Set(trainEntities.map((e) => e.text));
  for (const s of ['validation', 'test']) {
    const es = corpus.get(s).toArray().flatMap((r) => entities(r.tokens, r.ner_tags));
    assert.ok(es.length > 500);
    // lower-cased and capitalised variants count as the same string
    const leaked = es.filter((e) => seen.has(e.text) && !/^[A-Z]+$/.test(e.text.replace(/\W/g, '')));
    assert.deepEqual(leaked.map((e) => e.text), [], `${s} entities also in train`);
  }
});

test('the hand-tagged real sentences are kept out of training', async () => {
  const marked = readMarkedSentences();
  assert.equal(await readFile(join(REAL_SENTENCES_DIR, 'test.txt'), 'utf8'), toConll(marked), 'test.txt is not what sentences.md says');
  const hand = marked.flatMap((s) => entities(s.words, s.tags));
  assert.ok(marked.length >= 50 && hand.length >= 120, `${marked.length} sentences, ${hand.length} entities`);
  // no training entity contains a hand-set entity string as whole words
  const handStrings = new Set(hand.map((e) => e.text));
  const contained = trainEntities.filter((e) => {
    const w = e.text.split(' ');
    for (let i = 0; i < w.length; i++) for (let j = i + 1; j <= w.length; j++) if (handStrings.has(w.slice(i, j).join(' '))) return true;
    return false;
  });
  assert.deepEqual(contained.map((e) => e.text), []);
  // …nor is one a training-tier entry of any list, and no hand-set sentence is a training sentence
  const trainEntries = new Set(Object.values(SYNTHETIC_LEXICON).flatMap((p) => p.train));
  assert.deepEqual([...handStrings].filter((e) => trainEntries.has(e)), []);
  const trainSentences = new Set(corpus.get('train').toArray().map((r) => r.tokens.join(' ')));
  assert.deepEqual(marked.filter((s) => trainSentences.has(s.words.join(' '))), []);
});

test('variety: hundreds of patterns, thousands of names of every type, entities at the start, middle and end', () => {
  const { templates, openers, closers } = syntheticTemplates();
  assert.ok(templates.length >= 200, `${templates.length} templates`);
  assert.ok(openers.length >= 10 && closers.length >= 10);
  const lists = SYNTHETIC_LEXICON;
  assert.ok(lists.firstNames.train.length > 4000 && lists.lastNames.train.length > 4000);
  assert.ok(lists.cities.train.length + lists.majorCities.train.length > 2000);
  const byType = new Map<string, Set<string>>();
  for (const e of trainEntities) (byType.get(e.type) ?? byType.set(e.type, new Set()).get(e.type)!).add(e.text);
  const minimum: Record<string, number> = { PER: 3000, ORG: 2000, LOC: 2500, MISC: 600 };
  for (const [type, n] of Object.entries(minimum)) assert.ok(byType.get(type)!.size > n, `${type}: ${byType.get(type)!.size} distinct entities`);
  // multi-word entities of every type
  const multi = new Set(trainEntities.filter((e) => e.end - e.start > 1).map((e) => e.type));
  assert.deepEqual([...multi].sort(), ['LOC', 'MISC', 'ORG', 'PER']);
  // positions
  const train = corpus.get('train').toArray();
  const at = { start: 0, middle: 0, end: 0 };
  for (const r of train) {
    for (const e of entities(r.tokens, r.ner_tags)) {
      if (e.start === 0) at.start++;
      else if (e.end >= r.tokens.length - 1) at.end++;
      else at.middle++;
    }
  }
  assert.ok(at.start > 1000 && at.end > 500 && at.middle > 5000, JSON.stringify(at));
  const shapes = new Set(train.map((r) => r.ner_tags.map((t) => (t === 0 ? 'O' : 'E')).join('')));
  assert.ok(shapes.size > 2000, `${shapes.size} shapes`);
});

test('capitalised words that are not names, numbers, dates and money are O; some sentences are lower case or capitals', () => {
  const train = corpus.get('train').toArray();
  const capitalO = new Map<string, number>();
  let numbersO = 0;
  let money = 0;
  let lower = 0;
  let upper = 0;
  for (const r of train) {
    r.tokens.forEach((t, k) => {
      if (r.ner_tags[k] !== 0) return;
      if (/^[A-Z][a-z]+$/.test(t)) capitalO.set(t, (capitalO.get(t) ?? 0) + 1);
      if (/^\d+$/.test(t)) numbersO++;
      if (/^[$€£]$/.test(t)) money++;
    });
    const letters = r.tokens.join('').replace(/[^\p{L}]/gu, '');
    if (letters.length > 10 && letters === letters.toLowerCase() && r.ner_tags.some((t) => t > 0)) lower++;
    if (letters.length > 10 && letters === letters.toUpperCase() && r.ner_tags.some((t) => t > 0)) upper++;
  }
  for (const w of ['The', 'Monday', 'Friday', 'March', 'December', 'President', 'Dr', 'Mr', 'I', 'My', 'On', 'Prices', 'Police'].filter((w) => w !== 'I')) {
    assert.ok((capitalO.get(w) ?? 0) > 5, `'${w}' as O: ${capitalO.get(w) ?? 0}`);
  }
  assert.ok(numbersO > 2000 && money > 100, `${numbersO} numbers, ${money} currency signs as O`);
  assert.ok(lower / train.length > 0.02 && lower / train.length < 0.08, `lower-case share ${lower / train.length}`);
  assert.ok(upper / train.length > 0.003 && upper / train.length < 0.03, `capitals share ${upper / train.length}`);
});

test('src/data/lexicon.ts is what scripts/make-lexicon.ts makes from the data packages', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/make-lexicon.ts', '--check'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
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
