/**
 * A built-in, deterministic, synthetic NER corpus, so that tests, the demo and `tokentag train`
 * work with no network and no downloaded data (design: "Offline by default").
 *
 * Sentences come from slot templates (news, sport results, questions, headlines in capitals,
 * numbers and dates, decoy sentences whose lowercase words are names elsewhere) and from
 * shuffled filler clauses. Slots are filled from the name lists below. Tags are IOB2 with the
 * Hub's `conll2003` label order. About a fifth of every name list is held out of `train`, so
 * `validation` and `test` measure generalisation from context, not memorisation.
 *
 * Everything is drawn from the project's seeded `Rng`, so a seed gives the same corpus, byte for
 * byte, on every machine.
 */
import { Dataset, DatasetDict } from './dataset.ts';
import { ClassLabel, tokenClassificationFeatures } from './features.ts';
import { CONLL2003_NER } from './labels.ts';
import { saveDataset } from './load.ts';
import { Rng } from './rng.ts';
import type { TaggedRow } from './row.ts';

export type SyntheticRow = TaggedRow<'ner_tags'>;

export interface SyntheticOptions {
  /** Default 42. */
  readonly seed?: number;
  /** Sentences per split. Defaults: 3000 / 400 / 400. */
  readonly train?: number;
  readonly validation?: number;
  readonly test?: number;
}

/** A name list: `shared` entries appear in every split, `heldOut` ones only in validation and test. */
export interface NamePool {
  readonly shared: readonly string[];
  readonly heldOut: readonly string[];
}

const pool = (shared: string, heldOut: string): NamePool =>
  Object.freeze({ shared: Object.freeze(shared.split('|')), heldOut: Object.freeze(heldOut.split('|')) });

/**
 * The name lists. Entries are space-separated tokens. No token of a held-out entry occurs in a
 * shared entry or a template (a test checks it), so "held out" is true token by token.
 */
export const SYNTHETIC_LEXICON = Object.freeze({
  firstNames: pool(
    'Maria|James|Anna|Peter|Sofia|David|Elena|Thomas|Laura|Michael|Ingrid|Carlos|Yuki|Ahmed|Nadia|Oliver|Chloe|Lukas|Amara|Rafael|Hannah|Viktor|Leila|Samuel|Greta|Mark|Rose|Bill|Frank|Hope|Kenji|Fatima',
    'Tobias|Marisol|Dmitri|Anouk|Kwame|Saoirse|Matteo|Ilse',
  ),
  surnames: pool(
    'Lopez|Smith|Müller|Rossi|Tanaka|Kowalski|Novak|Silva|Jensen|Dubois|Okafor|Petrov|Haddad|Larsen|Moreau|Schmidt|Nakamura|Fischer|Costa|Brennan|Walsh|Grant|Page|Dean|Ibrahim|Lindqvist|Romero|Bauer|Keller|Andersson|Mendes|Chen',
    'Oyelaran|Villanueva|Szabo|Halvorsen|Castellano|Wojcik|Abernathy|Takahashi',
  ),
  companyStems: pool(
    'Acme|Norden|Bluepeak|Vantor|Helix|Kestrel|Meridian|Brightwater|Corvid|Lumen|Stratus|Quantex|Redline|Silverbirch|Tidewater|Arcon',
    'Zephyrine|Obsidian|Marlowe|Quillon',
  ),
  /** Company suffixes are shared words, not names: every split uses all of them. */
  companySuffixes: pool('Holdings|Group|Robotics|Bank|Airlines|Motors|Systems|Energy|Capital|Foods|Media|Pharma|Inc|Corp|Ltd|Partners', ''),
  institutions: pool('World Bank|Red Cross|Interpol|Reuters|NATO|Central Statistics Office|Supreme Court', 'Harkness Foundation'),
  teamSuffixes: pool('United|Rovers|City|Athletic|Wanderers', ''),
  cities: pool(
    'Paris|Berlin|Madrid|Lisbon|Oslo|Vienna|Nairobi|Lagos|Osaka|Lima|Quito|Dublin|Prague|Warsaw|Cairo|Hanoi|New Harbor|Port Alden|San Teodoro|East Calder|Fort Reyes|Santa Lucia',
    'Bergen|Valparaiso|Port Esker|Kisumu|New Dunmore',
  ),
  countries: pool(
    'Spain|France|Germany|Norway|Kenya|Nigeria|Japan|Peru|Ecuador|Ireland|Poland|Egypt|Vietnam|Brazil|Canada|Turkey|China|Jordan',
    'Chile|Ghana|Iceland|Portugal',
  ),
  rivers: pool('Danube|Rhine|Thames|Nile|Mekong|River Alva|Orinoco', 'Volga|River Esk'),
  nationalities: pool(
    'Spanish|French|German|Norwegian|Kenyan|Nigerian|Japanese|Peruvian|Irish|Polish|Egyptian|Brazilian|Canadian|Turkish|Chinese',
    'Chilean|Ghanaian|Icelandic|Portuguese',
  ),
  events: pool(
    'World Cup|Olympic Games|Davis Cup|Champions League|Harbor Open|Grand Prix|Nobel Prize|Premier League|Tour de France',
    'Aurora Marathon|Kelvin Trophy',
  ),
});

type Pools = { readonly [K in keyof typeof SYNTHETIC_LEXICON]: readonly string[] };

/** Every held-out entry, by list. */
export function syntheticHeldOutNames(): string[] {
  return Object.values(SYNTHETIC_LEXICON).flatMap((p: NamePool) => p.heldOut.filter((e) => e !== ''));
}

// ---------------------------------------------------------------------------------------------
// Templates. `{SLOT}` tokens are filled by the generators below; every other token is `O`.
// A leading `!` marks a headline: the whole sentence is written in capitals.

const TEMPLATES: readonly string[] = [
  // news
  '{PER} , chief executive of {ORG} , said on {DAY} that profits rose {PCT} percent .',
  '{ORG} shares fell {PCT} percent in {CITY} trading on {DAY} .',
  '{PERF} ( {ORG} ) won the {EVENT} in {CITY} .',
  'The {NAT} {ORG} team arrived in {CITY} on {DAY} .',
  'Police in {CITY} said {NUM} people were hurt in a fire on {DATE} .',
  '{PERF} told {ORG} that {COUNTRY} would not sign the deal .',
  'The {RIVER} burst its banks near {CITY} , {COUNTRY} , on {DATE} .',
  '{NAT} officials met their {NAT} counterparts in {CITY} on {DATE} {YEAR} .',
  '{PERF} , a {NAT} citizen , was born in {CITY} in {YEAR} .',
  '{ORG} said it would open a new plant in {COUNTRY} by {YEAR} .',
  'According to {ORG} , the {EVENT} will move to {CITY} in {YEAR} .',
  'Mr {LAST} said the {NAT} economy grew {PCT} percent in {YEAR} .',
  'President {PERF} of {COUNTRY} arrives in {CITY} on {DAY} for talks with {PERF} .',
  '{PERF} of the {UNI} studies pollution in the {RIVER} .',
  '{ORG} agreed to buy {ORG} for {NUM} million dollars , {PER} said .',
  'The {NAT} government asked {ORG} to leave {COUNTRY} .',
  '{PER} joined {ORG} in {YEAR} after {NUM} years at {ORG} .',
  'Dr {LAST} from {CITY} will lead the {NAT} team at the {EVENT} .',
  // sport
  '{TEAM} beat {TEAM} {SCORE} in the {EVENT} on {DAY} .',
  '{LAST} scored twice as {TEAM} drew {SCORE} with {TEAM} .',
  '{LAST} ( {COUNTRY} ) {NUM} {LAST} ( {COUNTRY} ) {NUM}',
  '{PERF} ( {COUNTRY} ) beat {PERF} ( {COUNTRY} ) {SCORE} {SCORE}',
  '{LAST} / {LAST} ( {COUNTRY} ) beat {LAST} / {LAST} {SCORE} {SCORE}',
  'Standings : {TEAM} {NUM} , {TEAM} {NUM} , {TEAM} {NUM}',
  // adjacent entities of one type
  'The {CITY} {CITY} rail link reopened on {DAY} .',
  'Trucks queued for hours at the {COUNTRY} {COUNTRY} border .',
  'Results : {CITY} {CITY} {CITY} all reported heavy snow .',
  // questions
  'Did {PERF} really leave {ORG} for {ORG} ?',
  'Why is {COUNTRY} buying {NAT} gas ?',
  'Will {TEAM} win the {EVENT} this year ?',
  'Who will replace {PER} at {ORG} ?',
  // headlines
  '!{ORG} TO BUY {ORG} FOR {NUM} MLN DLRS',
  '!SOCCER - {TEAM} BEAT {TEAM} {SCORE} .',
  '!{COUNTRY} , {COUNTRY} AGREE TRADE PACT',
  '!{NAT} STOCKS CLOSE HIGHER IN {CITY}',
  '!TENNIS - {PERF} WINS {EVENT} TITLE .',
  // numbers and dates
  '{NUM} people died in {CITY} on {DATE} {YEAR} , {ORG} reported .',
  '{ORG} net profit {NUM} million vs {NUM} million .',
  'Closing prices on {DATE} : {ORG} {PCT} , {ORG} {PCT} .',
  'In {YEAR} , {NUM} tonnes of grain left {CITY} for {COUNTRY} .',
  // decoys: lowercase words that are names elsewhere
  'Prices rose {PCT} percent after the bill was passed in {COUNTRY} .',
  'We hope the grant will arrive by {MONTH} , {PER} said .',
  'The dean read the last page of the report on {DAY} .',
  'Roast turkey and fine china were sold at the {CITY} market .',
  'To be frank , the new bank in {CITY} may miss its mark .',
  'The united group will open a river port next year .',
  'She said the city may grant a new bill on {DAY} .',
];

/** Clauses that are shuffled and joined into one sentence. */
const CLAUSES: readonly string[] = [
  '{PER} said',
  'officials in {CITY} confirmed',
  'on {DAY}',
  'according to {ORG}',
  'despite heavy rain in {COUNTRY}',
  'as the {EVENT} began',
  'shares of {ORG} rose {PCT} percent',
  'the {NAT} delegation left early',
  'in {YEAR}',
  'after talks with {PERF}',
  'prices may rise again',
  'the group will hope for the best',
];

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

const O = 0;
const B = { PER: 1, ORG: 3, LOC: 5, MISC: 7 } as const;
type EntityType = keyof typeof B;

interface Part {
  readonly slot?: string;
  readonly text?: string;
}

interface Template {
  readonly parts: readonly Part[];
  readonly headline: boolean;
}

function parseTemplate(t: string): Template {
  const headline = t.startsWith('!');
  const parts = (headline ? t.slice(1) : t).split(' ').map((w): Part => {
    const m = /^\{([A-Z]+)\}$/.exec(w);
    return m ? { slot: m[1] } : { text: w };
  });
  return { parts, headline };
}

const PARSED_TEMPLATES = TEMPLATES.map(parseTemplate);
const PARSED_CLAUSES = CLAUSES.map(parseTemplate);

/** The literal words of all templates (for the held-out check). */
export function syntheticTemplateWords(): string[] {
  return [...TEMPLATES, ...CLAUSES].flatMap((t) => parseTemplate(t).parts.flatMap((p) => (p.text === undefined ? [] : [p.text])))
    .concat(MONTHS, DAYS);
}

class SentenceBuilder {
  readonly tokens: string[] = [];
  readonly tags: number[] = [];

  word(w: string): void {
    this.tokens.push(w);
    this.tags.push(O);
  }

  entity(phrase: string, type: EntityType): void {
    const words = phrase.split(' ');
    for (let i = 0; i < words.length; i++) {
      this.tokens.push(words[i]);
      this.tags.push(B[type] + (i === 0 ? 0 : 1));
    }
  }
}

class Generator {
  readonly #rng: Rng;
  readonly #p: Pools;

  constructor(rng: Rng, p: Pools) {
    this.#rng = rng;
    this.#p = p;
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

  fullName(): string {
    return `${this.pick(this.#p.firstNames)} ${this.pick(this.#p.surnames)}`;
  }

  company(): string {
    const stem = this.pick(this.#p.companyStems);
    const r = this.#rng.nextFloat();
    if (r < 0.3) return stem;
    const s1 = this.pick(this.#p.companySuffixes);
    if (r < 0.8) return `${stem} ${s1}`;
    let s2 = this.pick(this.#p.companySuffixes);
    while (s2 === s1) s2 = this.pick(this.#p.companySuffixes);
    return `${stem} ${s1} ${s2}`;
  }

  org(): string {
    const r = this.#rng.nextFloat();
    if (r < 0.8) return this.company();
    if (r < 0.92) return this.pick(this.#p.institutions);
    return this.uni();
  }

  uni(): string {
    return `University of ${this.pick(this.#p.cities)}`;
  }

  team(): string {
    return `${this.pick(this.#p.cities)} ${this.pick(this.#p.teamSuffixes)}`;
  }

  fill(b: SentenceBuilder, slot: string): void {
    const p = this.#p;
    switch (slot) {
      case 'PER':
        return b.entity(this.chance(0.6) ? this.fullName() : this.pick(p.surnames), 'PER');
      case 'PERF':
        return b.entity(this.fullName(), 'PER');
      case 'LAST':
        return b.entity(this.pick(p.surnames), 'PER');
      case 'ORG':
        return b.entity(this.org(), 'ORG');
      case 'UNI':
        return b.entity(this.uni(), 'ORG');
      case 'TEAM':
        return b.entity(this.team(), 'ORG');
      case 'CITY':
        return b.entity(this.pick(p.cities), 'LOC');
      case 'COUNTRY':
        return b.entity(this.pick(p.countries), 'LOC');
      case 'RIVER':
        return b.entity(this.pick(p.rivers), 'LOC');
      case 'NAT':
        return b.entity(this.pick(p.nationalities), 'MISC');
      case 'EVENT':
        return b.entity(this.pick(p.events), 'MISC');
      case 'NUM':
        return b.word(String(this.chance(0.8) ? this.int(2, 99) : this.int(100, 5000)));
      case 'PCT':
        return b.word(`${this.int(0, 12)}.${this.int(0, 9)}`);
      case 'SCORE':
        return b.word(`${this.int(0, 6)}-${this.int(0, 6)}`);
      case 'YEAR':
        return b.word(String(this.int(1990, 2025)));
      case 'MONTH':
        return b.word(this.pick(MONTHS));
      case 'DAY':
        return b.word(this.pick(DAYS));
      case 'DATE':
        b.word(String(this.int(1, 28)));
        return b.word(this.pick(MONTHS));
    }
    throw new Error(`unknown template slot {${slot}}`);
  }

  render(b: SentenceBuilder, parts: readonly Part[]): void {
    for (const part of parts) {
      if (part.slot !== undefined) this.fill(b, part.slot);
      else b.word(part.text!);
    }
  }

  sentence(): { tokens: string[]; tags: number[] } {
    const b = new SentenceBuilder();
    if (this.chance(0.15)) {
      // 2-3 distinct filler clauses in random order, joined by commas.
      const n = this.int(2, 3);
      const chosen: Template[] = [];
      while (chosen.length < n) {
        const c = this.pick(PARSED_CLAUSES);
        if (!chosen.includes(c)) chosen.push(c);
      }
      chosen.forEach((c, i) => {
        if (i > 0) b.word(',');
        this.render(b, c.parts);
      });
      b.word('.');
      // Capitalise the first word if it is an ordinary lowercase word.
      if (b.tags[0] === O) b.tokens[0] = b.tokens[0][0].toUpperCase() + b.tokens[0].slice(1);
    } else {
      const t = this.pick(PARSED_TEMPLATES);
      this.render(b, t.parts);
      if (t.headline) for (let i = 0; i < b.tokens.length; i++) b.tokens[i] = b.tokens[i].toUpperCase();
    }
    return { tokens: b.tokens, tags: b.tags };
  }
}

function pools(heldOut: boolean): Pools {
  const out: Record<string, readonly string[]> = {};
  for (const [k, p] of Object.entries(SYNTHETIC_LEXICON) as [string, NamePool][]) {
    out[k] = heldOut ? [...p.shared, ...p.heldOut.filter((e) => e !== '')] : p.shared;
  }
  return out as Pools;
}

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
    ['train', checkCount('train', options.train ?? 3000)],
    ['validation', checkCount('validation', options.validation ?? 400)],
    ['test', checkCount('test', options.test ?? 400)],
  ];
  const master = new Rng(seed);
  const seeds = sizes.map(() => master.nextUint32());
  const features = tokenClassificationFeatures({ ner_tags: new ClassLabel(CONLL2003_NER) });
  const shared = pools(false);
  const all = pools(true);
  return new DatasetDict(
    sizes.map(([name, n], k) => {
      const gen = new Generator(new Rng(seeds[k]), name === 'train' ? shared : all);
      const rows: SyntheticRow[] = [];
      for (let i = 0; i < n; i++) {
        const { tokens, tags } = gen.sentence();
        rows.push(Object.freeze({ id: String(i), tokens: Object.freeze(tokens), ner_tags: Object.freeze(tags) }));
      }
      return [name, Dataset.fromFrozen(rows, features)] as const;
    }),
  );
}

/**
 * Writes the corpus as 2-column CoNLL (`token tag`) to `dir/train.txt`, `dir/validation.txt`
 * and `dir/test.txt`, for `tokentag data inspect --dataset DIR`; returns the files written.
 */
export async function writeSyntheticConll(dir: string, options: SyntheticOptions = {}): Promise<string[]> {
  return saveDataset(syntheticNer(options), dir, { format: 'conll' });
}
