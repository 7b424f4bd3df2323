/**
 * Constrained decoding. Each expected path is found by hand by enumerating the valid sequences
 * and multiplying their probabilities (the decoder sums logs, so the same argmax).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bioViterbi, transitionMask } from '../../src/pipeline/viterbi.ts';

const L = ['O', 'B-PER', 'I-PER', 'B-ORG', 'I-ORG'];
const logs = (rows: number[][]) => rows.map((r) => Float64Array.from(r, Math.log));
const names = (ids: number[], labels = L) => ids.map((i) => labels[i]);

test('O I-PER (argmax) becomes O B-PER when that is the best valid path', () => {
  // t0: O .6 B-PER .1 I-PER .3 ; t1: O .2 B-PER .3 I-PER .5
  // valid: (O,B-PER) .18 > (O,O) .12 > (B-PER,I-PER) .05 > (B-PER,B-PER) .03 ; (O,I-PER) .15 invalid
  const rows = [[0.6, 0.1, 0.3, 0, 0], [0.2, 0.3, 0.5, 0, 0]];
  assert.deepEqual(names(bioViterbi(logs(rows), L)), ['O', 'B-PER']);
});

test('O I-PER becomes B-PER I-PER when changing the first token is cheaper', () => {
  // t0: O .45 B-PER .4 I-PER .15 ; t1: O .1 B-PER .1 I-PER .8
  // (B-PER,I-PER) .32 > (O,B-PER) .045 = (O,O) .045 (tie irrelevant) ; (O,I-PER) .36 invalid
  const rows = [[0.45, 0.4, 0.15, 0, 0], [0.1, 0.1, 0.8, 0, 0]];
  assert.deepEqual(names(bioViterbi(logs(rows), L)), ['B-PER', 'I-PER']);
});

test('I- at the start and I- after another type are forbidden', () => {
  // single token I-PER .7 vs O .3 → O (I-PER cannot start)
  assert.deepEqual(names(bioViterbi(logs([[0.3, 0, 0.7, 0, 0]]), L)), ['O']);
  // B-ORG .9 then I-PER .6 / I-ORG .3 / O .1: (B-ORG,I-ORG) .27 > (B-ORG,O) .09 ; (B-ORG,I-PER) invalid
  const rows = [[0.05, 0.05, 0, 0.9, 0], [0.1, 0, 0.6, 0, 0.3]];
  assert.deepEqual(names(bioViterbi(logs(rows), L)), ['B-ORG', 'I-ORG']);
});

test('valid argmax sequences are returned unchanged; empty input → []', () => {
  const rows = [[0.1, 0.8, 0.1, 0, 0], [0.1, 0.1, 0.8, 0, 0], [0.9, 0.05, 0.05, 0, 0], [0.2, 0, 0, 0.7, 0.1]];
  assert.deepEqual(names(bioViterbi(logs(rows), L)), ['B-PER', 'I-PER', 'O', 'B-ORG']);
  assert.deepEqual(bioViterbi([], L), []);
});

test('zero probabilities (-Infinity logs) still yield a valid path', () => {
  // only I-PER has mass at t0 → every valid path has -Infinity; the decoder still returns a valid one
  const out = names(bioViterbi(logs([[0, 0, 1, 0, 0], [0, 0, 1, 0, 0]]), L));
  assert.notEqual(out[0], 'I-PER');
  assert.ok(!(out[1] === 'I-PER' && out[0] !== 'B-PER' && out[0] !== 'I-PER'));
});

test('labels without a BIO prefix are unconstrained (POS tags → plain argmax)', () => {
  const pos = ['NOUN', 'VERB', 'ADJ'];
  const rows = [[0.2, 0.7, 0.1], [0.6, 0.3, 0.1], [0.1, 0.1, 0.8]];
  assert.deepEqual(names(bioViterbi(logs(rows), pos), pos), ['VERB', 'NOUN', 'ADJ']);
});

test('IOBES: B- must be closed by E-, and S-/E- cannot be continued', () => {
  const S = ['O', 'B-PER', 'I-PER', 'E-PER', 'S-PER'];
  const m = transitionMask(S, 'IOBES');
  assert.equal(m.allowed[1][3], true); // B → E
  assert.equal(m.allowed[1][0], false); // B → O
  assert.equal(m.allowed[3][2], false); // E → I
  assert.equal(m.start[3], false); // E cannot start
  assert.equal(m.end[1], false); // B cannot end
  // one token: B-PER .6, S-PER .3, O .1 → B cannot end → S-PER
  assert.deepEqual(names(bioViterbi(logs([[0.1, 0.6, 0, 0, 0.3]]), S, 'IOBES'), S), ['S-PER']);
  // two tokens: argmax B-PER, O (.5, .6). Valid: (B,E) .5*.3=.15 > (O,O) .2*.6=.12 > (S,O) .3*.6=.18? → S,O wins
  // t0: O .2 B .5 S .3 ; t1: O .6 E .3 S .1 → (S,O) .18 > (B,E) .15 > (O,O) .12
  const rows = [[0.2, 0.5, 0, 0, 0.3], [0.6, 0, 0, 0.3, 0.1]];
  assert.deepEqual(names(bioViterbi(logs(rows), S, 'IOBES'), S), ['S-PER', 'O']);
  // under IOB2 the same label set treats E-/S- as O-like: B-PER then O is fine
  assert.deepEqual(names(bioViterbi(logs(rows), S), S), ['B-PER', 'O']);
});

test('no valid path at all (only I- labels) falls back to the per-row argmax', () => {
  const only = ['I-PER', 'I-ORG'];
  assert.deepEqual(bioViterbi(logs([[0.3, 0.7], [0.9, 0.1]]), only), [1, 0]);
});
