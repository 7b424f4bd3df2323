/**
 * Turns the hand-tagged sentences of `examples/real-sentences/sentences.md` (entities marked
 * `[TYPE words]`) into `examples/real-sentences/test.txt`: CoNLL, one `word tag` per line, words
 * split as the BERT pre-tokenizer splits raw text, IOB2 tags.
 *
 *   npx tsx scripts/real-sentences.ts          # rewrites test.txt
 *   npx tsx scripts/real-sentences.ts --check  # exits 1 if test.txt is not what sentences.md says
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { splitWords } from '../src/data/words.ts';
import { writeFileAtomic } from '../src/io/atomic.ts';

export const REAL_SENTENCES_DIR = fileURLToPath(new URL('../examples/real-sentences/', import.meta.url));

export interface MarkedSentence {
  /** The sentence as a user would type it (the markup removed). */
  readonly text: string;
  readonly words: string[];
  readonly tags: string[];
}

const ENTITY = /\[(PER|ORG|LOC|MISC) ([^\]]+)\]/g;

/** One marked-up line → words and IOB2 tags. */
export function parseMarkedSentence(line: string): MarkedSentence {
  const words: string[] = [];
  const tags: string[] = [];
  let at = 0;
  const plain = (text: string) => {
    for (const w of splitWords(text)) {
      words.push(w);
      tags.push('O');
    }
  };
  for (const m of line.matchAll(ENTITY)) {
    plain(line.slice(at, m.index));
    splitWords(m[2]).forEach((w, i) => {
      words.push(w);
      tags.push(`${i === 0 ? 'B' : 'I'}-${m[1]}`);
    });
    at = m.index + m[0].length;
  }
  plain(line.slice(at));
  if (/[[\]]/.test(words.join(''))) throw new Error(`unbalanced entity markup in: ${line}`);
  return { text: line.replace(ENTITY, '$2'), words, tags };
}

/** The sentences of `sentences.md` (the lines after the `<!-- sentences -->` marker). */
export function readMarkedSentences(file = `${REAL_SENTENCES_DIR}sentences.md`): MarkedSentence[] {
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf('<!-- sentences -->');
  if (start < 0) throw new Error(`${file}: no <!-- sentences --> marker`);
  return text
    .slice(start)
    .split('\n')
    .slice(1)
    .filter((l) => l.trim() !== '')
    .map(parseMarkedSentence);
}

export function toConll(sentences: readonly MarkedSentence[]): string {
  return sentences.map((s) => s.words.map((w, i) => `${w} ${s.tags[i]}\n`).join('')).join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const conll = toConll(readMarkedSentences());
  const target = `${REAL_SENTENCES_DIR}test.txt`;
  if (process.argv.includes('--check')) {
    const same = readFileSync(target, 'utf8') === conll;
    console.log(same ? `${target} is up to date` : `${target} differs from sentences.md: run npx tsx scripts/real-sentences.ts`);
    process.exit(same ? 0 : 1);
  }
  writeFileAtomic(target, conll);
  console.log(`wrote ${target}`);
}
