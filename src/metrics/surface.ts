/**
 * WNUT-17's surface-form scores ("F1 (surface)"), as the shared task's evaluation script
 * `wnuteval.py` (Eric Nichols's rewrite of conlleval.py for WNUT'17) computes them:
 *
 * - entities are read per sentence from B-/I-/O tags: `B-X` starts an entity, `I-X` continues
 *   an entity of type X and otherwise starts one (an invalid `O → I-X` or `I-Y → I-X` is read as
 *   `B-X`), `O` is outside;
 * - an entity is *correct* when the system predicted the same words at the same place with the
 *   same type (the set intersection of gold and predicted entities, located by sentence and
 *   word positions);
 * - then only unique (surface form, type) pairs count, the surface form being the entity's
 *   words: G = the pairs of the gold entities, P = those of the predicted entities, C = those of
 *   the correct entities; precision = |C| / |P|, recall = |C| / |G|, F1 their harmonic mean,
 *   each 0 where its denominator is 0;
 * - per type: the same over the entities of that type, for every type in the gold data.
 *
 * Note that C is not G ∩ P: a form predicted at a place where the gold has no entity, while the
 * gold has the same form elsewhere, is in both G and P but not in C.
 * Source and worked examples: docs/metrics.md ("WNUT-17 surface forms").
 */
import { TokentagError } from '../errors.ts';

export interface SurfaceScores {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  /** Unique (surface form, type) pairs among gold, predicted and correct entities. */
  readonly gold: number;
  readonly predicted: number;
  readonly correct: number;
}

export interface SurfaceResult {
  /** Per gold type, in code-point order (as the script sorts them). */
  readonly types: Readonly<Record<string, SurfaceScores>>;
  readonly overall: SurfaceScores;
}

interface Entity {
  readonly type: string;
  /** Sentence, first and end word: where it is. */
  readonly at: string;
  /** The words, joined with a separator no token contains: the surface form. */
  readonly form: string;
}

const SEP = '\u0000';

/** Whether the script reads `tag`: `O`, or `B-`/`I-` and a type. */
export function isSurfaceTag(tag: string): boolean {
  return tag === 'O' || /^[BI]-./.test(tag);
}

/** The entities of one sentence, read as the script's `toks_to_entities` reads them (O runs dropped). */
function entities(tokens: readonly string[], tags: readonly string[], sentence: number, side: string): Entity[] {
  const out: { type: string; start: number; words: string[] }[] = [];
  let open: { type: string; start: number; words: string[] } | null = null;
  tags.forEach((tag, i) => {
    let bio: string;
    let type: string;
    if (!isSurfaceTag(tag)) {
      throw new TokentagError(`${side} tags, sentence ${sentence + 1}, token ${i + 1}: surface forms read IOB tags (B-X, I-X, O) as the WNUT-17 script does; found '${tag}'`);
    }
    if (tag === 'O') [bio, type] = ['O', 'O'];
    else [bio, type] = [tag[0]!, tag.slice(2)];
    if (bio === 'I' && open && open.type === type) {
      open.words.push(tokens[i]!);
      return;
    }
    open = type === 'O' ? null : { type, start: i, words: [tokens[i]!] };
    if (open) out.push(open);
  });
  return out.map((e) => ({ type: e.type, at: `${sentence}:${e.start}:${e.words.length}`, form: e.words.join(SEP) }));
}

function scores(gold: readonly Entity[], pred: readonly Entity[]): SurfaceScores {
  const key = (e: Entity) => `${e.type}${SEP}${SEP}${e.form}`;
  const predAt = new Set(pred.map((e) => `${e.at}${SEP}${key(e)}`));
  const correct = new Set(gold.filter((e) => predAt.has(`${e.at}${SEP}${key(e)}`)).map(key));
  const g = new Set(gold.map(key)).size;
  const p = new Set(pred.map(key)).size;
  const c = correct.size;
  const precision = p === 0 ? 0 : c / p;
  const recall = g === 0 ? 0 : c / g;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1, gold: g, predicted: p, correct: c };
}

/**
 * Surface-form precision, recall and F1, overall and per gold type. `tokens[s][i]` is word i of
 * sentence s (the surface), `gold` and `pred` its tags.
 */
export function surfaceScores(tokens: readonly (readonly string[])[], gold: readonly (readonly string[])[], pred: readonly (readonly string[])[]): SurfaceResult {
  if (tokens.length !== gold.length || gold.length !== pred.length) {
    throw new TokentagError(`surfaceScores: ${tokens.length} token sentences, ${gold.length} gold, ${pred.length} predicted; give one of each per sentence`);
  }
  const g: Entity[] = [];
  const p: Entity[] = [];
  tokens.forEach((words, s) => {
    if (gold[s]!.length !== words.length || pred[s]!.length !== words.length) {
      throw new TokentagError(`surfaceScores: sentence ${s + 1} has ${words.length} tokens, ${gold[s]!.length} gold and ${pred[s]!.length} predicted tags`);
    }
    g.push(...entities(words, gold[s]!, s, 'gold'));
    p.push(...entities(words, pred[s]!, s, 'predicted'));
  });
  const types: Record<string, SurfaceScores> = {};
  for (const type of [...new Set(g.map((e) => e.type))].sort()) {
    types[type] = scores(g.filter((e) => e.type === type), p.filter((e) => e.type === type));
  }
  return { types, overall: scores(g, p) };
}
