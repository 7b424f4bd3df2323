/**
 * A built-in, deterministic, synthetic NER corpus, so that tests, the demo and `tokentag train`
 * work with no network and no downloaded data (design: "Offline by default"). It is the whole
 * teacher of the main job's model, so it aims at real text's variety rather than at a benchmark:
 *
 * - entities come from large lists built from maintained data packages (`lexicon.ts`, made by
 *   `scripts/make-lexicon.ts`: names of ~35 cultures, thousands of real cities and regions, real
 *   companies, organisations, events, products and works) and from shapes composed of them
 *   ("University of <city>", "<surname> Holdings", "<city> Marathon", invented brand names);
 * - ~220 sentence patterns from news, business, sport, travel, chat and reference text
 *   (`synthetic-templates.ts`), with opening and closing clauses, so entities sit at the start,
 *   in the middle and at the end;
 * - capitalised words that are not names (sentence starts, weekdays, months, titles, "The"),
 *   numbers, dates, times and money tagged O; a small share of sentences lower-cased,
 *   upper-cased or without final punctuation.
 *
 * Words are split as the BERT pre-tokenizer splits raw text (`splitWords`), so the model is
 * trained on the very words the pipeline labels. Tags are IOB2 in the Hub's `conll2003` order.
 *
 * The lists have two tiers: `train` draws only from the `train` tier, `validation` and `test` only
 * from `heldOut`, so their F1 measures how the model tags names it has never seen. No training
 * entity contains an entity string of `examples/real-sentences` (`TRAIN_EXCLUDED`).
 *
 * Everything is drawn from the project's seeded `Rng`: a seed gives the same corpus, byte for
 * byte, on every machine.
 */
import { Dataset, DatasetDict } from './dataset.ts';
import { ClassLabel, tokenClassificationFeatures } from './features.ts';
import { CONLL2003_NER } from './labels.ts';
import { COMMON_WORDS, LEXICON, TRAIN_EXCLUDED } from './lexicon.ts';
import { hashString, Rng } from './rng.ts';
import type { TaggedRow } from './row.ts';
import { CLOSERS, OPENERS, TEMPLATE_SETS } from './synthetic-templates.ts';
import { splitWords } from './words.ts';

export type SyntheticRow = TaggedRow<'ner_tags'>;

export interface SyntheticOptions {
  /** Default 42. */
  readonly seed?: number;
  /** Sentences per split. Defaults: see `SYNTHETIC_DEFAULT_SIZES`. */
  readonly train?: number;
  readonly validation?: number;
  readonly test?: number;
}

export const SYNTHETIC_DEFAULT_SIZES = Object.freeze({ train: 16000, validation: 500, test: 500 });

export type LexiconList = keyof typeof LEXICON;

/** A name list: `train` entries appear only in the training split, `heldOut` ones only in validation and test. */
export interface NamePool {
  readonly train: readonly string[];
  readonly heldOut: readonly string[];
}

const split = (s: string): readonly string[] => Object.freeze(s === '' ? [] : s.split('|'));

/** The name lists, by list and tier. */
export const SYNTHETIC_LEXICON: Readonly<Record<LexiconList, NamePool>> = Object.freeze(
  Object.fromEntries(
    Object.entries(LEXICON).map(([k, v]) => [k, Object.freeze({ train: split(v.train), heldOut: split(v.heldOut) })]),
  ) as Record<LexiconList, NamePool>,
);

const WORDS = {
  noun: split(COMMON_WORDS.nouns),
  adj: split(COMMON_WORDS.adjectives),
  job: split(COMMON_WORDS.jobs),
};

/** Every held-out entry of every list. */
export function syntheticHeldOutNames(): string[] {
  return Object.values(SYNTHETIC_LEXICON).flatMap((p) => p.heldOut);
}

/** Every sentence pattern (templates, opening and closing clauses). */
export function syntheticTemplates(): { templates: readonly string[]; openers: readonly string[]; closers: readonly string[] } {
  return { templates: Object.values(TEMPLATE_SETS).flat(), openers: OPENERS, closers: CLOSERS };
}

// ---------------------------------------------------------------------------------------------
// Words that are part of composed names (shared by every split: they are ordinary words) and
// the words around names that stay O.

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const TITLES = ['Mr.', 'Mrs.', 'Ms.', 'Dr.', 'Mr', 'Mrs', 'Dr', 'Prof.', 'Professor', 'President', 'Senator', 'Minister', 'Judge', 'Coach', 'Captain', 'General', 'Sir', 'Chancellor', 'Governor', 'Mayor', 'Inspector', 'Father', 'Sister', 'Aunt', 'Uncle'];
const NAME_SUFFIXES = ['Jr.', 'Jr', 'Sr.', 'II', 'III'];
const COMPANY_SUFFIXES = ['Inc.', 'Inc', 'Ltd', 'Ltd.', 'LLC', 'Group', 'Holdings', '& Co.', 'GmbH', 'AG', 'S.A.', 'Partners', 'Industries', 'Technologies', 'Capital', 'Bank', 'Media', 'Labs', 'Systems', 'Energy', 'Motors', 'Foods', 'Logistics', 'Consulting', 'Pharmaceuticals', 'Airlines', 'Insurance', 'Ventures', 'Studios', 'Software', 'Robotics', 'Analytics', 'Corp.', 'Corporation', 'and Sons', 'Brothers', 'Solutions', 'Networks', 'Games', 'Health'];
const CLUB_SUFFIXES = ['FC', 'United', 'City', 'Rovers', 'Athletic', 'Wanderers', 'Rangers', 'Town', 'Albion', 'Hotspur', 'Eagles', 'Lions', 'Tigers', 'Bears', 'Wolves', 'Sharks', 'Giants', 'Kings', 'Warriors', 'Storm'];
const CLUB_PREFIXES = ['FC', 'Real', 'Sporting', 'Inter', 'Dynamo', 'AC', 'Olympique', 'Racing'];
const MEDIA_SUFFIXES = ['Times', 'Post', 'Herald', 'Tribune', 'Gazette', 'Daily News', 'Chronicle', 'Journal', 'Observer', 'Radio', 'TV', 'Express'];
const PARTY_SHAPES = ['{NAT} Labour Party', '{NAT} Socialist Party', "{NAT} People's Party", '{NAT} National Party', '{NAT} Green Party', 'Democratic Party of {COUNTRY}', '{COUNTRY} First', '{NAT} Liberal Party', '{NAT} Conservative Party'];
const ORG_SHAPES = [
  'University of {CITY}', '{CITY} University', '{LAST} University', '{CITY} State University', '{LAST} College', '{CITY} Institute of Technology', 'Technical University of {CITY}',
  '{CITY} City Council', '{CITY} Police Department', '{COUNTRY} Football Association', 'Bank of {COUNTRY}', '{NAT} Central Bank', '{NAT} Red Cross',
  'National Bank of {COUNTRY}', '{LAST} Foundation', '{LAST} Institute', '{CITY} Chamber of Commerce', '{CITY} General Hospital', "St {FIRST}'s Hospital",
  '{CITY} Symphony Orchestra', '{LAST} Trust', '{COUNTRY} Ministry of Health', '{NAT} Space Agency', '{CITY} Airport Authority', '{CITY} Zoo',
];
const AGENCY_SHAPES = ['{COUNTRY} Ministry of Health', '{NAT} Space Agency', '{CITY} Police Department', '{CITY} City Council', '{NAT} Red Cross', 'National Bank of {COUNTRY}', '{NAT} Central Bank', '{LAST} Foundation'];
const PLACE_SHAPES = [
  '{LAST} Street', '{LAST} Avenue', '{LAST} Road', '{ORDINAL} Street', '{ORDINAL} Avenue', 'Lake {LAST}', 'Mount {LAST}', '{CITY} Airport', '{CITY} Central Station',
  '{LAST} Park', '{LAST} Square', '{LAST} Bridge', '{CITY} Bay', '{LAST} Hill', 'Port {LAST}', '{LAST} Island', '{LAST} Building', '{LAST} Tower',
  '{CITY} Cathedral', '{LAST} Palace', '{LAST} Stadium', '{CITY} Castle', '{LAST} Center', '{CITY} Coast', '{LAST} Valley', '{CITY} Harbour',
];
const EVENT_SHAPES = [
  '{CITY} Marathon', '{CITY} Open', '{NAT} Open', '{CITY} Film Festival', '{CITY} Jazz Festival', '{NAT} Grand Prix', '{COUNTRY} Open', '{CITY} Book Fair',
  '{CITY} Motor Show', '{CITY} Summit', '{NAT} Cup', '{CITY} Biennale', '{LAST} Cup', '{LAST} Trophy', '{LAST} Prize', '{LAST} Awards', '{CITY} Games',
  '{NAT} Games', 'World {WORD} Championship', 'World {WORD} Day', 'International {WORD} Day', '{WORD} Bowl', '{CITY} Festival', '{NAT} Festival', '{CITY} Classic',
];
/** Capitalised ordinary words inside event names ("World Youth Day"); shared by every split. */
const EVENT_WORDS = ['Youth', 'Water', 'Health', 'Book', 'Music', 'Chess', 'Rowing', 'Cycling', 'Peace', 'Ocean', 'Food', 'Science', 'Poetry', 'Jazz', 'Sugar', 'Rose', 'Orange', 'Snow', 'Dance', 'Art'];
/** A shape with one of these slots contains a name of the generator's tier. */
const TIERED_PART = /\{(CITY|COUNTRY|NAT|FIRST|LAST)\}/;
const ORDINALS = ['First', 'Second', 'Third', 'Fourth', 'Fifth', 'Sixth', 'Seventh', 'Eighth', 'Ninth', 'Tenth'];
const SYLLABLES = {
  onset: ['b', 'c', 'd', 'f', 'g', 'h', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'z', 'br', 'cr', 'tr', 'st', 'pl', 'qu', 'x', 'gr', 'fl', 'sh', 'th', 'w'],
  vowel: ['a', 'e', 'i', 'o', 'u', 'ai', 'eo', 'y', 'ia', 'ou'],
  coda: ['', '', '', 'n', 'r', 'x', 's', 'l', 'm', 't', 'nt', 'rk', 'q'],
};

const O = 0;
const B = { PER: 1, ORG: 3, LOC: 5, MISC: 7 } as const;
type EntityType = keyof typeof B;

/** One piece of a sentence: literal text (O) or an entity. */
interface Segment {
  readonly text: string;
  readonly type?: EntityType;
}

type Piece = { readonly slot: string } | { readonly alt: readonly string[] } | { readonly text: string };

const PATTERN = /\{([A-Za-z]+)\}|<([^>]*)>/g;

/** `'{PER} met <a|b>'` → pieces. */
function parsePattern(t: string): Piece[] {
  const out: Piece[] = [];
  let at = 0;
  for (const m of t.matchAll(PATTERN)) {
    if (m.index > at) out.push({ text: t.slice(at, m.index) });
    out.push(m[1] !== undefined ? { slot: m[1] } : { alt: m[2].split('|') });
    at = m.index + m[0].length;
  }
  if (at < t.length) out.push({ text: t.slice(at) });
  return out;
}

const PARSED = {
  templates: syntheticTemplates().templates.map(parsePattern),
  openers: OPENERS.map(parsePattern),
  closers: CLOSERS.map(parsePattern),
};

type Tier = Readonly<Record<LexiconList, readonly string[]>>;

function tier(heldOut: boolean): Tier {
  return Object.fromEntries(Object.entries(SYNTHETIC_LEXICON).map(([k, p]) => [k, heldOut ? p.heldOut : p.train])) as Tier;
}

/** The word n-grams of the hand set's entity strings, which no training entity may contain. */
const EXCLUDED = new Set(TRAIN_EXCLUDED);
const MAX_EXCLUDED_WORDS = Math.max(...TRAIN_EXCLUDED.map((e) => e.split(' ').length));

function containsExcluded(words: readonly string[]): boolean {
  for (let i = 0; i < words.length; i++) {
    for (let n = 1; n <= MAX_EXCLUDED_WORDS && i + n <= words.length; n++) if (EXCLUDED.has(words.slice(i, i + n).join(' '))) return true;
  }
  return false;
}

class Generator {
  readonly #rng: Rng;
  readonly #lists: Tier;
  readonly #heldOut: boolean;

  constructor(rng: Rng, heldOut: boolean) {
    this.#rng = rng;
    this.#heldOut = heldOut;
    this.#lists = tier(heldOut);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.#rng.nextInt(items.length)];
  }

  chance(p: number): boolean {
    return this.#rng.nextFloat() < p;
  }

  int(lo: number, hi: number): number {
    return lo + this.#rng.nextInt(hi - lo + 1);
  }

  list(name: LexiconList): string {
    // A third of cities are capitals and world cities, the rest the long tail.
    if (name === 'cities' && this.chance(0.35)) name = 'majorCities';
    return this.pick(this.#lists[name]);
  }

  /** Fills `{SLOT}`s of a name shape with names of this generator's tier. */
  shape(s: string): string {
    const fill = () => s.replace(/\{([A-Z]+)\}/g, (_, slot: string) => this.namePart(slot));
    if (TIERED_PART.test(s)) return fill();
    // Made of shared words only ("Third Avenue", "World Youth Day"): its hash decides its tier.
    for (;;) {
      const name = fill();
      if (hashString(name) % 100 < 15 === this.#heldOut) return name;
    }
  }

  namePart(slot: string): string {
    switch (slot) {
      case 'CITY':
        return this.list('cities');
      case 'COUNTRY':
        return this.list('countries');
      case 'NAT':
        return this.list('nationalities');
      case 'FIRST':
        return this.list('firstNames');
      case 'LAST':
        return this.list('lastNames');
      case 'WORD':
        return this.pick(EVENT_WORDS);
      case 'ORDINAL':
        return this.pick(ORDINALS);
    }
    throw new Error(`unknown name-shape slot {${slot}}`);
  }

  /** An invented brand name; its tier is decided by its hash, so train and evaluation never share one. */
  brand(): string {
    for (;;) {
      let s = '';
      const n = this.int(2, 3);
      for (let i = 0; i < n; i++) s += this.pick(SYLLABLES.onset) + this.pick(SYLLABLES.vowel) + (i === n - 1 ? this.pick(SYLLABLES.coda) : '');
      const name = s[0].toUpperCase() + s.slice(1);
      if (hashString(name) % 100 < 15 === this.#heldOut) return name;
    }
  }

  person(kind: string): string {
    const first = () => this.list('firstNames');
    const last = () => this.list('lastNames');
    const full = (): string => {
      const r = this.#rng.nextFloat();
      if (r < 0.62) return `${first()} ${last()}`;
      if (r < 0.7) return `${first()} ${first()} ${last()}`;
      if (r < 0.76) return `${first()} ${String.fromCharCode(65 + this.#rng.nextInt(26))}. ${last()}`;
      if (r < 0.8) return `${String.fromCharCode(65 + this.#rng.nextInt(26))}. ${last()}`;
      if (r < 0.84) return `${first()} ${last()}-${last()}`;
      if (r < 0.87) return `${first()} ${last()} ${this.pick(NAME_SUFFIXES)}`;
      if (r < 0.9) return `${first()} ${this.pick(['de', 'van', 'von', 'da', 'al', 'van der', 'bin', 'di'])} ${last()}`;
      return this.list('people');
    };
    switch (kind) {
      case 'FIRST':
        return first();
      case 'LAST':
        return last();
      case 'FULL':
        return full();
    }
    const r = this.#rng.nextFloat();
    return r < 0.6 ? full() : r < 0.85 ? first() : last();
  }

  /** An invented acronym ("the KTG board"); its tier is decided by its hash. */
  acronym(): string {
    for (;;) {
      let s = '';
      for (let i = this.int(2, 4); i > 0; i--) s += String.fromCharCode(65 + this.#rng.nextInt(26));
      if (hashString(s) % 100 < 15 === this.#heldOut) return s;
    }
  }

  company(): string {
    const r = this.#rng.nextFloat();
    if (r < 0.07) return this.acronym();
    if (r < 0.4) return this.list('companies');
    if (r < 0.58) return `${this.list('lastNames')} ${this.pick(COMPANY_SUFFIXES)}`;
    if (r < 0.62) return `${this.list('lastNames')} & ${this.list('lastNames')}`;
    if (r < 0.78) return this.brand();
    if (r < 0.9) return `${this.brand()} ${this.pick(COMPANY_SUFFIXES)}`;
    return `${this.list('cities')} ${this.pick(COMPANY_SUFFIXES)}`;
  }

  club(): string {
    const r = this.#rng.nextFloat();
    if (r < 0.5) return `${this.list('cities')} ${this.pick(CLUB_SUFFIXES)}`;
    if (r < 0.7) return `${this.pick(CLUB_PREFIXES)} ${this.list('cities')}`;
    return this.list('clubs');
  }

  media(): string {
    return this.chance(0.5) ? `${this.list('cities')} ${this.pick(MEDIA_SUFFIXES)}` : this.list('media');
  }

  org(kind: string): string {
    switch (kind) {
      case 'COMPANY':
        return this.company();
      case 'UNI':
        return this.chance(0.2) ? this.list('organisations') : this.shape(this.pick(ORG_SHAPES.slice(0, 7)));
      case 'CLUB':
        return this.club();
      case 'PARTY':
        return this.shape(this.pick(PARTY_SHAPES));
      case 'MEDIA':
        return this.media();
      case 'AGENCY':
        return this.chance(0.5) ? this.list('organisations') : this.shape(this.pick(AGENCY_SHAPES));
    }
    const r = this.#rng.nextFloat();
    if (r < 0.04) return this.acronym();
    if (r < 0.5) return this.company();
    if (r < 0.65) return this.list('organisations');
    if (r < 0.85) return this.shape(this.pick(ORG_SHAPES));
    if (r < 0.93) return this.club();
    return this.media();
  }

  place(kind: string): string {
    switch (kind) {
      case 'CITY':
        return this.list('cities');
      case 'COUNTRY':
        return this.list('countries');
      case 'REGION':
        return this.list('regions');
      case 'PLACE':
        return this.chance(0.6) ? this.list('places') : this.shape(this.pick(PLACE_SHAPES));
    }
    const r = this.#rng.nextFloat();
    return r < 0.45 ? this.list('cities') : r < 0.75 ? this.list('countries') : r < 0.92 ? this.list('regions') : this.place('PLACE');
  }

  misc(kind: string): string {
    switch (kind) {
      case 'NAT':
        return this.list('nationalities');
      case 'LANG':
        return this.list('languages');
      case 'EVENT':
        return this.chance(0.5) ? this.list('events') : this.shape(this.pick(EVENT_SHAPES));
      case 'PRODUCT':
        return this.chance(0.7) ? this.list('products') : `${this.brand()} ${this.pick(['', 'Pro', 'Max', 'X', 'Air', 'Plus', 'One'])} ${this.int(2, 20)}`.replace(/ +/g, ' ');
      case 'WORK':
        return this.list('works');
    }
    return this.misc(this.pick(['NAT', 'NAT', 'LANG', 'EVENT', 'PRODUCT', 'WORK']));
  }

  /** An entity for `slot`, never one that contains a hand-set entity in the training split. */
  entity(slot: string): Segment | undefined {
    const type: EntityType | undefined = ENTITY_SLOTS[slot];
    if (type === undefined) return undefined;
    for (;;) {
      const text =
        type === 'PER' ? this.person(slot) : type === 'ORG' ? this.org(slot) : type === 'LOC' ? this.place(slot) : this.misc(slot);
      if (this.#heldOut || !containsExcluded(splitWords(text))) return { text, type };
    }
  }

  money(): string {
    const amount = this.chance(0.5) ? String(this.int(2, 999)) : `${this.int(1, 99)}.${this.int(1, 9)}`;
    const scale = this.pick(['', ' million', ' billion', ' thousand', 'm', 'bn']);
    const r = this.#rng.nextFloat();
    if (r < 0.35) return `$${amount}${scale}`;
    if (r < 0.55) return `€${amount}${scale}`;
    if (r < 0.65) return `£${amount}${scale}`;
    if (r < 0.7) return `US$${amount}${scale}`;
    return `${amount}${scale.startsWith(' ') || scale === '' ? scale : ` ${scale === 'm' ? 'million' : 'billion'}`} ${this.pick(['dollars', 'euros', 'pounds', 'yen', 'francs', 'rupees', 'crowns'])}`;
  }

  /** Numbers, dates, times and ordinary words (O). */
  plain(slot: string): string {
    switch (slot) {
      case 'DAY':
        return this.pick(DAYS);
      case 'MONTH':
        return this.pick(MONTHS);
      case 'YEAR':
        return String(this.int(1950, 2030));
      case 'NUM':
        return this.chance(0.85) ? String(this.int(2, 99)) : `${this.int(1, 99)},${String(this.int(0, 999)).padStart(3, '0')}`;
      case 'PCT': {
        const x = this.chance(0.5) ? String(this.int(1, 60)) : `${this.int(0, 20)}.${this.int(1, 9)}`;
        return this.chance(0.6) ? `${x}%` : `${x} ${this.pick(['percent', 'per cent'])}`;
      }
      case 'SCORE':
        return `${this.int(0, 6)}-${this.int(0, 6)}`;
      case 'TIME':
        return this.pick([`${this.int(1, 12)}pm`, `${this.int(1, 12)} am`, `${this.int(7, 22)}:${this.pick(['00', '15', '30', '45'])}`, 'noon', 'midnight', `${this.int(1, 12)} o'clock`]);
      case 'DATE': {
        const d = this.int(1, 28);
        const m = this.pick(MONTHS);
        return this.pick([`${d} ${m}`, `${m} ${d}`, `${m} ${d}, ${this.int(1990, 2030)}`, `${d}/${this.int(1, 12)}/${this.int(1990, 2030)}`, `the ${d}th of ${m}`, `${m} ${this.int(1990, 2030)}`]);
      }
      case 'MONEY':
        return this.money();
      case 'noun':
        return this.pick(WORDS.noun);
      case 'adj':
        return this.pick(WORDS.adj);
      case 'job':
        return this.pick(WORDS.job);
    }
    throw new Error(`unknown template slot {${slot}}`);
  }

  render(pieces: readonly Piece[], out: Segment[]): void {
    for (const p of pieces) {
      if ('text' in p) out.push({ text: p.text });
      else if ('alt' in p) out.push({ text: this.pick(p.alt) });
      else if (p.slot === 'TITLED') {
        // The title is O, as in CoNLL-2003: "Dr. [Chen]", "President [Ana Silva]".
        out.push({ text: this.pick(TITLES) });
        out.push(this.entity(this.chance(0.5) ? 'LAST' : 'FULL')!);
      } else {
        // Organisations and events often take "the" ("the Red Cross", "the Lakers"); "the" stays O.
        if (ARTICLE_SLOTS.has(p.slot) && this.chance(0.15) && !/\b(the|The|a|an|its|his|her|their)\s*$/.test(out.at(-1)?.text ?? '')) out.push({ text: 'the' });
        out.push(this.entity(p.slot) ?? { text: this.plain(p.slot) });
      }
    }
  }

  /** Appends the words of `segs` with their tags. */
  words(segs: readonly Segment[], tokens: string[], tags: number[]): void {
    for (const s of segs) {
      splitWords(s.text).forEach((w, i) => {
        tokens.push(w);
        tags.push(s.type === undefined ? O : B[s.type] + (i === 0 ? 0 : 1));
      });
    }
  }

  sentence(): { tokens: string[]; tags: number[] } {
    const tokens: string[] = [];
    const tags: number[] = [];
    if (this.chance(0.15)) {
      const opener: Segment[] = [];
      this.render(this.pick(PARSED.openers), opener);
      this.words(opener, tokens, tags);
    }
    const bodyStart = tokens.length;
    const body: Segment[] = [];
    this.render(this.pick(PARSED.templates), body);
    this.words(body, tokens, tags);
    // After an opener the body's first word is no longer a sentence start.
    const first = tokens[bodyStart];
    if (bodyStart > 0 && tags[bodyStart] === O && first !== 'I' && !/^[A-Z]{2,}$/.test(first)) tokens[bodyStart] = first[0].toLowerCase() + first.slice(1);
    // A closing clause goes before the final punctuation.
    if (this.chance(0.12) && /^[.!?]$/.test(tokens.at(-1)!)) {
      const end = tokens.pop()!;
      tags.pop();
      const closer: Segment[] = [];
      this.render(this.pick(PARSED.closers), closer);
      this.words(closer, tokens, tags);
      tokens.push(end);
      tags.push(O);
    }
    this.noise(tokens, tags);
    return { tokens, tags };
  }

  /** A sentence-start capital, then the noisy variants: all lower case, all capitals, a lower-case start, no final full stop. */
  noise(tokens: string[], tags: number[]): void {
    if (tags[0] === O) tokens[0] = tokens[0][0].toUpperCase() + tokens[0].slice(1);
    const r = this.#rng.nextFloat();
    if (r < 0.04) for (let i = 0; i < tokens.length; i++) tokens[i] = tokens[i].toLowerCase();
    else if (r < 0.05) for (let i = 0; i < tokens.length; i++) tokens[i] = tokens[i].toUpperCase();
    else if (r < 0.07 && tags[0] === O) tokens[0] = tokens[0].toLowerCase();
    const r2 = this.#rng.nextFloat();
    if (r2 < 0.1 && tokens.length > 3 && tokens.at(-1) === '.') {
      tokens.pop();
      tags.pop();
    } else if (r2 < 0.13 && tokens.at(-1) === '.') tokens[tokens.length - 1] = '!';
  }
}

const ARTICLE_SLOTS = new Set(['ORG', 'AGENCY', 'CLUB', 'MEDIA', 'PARTY', 'UNI', 'EVENT']);

const ENTITY_SLOTS: Readonly<Record<string, EntityType>> = {
  PER: 'PER', FULL: 'PER', FIRST: 'PER', LAST: 'PER', TITLED: 'PER',
  ORG: 'ORG', COMPANY: 'ORG', UNI: 'ORG', CLUB: 'ORG', PARTY: 'ORG', MEDIA: 'ORG', AGENCY: 'ORG',
  LOC: 'LOC', CITY: 'LOC', COUNTRY: 'LOC', REGION: 'LOC', PLACE: 'LOC',
  NAT: 'MISC', LANG: 'MISC', EVENT: 'MISC', PRODUCT: 'MISC', WORK: 'MISC', MISC: 'MISC',
};

function checkCount(name: string, n: number): number {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${name} must be a non-negative integer number of sentences, got ${n}`);
  return n;
}

/**
 * The synthetic NER corpus: splits `train`, `validation`, `test` with columns `id`, `tokens`,
 * `ner_tags` (IOB2, `conll2003` label order). Each split has its own generator derived from
 * `seed`, so changing one split's size does not change the others.
 */
export function syntheticNer(options: SyntheticOptions = {}): DatasetDict<SyntheticRow> {
  const seed = options.seed ?? 42;
  const sizes: [string, number][] = [
    ['train', checkCount('train', options.train ?? SYNTHETIC_DEFAULT_SIZES.train)],
    ['validation', checkCount('validation', options.validation ?? SYNTHETIC_DEFAULT_SIZES.validation)],
    ['test', checkCount('test', options.test ?? SYNTHETIC_DEFAULT_SIZES.test)],
  ];
  const master = new Rng(seed);
  const seeds = sizes.map(() => master.nextUint32());
  const features = tokenClassificationFeatures({ ner_tags: new ClassLabel(CONLL2003_NER) });
  return new DatasetDict(
    sizes.map(([name, n], k) => {
      const gen = new Generator(new Rng(seeds[k]), name !== 'train');
      const rows: SyntheticRow[] = [];
      for (let i = 0; i < n; i++) {
        const { tokens, tags } = gen.sentence();
        rows.push(Object.freeze({ id: String(i), tokens: Object.freeze(tokens), ner_tags: Object.freeze(tags) }));
      }
      return [name, Dataset.fromFrozen(rows, features)] as const;
    }),
  );
}
