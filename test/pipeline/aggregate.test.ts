/**
 * HF TokenClassificationPipeline post-processing on hand-crafted windows. Every expected output
 * below is derived by hand (see the comment above each case) from the HF rules:
 *   gather_pre_entities → NONE/SIMPLE argmax per token | FIRST/AVERAGE/MAX per word → group_entities
 *   (join iff same tag and bi != 'B'; entity_group = text after the first '-'; score = mean) →
 *   ignore_labels filter on the grouped label.
 * Numbers: probabilities are stored as float32, so a single-token score is `Math.fround(p)`.
 * Means are checked against the float64 value computed by hand from those float32 inputs with an
 * absolute tolerance of 2^-23 ≈ 1.2e-7 (float32 rounding of a value in [0, 1] is at most 2^-25
 * off; numpy's float32 accumulation adds at most another half ulp per addition), plus a few exact
 * float32 checks of the numpy-order value.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  aggregateOverlappingEntities,
  codePointOffsetsToUtf16,
  postprocess,
  softmax,
  sumFloat32,
  utf16ToCodePointIndex,
  type AggregationStrategy,
  type GroupedEntity,
  type TokenizedPrediction,
  type TokenizerFacts,
} from '../../src/pipeline/aggregate.ts';

const f = Math.fround;
const TOL = 2 ** -23;
const LABELS = ['O', 'B-PER', 'I-PER', 'B-ORG', 'I-ORG', 'B-MISC', 'I-MISC'];
const UNK = 100;

/** WordPiece: convert_tokens_to_string = ' '.join(tokens).replace(' ##', '').strip() */
const wordpiece: TokenizerFacts = {
  unkTokenId: UNK,
  continuingSubwordPrefix: '##',
  tokensToString: (t) => t.join(' ').replaceAll(' ##', '').trim(),
};
/** Byte-level BPE (RoBERTa-like): no prefix; decode = join and 'Ġ' → ' ' (no strip). */
const bytelevel: TokenizerFacts = {
  unkTokenId: 3,
  continuingSubwordPrefix: undefined,
  tokensToString: (t) => t.join('').replaceAll('Ġ', ' '),
};

/** One row: token, [start, end], probabilities (by label name; missing labels are 0), flags. */
interface Row {
  t: string;
  o?: [number, number];
  p?: Record<string, number>;
  special?: boolean;
  id?: number;
  w?: number | null;
}
const CLS: Row = { t: '[CLS]', special: true, p: { 'B-PER': 0.99, O: 0.01 } }; // specials may carry any label
const SEP: Row = { t: '[SEP]', special: true, p: { 'B-ORG': 0.99, O: 0.01 } };

function pred(text: string, rows: Row[], labels = LABELS): TokenizedPrediction {
  return {
    text,
    inputIds: rows.map((r, i) => r.id ?? 1000 + i),
    tokens: rows.map((r) => r.t),
    offsets: rows.map((r) => r.o ?? [0, 0]),
    specialTokensMask: rows.map((r) => (r.special ? 1 : 0)),
    wordIds: rows.map((r) => (r.w === undefined ? null : r.w)),
    probs: rows.map((r) => {
      const a = new Float32Array(labels.length);
      for (const [k, v] of Object.entries(r.p ?? { O: 1 })) {
        const j = labels.indexOf(k);
        assert.ok(j >= 0, k);
        a[j] = v;
      }
      return a;
    }),
  };
}

function run(p: TokenizedPrediction, strategy: AggregationStrategy, extra: object = {}, tok = wordpiece) {
  return postprocess(p, LABELS, tok, { strategy, ...extra });
}

/** Compares grouped entities, scores within TOL. */
function assertGroups(actual: unknown, expected: GroupedEntity[]): void {
  const a = actual as GroupedEntity[];
  assert.equal(a.length, expected.length, JSON.stringify(a));
  a.forEach((g, i) => {
    const e = expected[i];
    assert.deepEqual({ ...g, score: 0 }, { ...e, score: 0 }, `entity ${i}: ${JSON.stringify(g)}`);
    assert.ok(Math.abs(g.score - e.score) <= TOL, `entity ${i} score ${g.score} vs ${e.score}`);
  });
}

// ---------------------------------------------------------------------------------------------
// "Microsoft rocks": Micro + ##soft with conflicting labels; the four strategies all disagree.
//   Micro  : O .05, B-ORG .50, B-MISC .45             → argmax B-ORG (.50)
//   ##soft : O .05, I-PER .52, B-MISC .43             → argmax I-PER (.52)
//   rocks  : O .90, I-MISC .10                        → O
// is_subword(##soft) = len('##soft') 6 != len('soft') 4 → true; 'rocks' 5 == 5 → word start.
const microsoft = pred('Microsoft rocks', [
  CLS,
  { t: 'Micro', o: [0, 5], p: { O: 0.05, 'B-ORG': 0.5, 'B-MISC': 0.45 } },
  { t: '##soft', o: [5, 9], p: { O: 0.05, 'I-PER': 0.52, 'B-MISC': 0.43 } },
  { t: 'rocks', o: [10, 15], p: { O: 0.9, 'I-MISC': 0.1 } },
  SEP,
]);

test('none: argmax per token, index counts [CLS], O dropped, raw token as word', () => {
  assert.deepEqual(run(microsoft, 'none'), [
    { entity: 'B-ORG', score: f(0.5), index: 1, word: 'Micro', start: 0, end: 5 },
    { entity: 'I-PER', score: f(0.52), index: 2, word: '##soft', start: 5, end: 9 },
  ]);
});

test('simple: the word is split across two entities (HF #12593 behaviour, word "##soft")', () => {
  // B-ORG | I-PER (tag PER != ORG → new group) | O (dropped after grouping)
  assert.deepEqual(run(microsoft, 'simple'), [
    { entity_group: 'ORG', score: f(0.5), word: 'Micro', start: 0, end: 5 },
    { entity_group: 'PER', score: f(0.52), word: '##soft', start: 5, end: 9 },
  ]);
});

test('first: the first sub-token decides the word (ORG)', () => {
  assert.deepEqual(run(microsoft, 'first'), [
    { entity_group: 'ORG', score: f(0.5), word: 'Microsoft', start: 0, end: 9 },
  ]);
});

test('max: the most confident sub-token decides (##soft .52 > Micro .50 → I-PER → PER)', () => {
  assert.deepEqual(run(microsoft, 'max'), [
    { entity_group: 'PER', score: f(0.52), word: 'Microsoft', start: 0, end: 9 },
  ]);
});

test('average: the mean distribution decides (B-MISC (.45+.43)/2 = .44 beats I-PER .26, B-ORG .25)', () => {
  const out = run(microsoft, 'average') as GroupedEntity[];
  // float64 by hand from the float32 inputs: (f(.45) + f(.43)) / 2
  assertGroups(out, [{ entity_group: 'MISC', score: (f(0.45) + f(0.43)) / 2, word: 'Microsoft', start: 0, end: 9 }]);
  // exact numpy float32 value: fround(fround(a + b) / 2)
  assert.equal(out[0].score, f(f(f(0.45) + f(0.43)) / 2));
});

// "Brennan said" / "McDonald": entity ending / starting mid-word.
test('simple: entity ending mid-word keeps the mid-word end; first widens it to the word', () => {
  // Bren B-PER .9 | ##nan O .6 | said O .95
  const p = pred('Brennan said', [
    CLS,
    { t: 'Bren', o: [0, 4], p: { 'B-PER': 0.9, O: 0.1 } },
    { t: '##nan', o: [4, 7], p: { O: 0.6, 'I-PER': 0.4 } },
    { t: 'said', o: [8, 12], p: { O: 0.95, 'B-PER': 0.05 } },
    SEP,
  ]);
  assert.deepEqual(run(p, 'simple'), [{ entity_group: 'PER', score: f(0.9), word: 'Bren', start: 0, end: 4 }]);
  assert.deepEqual(run(p, 'first'), [{ entity_group: 'PER', score: f(0.9), word: 'Brennan', start: 0, end: 7 }]);
  // max: Bren's .9 > ##nan's .6 → B-PER .9 as well
  assert.deepEqual(run(p, 'max'), [{ entity_group: 'PER', score: f(0.9), word: 'Brennan', start: 0, end: 7 }]);
});

test('first: a word whose first piece is O is O entirely; max/simple still find the PER piece', () => {
  // Mc O .55 | ##Donald B-PER .9
  const p = pred('McDonald', [
    CLS,
    { t: 'Mc', o: [0, 2], p: { O: 0.55, 'B-PER': 0.45 } },
    { t: '##Donald', o: [2, 8], p: { 'B-PER': 0.9, O: 0.1 } },
    SEP,
  ]);
  assert.deepEqual(run(p, 'first'), []);
  assert.deepEqual(run(p, 'max'), [{ entity_group: 'PER', score: f(0.9), word: 'McDonald', start: 0, end: 8 }]);
  assert.deepEqual(run(p, 'simple'), [{ entity_group: 'PER', score: f(0.9), word: '##Donald', start: 2, end: 8 }]);
  // average: O (.55+.1)/2 = .325, B-PER (.45+.9)/2 = .675 → PER
  assertGroups(run(p, 'average'), [{ entity_group: 'PER', score: (f(0.45) + f(0.9)) / 2, word: 'McDonald', start: 0, end: 8 }]);
});

test('adjacent B-PER B-PER are two entities; B-PER I-PER merge with the mean score', () => {
  const p = pred('Ann Bob Smith', [
    CLS,
    { t: 'Ann', o: [0, 3], p: { 'B-PER': 0.9, O: 0.1 } },
    { t: 'Bob', o: [4, 7], p: { 'B-PER': 0.8, 'I-PER': 0.2 } },
    { t: 'Smith', o: [8, 13], p: { 'I-PER': 0.7, 'B-PER': 0.3 } },
    SEP,
  ]);
  for (const s of ['simple', 'first', 'average', 'max'] as const) {
    // Bob+Smith score = mean(.8, .7) = .75 (float64 by hand from the float32 values)
    assertGroups(run(p, s), [
      { entity_group: 'PER', score: f(0.9), word: 'Ann', start: 0, end: 3 },
      { entity_group: 'PER', score: (f(0.8) + f(0.7)) / 2, word: 'Bob Smith', start: 4, end: 13 },
    ]);
  }
});

test('B-PER O I-PER gives two PER groups (Python; transformers.js merges them into one)', () => {
  // Python groups first: [Ann](PER) [and](O) [Lee](PER: I- after O opens a group), then drops O.
  // transformers.js drops O before grouping, so it would output one PER group "Ann Lee".
  const p = pred('Ann and Lee', [
    CLS,
    { t: 'Ann', o: [0, 3], p: { 'B-PER': 0.9, O: 0.1 } },
    { t: 'and', o: [4, 7], p: { O: 0.8, 'I-PER': 0.2 } },
    { t: 'Lee', o: [8, 11], p: { 'I-PER': 0.6, O: 0.4 } },
    SEP,
  ]);
  const expected = [
    { entity_group: 'PER', score: f(0.9), word: 'Ann', start: 0, end: 3 },
    { entity_group: 'PER', score: f(0.6), word: 'Lee', start: 8, end: 11 },
  ];
  assert.deepEqual(run(p, 'simple'), expected);
  assert.deepEqual(run(p, 'first'), expected);
  // ignoreLabels [] keeps the O group that separated them
  assert.deepEqual(
    (run(p, 'simple', { ignoreLabels: [] }) as GroupedEntity[]).map((g) => g.entity_group),
    ['PER', 'O', 'PER'],
  );
});

test('special tokens are skipped wherever they are (even with entity labels)', () => {
  // [CLS] a [SEP] b [SEP] — the specials carry B-PER/B-ORG argmaxes but never appear,
  // and the second segment's token keeps its input_ids position (3, counting [CLS] and [SEP]).
  const p = pred('a b', [
    CLS,
    { t: 'a', o: [0, 1], p: { 'B-MISC': 0.7, O: 0.3 } },
    SEP,
    { t: 'b', o: [2, 3], p: { 'I-MISC': 0.6, O: 0.4 } },
    SEP,
  ]);
  assert.deepEqual(
    (run(p, 'none') as { index: number; entity: string }[]).map((e) => [e.index, e.entity]),
    [[1, 'B-MISC'], [3, 'I-MISC']],
  );
  // simple: B-MISC, I-MISC merge (specials are not units, so nothing separates them)
  assertGroups(run(p, 'simple'), [{ entity_group: 'MISC', score: (f(0.7) + f(0.6)) / 2, word: 'a b', start: 0, end: 3 }]);
});

test('empty text: only specials → [] for every strategy', () => {
  const p = pred('', [CLS, SEP]);
  for (const s of ['none', 'simple', 'first', 'average', 'max'] as const) assert.deepEqual(run(p, s), []);
  assert.deepEqual(softmax(new Float32Array(0), 3), []);
});

test('accents and emoji: offsets are UTF-16 code units; UNK emoji takes its source text', () => {
  // "José 😀 Nuñez": UTF-16 indices J0 o1 s2 é3 ␠4 😀5-6 ␠7 N8 u9 ñ10 e11 z12 (length 13).
  // Python code-point offsets would be José(0,4) 😀(5,6) Nu(7,9) ##ñez(9,12); the caller converts.
  const text = 'José 😀 Nuñez';
  const cp: [number, number][] = [[0, 4], [5, 6], [7, 9], [9, 12]];
  const u16 = codePointOffsetsToUtf16(text, cp);
  assert.deepEqual(u16, [[0, 4], [5, 7], [8, 10], [10, 13]]);
  assert.equal(utf16ToCodePointIndex(text, 13), 12);
  assert.equal(utf16ToCodePointIndex(text, 8), 7);
  const p = pred(text, [
    CLS,
    { t: 'José', o: u16[0], p: { 'B-PER': 0.9, O: 0.1 } },
    { t: '[UNK]', o: u16[1], id: UNK, p: { 'B-MISC': 0.6, O: 0.4 } },
    { t: 'Nu', o: u16[2], p: { 'B-PER': 0.8, O: 0.2 } },
    { t: '##ñez', o: u16[3], p: { 'I-PER': 0.7, O: 0.3 } },
    SEP,
  ]);
  // is_subword(##ñez): len('##ñez') 5 != len('ñez') 3 → subword.
  assert.deepEqual(run(p, 'first'), [
    { entity_group: 'PER', score: f(0.9), word: 'José', start: 0, end: 4 },
    { entity_group: 'MISC', score: f(0.6), word: '😀', start: 5, end: 7 },
    { entity_group: 'PER', score: f(0.8), word: 'Nuñez', start: 8, end: 13 },
  ]);
  const out = run(p, 'first') as GroupedEntity[];
  assert.deepEqual(out.map((g) => text.slice(g.start!, g.end!)), ['José', '😀', 'Nuñez']);
});

test('WordPiece length rule counts code points like Python (astral char in a token)', () => {
  // token '𝔸' (1 code point, 2 UTF-16 units) vs source '𝔸': equal → not a subword, even though
  // the previous token ends right before it. Token '##𝔹' (3 cp) vs '𝔹' (1 cp) → subword.
  // (Lengths are compared in code points, as Python's len(); UTF-16 lengths agree here but would
  // not for a token whose normalised form has a different number of astral characters.)
  const text = 'x𝔸𝔹';
  const p = pred(text, [
    CLS,
    { t: 'x', o: [0, 1], p: { 'B-MISC': 0.9, O: 0.1 } },
    { t: '𝔸', o: [1, 3], p: { 'B-PER': 0.8, O: 0.2 } },
    { t: '##𝔹', o: [3, 5], p: { O: 0.7, 'B-PER': 0.3 } },
    SEP,
  ]);
  // words: 'x' | '𝔸' + '##𝔹' → FIRST: MISC 'x', PER '𝔸𝔹'
  assert.deepEqual(run(p, 'first'), [
    { entity_group: 'MISC', score: f(0.9), word: 'x', start: 0, end: 1 },
    { entity_group: 'PER', score: f(0.8), word: '𝔸𝔹', start: 1, end: 5 },
  ]);
});

test('UNK: word = source text and never a sub-word (so "caf☃" is two words)', () => {
  // '[UNK]' (5) vs '☃' (1) would be a sub-word by the length rule; the UNK rule makes it a word.
  const p = pred('caf☃', [
    CLS,
    { t: 'caf', o: [0, 3], p: { 'B-MISC': 0.8, O: 0.2 } },
    { t: '[UNK]', o: [3, 4], id: UNK, p: { 'I-MISC': 0.6, O: 0.4 } },
    SEP,
  ]);
  // two words B-MISC, I-MISC → one group; word = tokensToString(['caf', '☃']) = 'caf ☃'
  assertGroups(run(p, 'first'), [{ entity_group: 'MISC', score: (f(0.8) + f(0.6)) / 2, word: 'caf ☃', start: 0, end: 4 }]);
  assert.deepEqual(
    (run(p, 'none') as { word: string }[]).map((e) => e.word),
    ['caf', '☃'],
  );
});

test('byte-level heuristic: Ġ tokens start words, glued punctuation joins the word', () => {
  // "Hello Microsoft robot!" (offsets exclude the leading space, RoBERTa trim_offsets):
  //   Hello(0,5) ĠMicro(6,11): text[5:7]=' M' → word | soft(11,15): 'os' → subword
  //   Ġrobot(16,21): ' r' → word | !(21,22): 't!' → subword (fused into "robot!")
  const text = 'Hello Microsoft robot!';
  const p = pred(text, [
    { t: '<s>', special: true },
    { t: 'Hello', o: [0, 5], p: { O: 0.9, 'B-PER': 0.1 } },
    { t: 'ĠMicro', o: [6, 11], p: { 'B-ORG': 0.8, O: 0.2 } },
    { t: 'soft', o: [11, 15], p: { 'I-ORG': 0.6, O: 0.4 } },
    { t: 'Ġrobot', o: [16, 21], p: { 'B-MISC': 0.7, O: 0.3 } },
    { t: '!', o: [21, 22], p: { O: 0.9, 'I-MISC': 0.1 } },
    { t: '</s>', special: true },
  ]);
  assert.deepEqual(run(p, 'first', {}, bytelevel), [
    { entity_group: 'ORG', score: f(0.8), word: ' Microsoft', start: 6, end: 15 },
    { entity_group: 'MISC', score: f(0.7), word: ' robot!', start: 16, end: 22 },
  ]);
  assertGroups(run(p, 'simple', {}, bytelevel), [
    { entity_group: 'ORG', score: (f(0.8) + f(0.6)) / 2, word: ' Microsoft', start: 6, end: 15 },
    { entity_group: 'MISC', score: f(0.7), word: ' robot', start: 16, end: 21 },
  ]);
  // Offsets that include the leading space (PR #18402): ĠMicro(5,11): text[4:6]='o ' → word start.
  const q = { ...p, offsets: p.offsets.map((o, i) => (i === 2 ? ([5, 11] as const) : o)) };
  assert.deepEqual((run(q, 'first', {}, bytelevel) as GroupedEntity[])[0], {
    entity_group: 'ORG', score: f(0.8), word: ' Microsoft', start: 5, end: 15,
  });
});

test('heuristic: a token after a newline is a sub-word of the previous word (HF quirk); wordIds fix it', () => {
  // "Ann\nLee": Lee(4,7): text[3:5] = '\nL' has no ' ' → subword → FIRST makes one word 'AnnLee'.
  const p = pred('Ann\nLee', [
    { t: '<s>', special: true },
    { t: 'Ann', o: [0, 3], p: { 'B-PER': 0.9, O: 0.1 }, w: 0 },
    { t: 'ĊLee', o: [4, 7], p: { 'B-PER': 0.8, O: 0.2 }, w: 1 },
    { t: '</s>', special: true },
  ]);
  assert.deepEqual(run(p, 'first', {}, bytelevel), [
    { entity_group: 'PER', score: f(0.9), word: 'AnnĊLee', start: 0, end: 7 },
  ]);
  // useWordIds: different word ids → two words → two PER entities (B-PER B-PER)
  assert.deepEqual(run(p, 'first', { useWordIds: true }, bytelevel), [
    { entity_group: 'PER', score: f(0.9), word: 'Ann', start: 0, end: 3 },
    { entity_group: 'PER', score: f(0.8), word: 'ĊLee', start: 4, end: 7 },
  ]);
});

test('useWordIds groups pieces by word id even where the WordPiece length rule would not', () => {
  // pre-split ["New-York"] tokenised 'New' '-' 'York' (no ## since BERT splits punctuation):
  // length rule → three words; word ids → one word.
  const p = pred('New-York', [
    CLS,
    { t: 'New', o: [0, 3], p: { 'B-ORG': 0.6, O: 0.4 }, w: 0 },
    { t: '-', o: [3, 4], p: { O: 0.9, 'I-ORG': 0.1 }, w: 0 },
    { t: 'York', o: [4, 8], p: { 'I-ORG': 0.7, O: 0.3 }, w: 0 },
    SEP,
  ]);
  assert.deepEqual(run(p, 'first'), [
    { entity_group: 'ORG', score: f(0.6), word: 'New', start: 0, end: 3 },
    { entity_group: 'ORG', score: f(0.7), word: 'York', start: 4, end: 8 },
  ]);
  assert.deepEqual(run(p, 'first', { useWordIds: true }), [
    { entity_group: 'ORG', score: f(0.6), word: 'New - York', start: 0, end: 8 },
  ]);
  // without wordIds in the prediction the flag is ignored
  const { wordIds: _drop, ...noIds } = p;
  assert.deepEqual(run(noIds, 'first', { useWordIds: true }), run(p, 'first'));
});

test('ignore_labels apply after grouping to the stripped type', () => {
  const p = pred('Acme met Ann', [
    CLS,
    { t: 'Acme', o: [0, 4], p: { 'B-MISC': 0.7, O: 0.3 } },
    { t: 'met', o: [5, 8], p: { O: 0.9, 'B-MISC': 0.1 } },
    { t: 'Ann', o: [9, 12], p: { 'B-PER': 0.8, O: 0.2 } },
    SEP,
  ]);
  const types = (o: unknown) => (o as GroupedEntity[]).map((g) => g.entity_group);
  assert.deepEqual(types(run(p, 'simple', { ignoreLabels: ['O', 'MISC'] })), ['PER']);
  // 'B-MISC' is not an entity_group, so it filters nothing in aggregated output …
  assert.deepEqual(types(run(p, 'first', { ignoreLabels: ['O', 'B-MISC'] })), ['MISC', 'PER']);
  // … but it does filter raw token labels under 'none'
  assert.deepEqual(
    (run(p, 'none', { ignoreLabels: ['O', 'B-MISC'] }) as { entity: string }[]).map((e) => e.entity),
    ['B-PER'],
  );
});

test('non-BIO labels: get_tag → (I, label), so equal adjacent tags merge; entity_group splits at the first "-"', () => {
  const labels = ['NOUN', 'VERB', 'B-creative-work', 'I-creative-work'];
  const rows: Row[] = [
    CLS,
    { t: 'dogs', o: [0, 4], p: { NOUN: 0.9, VERB: 0.1 } },
    { t: 'cats', o: [5, 9], p: { NOUN: 0.8, VERB: 0.2 } },
    { t: 'run', o: [10, 13], p: { VERB: 0.7, NOUN: 0.3 } },
    { t: 'Up', o: [14, 16], p: { 'B-creative-work': 1 } },
    { t: '##town', o: [16, 20], p: { 'I-creative-work': 1 } },
    SEP,
  ];
  const cls = { ...CLS, p: { NOUN: 1 } };
  const sep = { ...SEP, p: { NOUN: 1 } };
  const p = pred('dogs cats run Uptown', [cls, ...rows.slice(1, -1), sep], labels);
  const out = postprocess(p, labels, wordpiece, { strategy: 'simple' });
  assert.deepEqual(out.map((g) => [g.entity_group, g.word, g.start, g.end]), [
    ['NOUN', 'dogs cats', 0, 9],
    ['VERB', 'run', 10, 13],
    ['creative-work', 'Uptown', 14, 20],
  ]);
  assert.ok(Math.abs(out[0].score - (f(0.9) + f(0.8)) / 2) <= TOL);
});

test('average over three tokens: exact float32 arithmetic in numpy order', () => {
  // Tokens of one word with B-PER probs .3, .35, .5 (O gets the rest):
  //   B-PER mean = (.3+.35+.5)/3 = .38333…, O mean = (.7+.65+.5)/3 = .61666… → O. So use I-ORG:
  //   I-ORG .6, .55, .2 → mean .45; O .4, .45, .8 → mean .55. → word label O, dropped.
  //   Adding B-ORG .0 on the first piece changes nothing. To keep an entity we lower O:
  //   piece probs (O, B-ORG, I-ORG) = (.1,.5,.4), (.3,.1,.6), (.2,.2,.6)
  //   means: O .2, B-ORG .26667, I-ORG .53333 → I-ORG, score (.4+.6+.6)/3 = .53333…
  const p = pred('Orgtasticco', [
    CLS,
    { t: 'Org', o: [0, 3], p: { O: 0.1, 'B-ORG': 0.5, 'I-ORG': 0.4 } },
    { t: '##tastic', o: [3, 9], p: { O: 0.3, 'B-ORG': 0.1, 'I-ORG': 0.6 } },
    { t: '##co', o: [9, 11], p: { O: 0.2, 'B-ORG': 0.2, 'I-ORG': 0.6 } },
    SEP,
  ]);
  const out = run(p, 'average') as GroupedEntity[];
  assertGroups(out, [{ entity_group: 'ORG', score: (f(0.4) + f(0.6) + f(0.6)) / 3, word: 'Orgtasticco', start: 0, end: 11 }]);
  assert.equal(out[0].score, f(f(f(f(0.4) + f(0.6)) + f(0.6)) / 3)); // numpy: sequential float32 sum
  // first: B-ORG .5; max: Org .5 vs ##tastic .6 vs ##co .6 → ##tastic (first of the tie) I-ORG .6
  assert.deepEqual((run(p, 'first') as GroupedEntity[])[0].score, f(0.5));
  assert.deepEqual((run(p, 'max') as GroupedEntity[])[0].score, f(0.6));
});

test('viterbi option: O I-PER is repaired to B-PER I-PER (token level) and at word level', () => {
  // Dr: O .5 B-PER .4 I-PER .1 ; Ann: O .1 B-PER .3 I-PER .6. Argmax O, I-PER (invalid).
  // Valid paths: (B-PER, I-PER) .4*.6 = .24 > (O, B-PER) .15 > (B-PER, B-PER) .12 > (O, O) .05.
  const p = pred('Dr Ann', [
    CLS,
    { t: 'Dr', o: [0, 2], p: { O: 0.5, 'B-PER': 0.4, 'I-PER': 0.1 } },
    { t: 'Ann', o: [3, 6], p: { O: 0.1, 'B-PER': 0.3, 'I-PER': 0.6 } },
    SEP,
  ]);
  assert.deepEqual(run(p, 'simple'), [{ entity_group: 'PER', score: f(0.6), word: 'Ann', start: 3, end: 6 }]);
  const fixed = [{ entity_group: 'PER', score: (f(0.4) + f(0.6)) / 2, word: 'Dr Ann', start: 0, end: 6 }];
  assertGroups(run(p, 'simple', { viterbi: 'IOB2' }), fixed);
  assertGroups(run(p, 'first', { viterbi: 'IOB2' }), fixed);
  assert.deepEqual(
    (run(p, 'none', { viterbi: 'IOB2' }) as { entity: string; score: number }[]).map((e) => [e.entity, e.score]),
    [['B-PER', f(0.4)], ['I-PER', f(0.6)]],
  );
});

// ---------------------------------------------------------------------------------------------
// stride merge

const E = (entity_group: string, start: number, end: number, score: number): GroupedEntity => ({
  entity_group, score, word: `${entity_group}${start}`, start, end,
});

test('aggregateOverlappingEntities: keep the longer, tie → higher score, disjoint kept, sorted by start', () => {
  const a = E('PER', 0, 10, 0.5); // window 1
  const b = E('PER', 5, 12, 0.99); // window 2, starts inside a, shorter (7 < 10) → a kept
  const c = E('ORG', 20, 25, 0.8);
  const d = E('ORG', 20, 25, 0.85); // same span, higher score → d
  const e = E('LOC', 22, 24, 0.99); // starts inside d, shorter → d kept
  const g = E('LOC', 25, 30, 0.7); // starts at d.end → disjoint, kept
  const h = E('MISC', 40, 44, 0.6); // partial entity from window 1
  const i = E('MISC', 44, 50, 0.6); // its other half from window 2 → both survive
  assert.deepEqual(aggregateOverlappingEntities([h, c, a, g, i, e, b, d]), [a, d, g, h, i]);
  // a later, longer entity starting inside replaces the kept one
  const long = E('PER', 3, 20, 0.1);
  assert.deepEqual(aggregateOverlappingEntities([a, long]), [long]);
  assert.deepEqual(aggregateOverlappingEntities([]), []);
});

test('aggregateOverlappingEntities: zero-length first entity is not duplicated (deliberate HF fix)', () => {
  const z = E('X', 0, 0, 0.5);
  const a = E('PER', 0, 4, 0.5);
  // sorted (stable): z, a. a.start 0 is not < z.end 0 → z emitted, then a. HF would emit z twice.
  assert.deepEqual(aggregateOverlappingEntities([z, a]), [z, a]);
  assert.throws(() => aggregateOverlappingEntities([{ ...a, start: null }]), /start\/end/);
});

// ---------------------------------------------------------------------------------------------
// numerics

test('softmax: max-shifted float32, rows sum to ~1, matches a hand-computed row', () => {
  // row [0, ln 3] → exp shift: [exp(-ln3), 1] = [1/3, 1] → sum 4/3 → [.25, .75]
  const rows = softmax(Float32Array.from([0, Math.log(3), 1000, 1000]), 2);
  assert.equal(rows.length, 2);
  assert.ok(Math.abs(rows[0][0] - 0.25) <= TOL && Math.abs(rows[0][1] - 0.75) <= TOL);
  assert.deepEqual([...rows[1]], [0.5, 0.5]); // large logits do not overflow
  assert.throws(() => softmax(new Float32Array(3), 2), /multiple/);
});

test('sumFloat32 follows numpy pairwise order (values checked against numpy 2.4)', () => {
  // np.sum(np.float32([1, 2**-24, 2**-24])) == 1.0 (sequential float32), not 1.0000001
  assert.equal(sumFloat32([1, 2 ** -24, 2 ** -24]), 1);
  // 9 items: 8 accumulators r = [1, 2^-24 ×7], tree ((1+2^-24)+(2^-23)) + (2^-22) = 1 + 3·2^-23,
  // then the 9th item: 1 + 3·2^-23 + 2^-24 is a tie → even → 1 + 4·2^-23.
  // np.sum(np.float32([1] + [2**-24]*8)) == 1.0000004768371582
  assert.equal(sumFloat32([1, ...new Array(8).fill(2 ** -24)]), 1 + 4 * 2 ** -23);
  // 16 items: r0 = 1 + 2^-24 = 1 (ties to even), r1..r7 = 2^-23 each; tree:
  // ((1 + 2^-23) + 2^-22) + (2^-22 + 2^-22) = 1 + 7·2^-23; numpy gives 1.0000008344650269
  assert.equal(sumFloat32([1, ...new Array(15).fill(2 ** -24)]), 1.0000008344650269);
});

test('errors: length mismatches and unknown label ids are reported', () => {
  const p = pred('a', [CLS, { t: 'a', o: [0, 1] }, SEP]);
  assert.throws(() => postprocess(p, LABELS.slice(0, 3), wordpiece, { strategy: 'simple' }), /id2label has 3/);
  assert.throws(() => postprocess({ ...p, tokens: ['a'] }, LABELS, wordpiece, { strategy: 'simple' }), /same length/);
  assert.throws(
    () => postprocess(p, LABELS, wordpiece, { strategy: 'bogus' as AggregationStrategy }),
    /unknown aggregation strategy/,
  );
});
