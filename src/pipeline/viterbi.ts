/**
 * Constrained (BIO-valid) decoding: the label sequence maximising the summed log-probabilities
 * among the sequences allowed by the tagging scheme. Not part of the Hugging Face pipeline
 * (which takes a per-token argmax); offered as an opt-in (`AggregateOptions.viterbi`).
 *
 * IOB2:  `I-X` only after `B-X` or `I-X` (never at the start, after `O`, or after another type).
 * IOBES: `I-X`/`E-X` only after `B-X`/`I-X`; `B-X`/`I-X` must be followed by `I-X`/`E-X`
 *        (so neither may end the sequence); `S-X`, `E-X`, `O` may be followed by `O`/`B-`/`S-`.
 * Labels that fit no prefix of the scheme (e.g. POS tags, or `E-`/`S-` under IOB2) are treated
 * like `O`: anything may precede them, and after them only what may follow `O`.
 */
import type { ViterbiScheme } from './types.ts';

type Prefix = 'B' | 'I' | 'E' | 'S' | 'O';

function parseLabel(label: string, scheme: ViterbiScheme): { prefix: Prefix; type: string } {
  const m = /^([BIES])-(.*)$/s.exec(label);
  if (m) {
    const p = m[1] as Prefix;
    if (scheme === 'IOBES' || p === 'B' || p === 'I') return { prefix: p, type: m[2] };
  }
  return { prefix: 'O', type: '' };
}

/** allowed[prev][cur] transition matrix, plus start/end masks, for `id2label` under `scheme`. */
export function transitionMask(
  id2label: readonly string[],
  scheme: ViterbiScheme = 'IOB2',
): { allowed: boolean[][]; start: boolean[]; end: boolean[] } {
  const parsed = id2label.map((l) => parseLabel(l, scheme));
  const continues = (p: Prefix) => p === 'I' || p === 'E'; // needs an open entity before it
  const opens = (p: Prefix) => scheme === 'IOBES' && (p === 'B' || p === 'I'); // needs I-/E- after it
  const allowed = parsed.map((prev) =>
    parsed.map((cur) => {
      if (scheme === 'IOB2') {
        if (cur.prefix !== 'I') return true;
        return (prev.prefix === 'B' || prev.prefix === 'I') && prev.type === cur.type;
      }
      if (opens(prev.prefix)) return continues(cur.prefix) && prev.type === cur.type;
      return !continues(cur.prefix);
    }),
  );
  const start = parsed.map((c) => (scheme === 'IOB2' ? c.prefix !== 'I' : !continues(c.prefix)));
  const end = parsed.map((c) => !opens(c.prefix));
  return { allowed, start, end };
}

/**
 * Label ids (one per row of `logProbs`) of the best valid sequence. Rows are per-unit
 * log-probabilities (any monotone score works; `-Infinity` is fine). Ties go to the lower label id.
 * If the scheme admits no sequence at all (e.g. a label set with only `I-` labels) the
 * unconstrained per-row argmax is returned.
 */
export function bioViterbi(
  logProbs: readonly ArrayLike<number>[],
  id2label: readonly string[],
  scheme: ViterbiScheme = 'IOB2',
): number[] {
  const T = logProbs.length;
  const L = id2label.length;
  if (T === 0) return [];
  const { allowed, start, end } = transitionMask(id2label, scheme);
  // score[t][j] = best total for a valid prefix ending in j at t; reachable[t][j] tracks validity
  // separately so that -Infinity scores (probability 0) still give a valid path.
  let score = new Float64Array(L);
  let reach: boolean[] = new Array(L).fill(false);
  const back: Int32Array[] = [];
  for (let j = 0; j < L; j++) {
    reach[j] = start[j];
    score[j] = logProbs[0][j];
  }
  back.push(new Int32Array(L).fill(-1));
  for (let t = 1; t < T; t++) {
    const nextScore = new Float64Array(L);
    const nextReach: boolean[] = new Array(L).fill(false);
    const bp = new Int32Array(L).fill(-1);
    for (let j = 0; j < L; j++) {
      let best = -Infinity;
      let arg = -1;
      for (let i = 0; i < L; i++) {
        if (!reach[i] || !allowed[i][j]) continue;
        if (arg === -1 || score[i] > best) {
          best = score[i];
          arg = i;
        }
      }
      if (arg !== -1) {
        nextReach[j] = true;
        nextScore[j] = best + logProbs[t][j];
        bp[j] = arg;
      }
    }
    score = nextScore;
    reach = nextReach;
    back.push(bp);
  }
  let last = -1;
  let best = -Infinity;
  for (let j = 0; j < L; j++) {
    if (!reach[j] || !end[j]) continue;
    if (last === -1 || score[j] > best) {
      best = score[j];
      last = j;
    }
  }
  if (last === -1) return logProbs.map((row) => argmaxOf(row, L));
  const path = new Array<number>(T);
  path[T - 1] = last;
  for (let t = T - 1; t > 0; t--) path[t - 1] = back[t][path[t]];
  return path;
}

function argmaxOf(row: ArrayLike<number>, L: number): number {
  let arg = 0;
  for (let j = 1; j < L; j++) if (row[j] > row[arg]) arg = j;
  return arg;
}
