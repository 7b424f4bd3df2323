/**
 * What the course's programs download from the Hugging Face Hub, made locally, for a machine
 * without network (the test suite runs the programs on these):
 *
 * - in place of `conll2003`: a small NER corpus in CoNLL files (`train.txt`, `validation.txt`,
 *   `test.txt`) with CoNLL-2003's nine labels, written from a dozen sentence patterns and short
 *   name lists — small and regular enough that a model trained from scratch learns it in
 *   seconds, which is what a test of the programs needs (the built-in synthetic corpus,
 *   `syntheticNer()`, is the one to measure a model on);
 * - in place of `bert-base-cased`: a tiny cased BERT (hidden 64, 2 layers) with a WordPiece
 *   vocabulary trained on that corpus, saved as a *base* checkpoint — encoder weights and
 *   tokenizer, no token-classification head — so that
 *   `AutoModelForTokenClassification.from_pretrained(checkpoint, { id2label, label2id })` adds a
 *   new head, as it does for `bert-base-cased`.
 *
 * The encoder is randomly initialised, not pre-trained, so it needs a larger learning rate than
 * fine-tuning BERT's 2e-5: the programs take `COURSE_LEARNING_RATE` (the test passes 2e-3).
 *
 *   node --import tsx examples/course/offline.ts /tmp/course
 *   # prints the COURSE_* variables to export; then run examples/course/trainer.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONLL2003_NER, Dataset, DatasetDict, models, Rng, saveDataset, saveTokenizerFiles, tokenClassificationFeatures, trainWordPiece, ClassLabel } from 'tokentag';

export interface OfflineCourse {
  /** A dataset directory to load in place of `conll2003`. */
  readonly dataset: string;
  /** A model directory to load in place of `bert-base-cased`. */
  readonly checkpoint: string;
}

const NAMES: Readonly<Record<'PER' | 'ORG' | 'LOC' | 'MISC', readonly string[]>> = {
  PER: ['Ada Lovelace', 'Alan Turing', 'Grace Hopper', 'Maria Lopez', 'Kenji Sato', 'Sylvain', 'Amara Obi', 'Lena Berg', 'Omar Haddad', 'Wei Chen'],
  ORG: ['Hugging Face', 'Acme Robotics', 'Northwind', 'the United Nations', 'Reuters', 'Globex', 'Initech', 'the European Union'],
  LOC: ['Brooklyn', 'Lisbon', 'Paris', 'Vienna', 'Nairobi', 'Osaka', 'Quebec', 'New York', 'Buenos Aires'],
  MISC: ['German', 'British', 'French', 'Olympic', 'Japanese', 'Brazilian', 'World Cup', 'Tour de France'],
};

/** `{PER}` etc. are entity slots; everything else is an outside word. */
const PATTERNS = [
  'My name is {PER} and I work at {ORG} in {LOC} .',
  '{PER} joined {ORG} in {LOC} last year .',
  '{ORG} opened an office in {LOC} .',
  '{PER} flew from {LOC} to {LOC} on Monday .',
  'The {MISC} minister met {PER} in {LOC} .',
  '{PER} said {ORG} would hire {MISC} engineers .',
  'Shares of {ORG} rose in {LOC} today .',
  '{PER} and {PER} visited {LOC} .',
  'A {MISC} team won the match in {LOC} .',
  'According to {ORG} , {PER} will speak in {LOC} .',
  'It rained all day .',
  '{PER} wrote to {ORG} about the {MISC} report .',
];

function sentence(rng: Rng): { tokens: string[]; ner_tags: number[] } {
  const tokens: string[] = [];
  const ner_tags: number[] = [];
  for (const part of PATTERNS[rng.nextInt(PATTERNS.length)].split(' ')) {
    const slot = /^\{(PER|ORG|LOC|MISC)\}$/.exec(part)?.[1] as keyof typeof NAMES | undefined;
    if (!slot) {
      tokens.push(part);
      ner_tags.push(0);
      continue;
    }
    const list = NAMES[slot];
    list[rng.nextInt(list.length)].split(' ').forEach((w, i) => {
      tokens.push(w);
      ner_tags.push(CONLL2003_NER.indexOf(`${i === 0 ? 'B' : 'I'}-${slot}`));
    });
  }
  return { tokens, ner_tags };
}

/** Writes the corpus and the tiny base checkpoint under `dir`; sizes are sentences per split. */
export async function makeOfflineCourse(dir: string, sizes = { train: 400, validation: 80, test: 80 }): Promise<OfflineCourse> {
  const dataset = join(dir, 'conll2003-offline');
  const checkpoint = join(dir, 'bert-tiny-cased');
  const rng = new Rng(2003);
  const features = tokenClassificationFeatures({ ner_tags: new ClassLabel(CONLL2003_NER) });
  const raw = new DatasetDict(
    Object.entries(sizes).map(([split, n]) => [split, Dataset.from(Array.from({ length: n }, (_, i) => ({ id: String(i), ...sentence(rng) })), features)] as const),
  );
  await saveDataset(raw, dataset);
  mkdirSync(checkpoint, { recursive: true });
  const tokenizer = await trainWordPiece(raw.get('train').column('tokens'), { vocabSize: 300, lowercase: false, modelMaxLength: 64 });
  saveTokenizerFiles(tokenizer, checkpoint);
  const config = models.createConfig('bert', {
    vocab_size: tokenizer.vocabSize,
    hidden_size: 64,
    num_hidden_layers: 2,
    num_attention_heads: 2,
    intermediate_size: 256,
    max_position_embeddings: 64,
  });
  const params = models.architectureFor(config).init(config, 7);
  // A base checkpoint: the encoder (`bert.…`) without the `classifier.…` head.
  const encoder = new Map([...params].filter(([name]) => !name.startsWith('classifier.')));
  models.writeSafetensors(join(checkpoint, 'model.safetensors'), encoder, { format: 'pt' });
  writeFileSync(join(checkpoint, 'config.json'), models.configToString(config));
  return { dataset, checkpoint };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: node --import tsx examples/course/offline.ts DIR');
    process.exit(2);
  }
  const made = await makeOfflineCourse(dir);
  console.log(`export COURSE_DATASET=${made.dataset}\nexport COURSE_MODEL=${made.checkpoint}\nexport COURSE_LEARNING_RATE=2e-3`);
}
