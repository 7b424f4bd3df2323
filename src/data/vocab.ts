/**
 * Label vocabularies while reading: either fixed (names given, unknown labels are errors) or
 * collected from the data. Collected labels get provisional ids in first-seen order and are
 * sorted once every split has been read, so all splits share one label list.
 */
import { ClassLabel } from './features.ts';
import type { ResolvedLabels } from './labels.ts';

const PREFIX_RANK: Readonly<Record<string, number>> = { B: 0, I: 1, E: 2, S: 3, L: 4, U: 5 };

/**
 * The order of collected labels: 'O' first; then by entity type in code-point order, and within
 * a type by prefix B, I, E, S, L, U; labels without a prefix (POS tags) sort as their own type.
 * So `O, B-LOC, I-LOC, B-MISC, I-MISC, …` — deterministic whatever order the data shows them in.
 */
export function sortLabels(names: Iterable<string>): string[] {
  const key = (name: string): [string, number] => {
    const rank = name.length > 2 && name[1] === '-' ? PREFIX_RANK[name[0]] : undefined;
    return rank === undefined ? [name, -1] : [name.slice(2), rank];
  };
  return [...new Set(names)].sort((a, b) => {
    if (a === 'O' || b === 'O') return a === 'O' ? (b === 'O' ? 0 : -1) : 1;
    const [ta, ra] = key(a);
    const [tb, rb] = key(b);
    return ta < tb ? -1 : ta > tb ? 1 : ra - rb;
  });
}

export interface FinishedVocab {
  readonly labels: ClassLabel;
  /** provisional id → final id, for collected vocabularies. */
  readonly remap?: Int32Array;
}

export class LabelVocab {
  readonly #ids = new Map<string, number>();
  readonly #fixed: ClassLabel | undefined;
  #finished: FinishedVocab | undefined;

  constructor(given?: readonly string[]) {
    this.#fixed = given && new ClassLabel(given);
  }

  /** Label names given up front, if any. */
  get fixed(): ClassLabel | undefined {
    return this.#fixed;
  }

  /** The (provisional, if collecting) id of `label`; -1 if the names are fixed and it is not one. */
  id(label: string): number {
    if (this.#fixed) return this.#fixed.indexOf(label);
    let id = this.#ids.get(label);
    if (id === undefined) {
      if (this.#finished) throw new Error('label vocabulary used after finish()');
      id = this.#ids.size;
      this.#ids.set(label, id);
    }
    return id;
  }

  finish(): FinishedVocab {
    if (this.#finished) return this.#finished;
    if (this.#fixed) return (this.#finished = { labels: this.#fixed });
    const labels = new ClassLabel(sortLabels(this.#ids.keys()));
    const remap = new Int32Array(this.#ids.size);
    for (const [name, id] of this.#ids) remap[id] = labels.indexOf(name);
    return (this.#finished = { labels, remap });
  }
}

/** One vocabulary per tag column, shared by every split of a load. */
export class Vocabs {
  readonly #given: ResolvedLabels;
  readonly #byColumn = new Map<string, LabelVocab>();

  constructor(given: ResolvedLabels = {}) {
    this.#given = given;
  }

  get(column: string): LabelVocab {
    let v = this.#byColumn.get(column);
    if (!v) this.#byColumn.set(column, (v = new LabelVocab(Object.hasOwn(this.#given, column) ? this.#given[column] : undefined)));
    return v;
  }
}
