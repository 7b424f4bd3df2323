import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { env, pipeline as hfPipeline } from '@huggingface/transformers';
import { exportOnnx } from '../../src/models/export.ts';
import type { TokenizerJson } from '../../src/tokenize/index.ts';
import { bindingToJson } from '../../src/tokenize/tokenizer.ts';
import { robertaBinding } from '../fixtures/tokenize/tokenizers.ts';
import { makeTinyModel } from '../helpers/tiny-model.ts';
// From the package root, as users import it.
import { pipeline, windowStarts, codePointToUtf16, type GroupedEntity, type TokenEntity, type TokenClassificationPipeline } from '../../src/index.ts';

let root = '';
let dir = '';
let ner: TokenClassificationPipeline;
before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tokentag-pipeline-'));
  dir = await makeTinyModel(path.join(root, 'bert'));
  ner = await pipeline('token-classification', { model: dir });
});
after(async () => {
  await ner?.dispose();
  fs.rmSync(root, { recursive: true, force: true });
});

const TEXT = 'Ada Lovelace met Alan Turing in Zürich 😀 and went to Paris';

describe('text helpers', () => {
  it('code points → UTF-16 only when the text has astral characters', () => {
    assert.equal(codePointToUtf16('Zürich Paris'), null);
    const f = codePointToUtf16('Zürich 😀 Paris')!;
    assert.equal(f(9), 10); // 'P' is code point 9, UTF-16 index 10
    assert.equal(f(14), 15);
  });
  it('windows step by room − stride and cover every token', () => {
    assert.deepEqual(windowStarts(10, 4, 1), [0, 3, 6]);
    assert.deepEqual(windowStarts(4, 4, 1), [0]);
    assert.throws(() => windowStarts(10, 4, 4), /stride must be an integer in \[0, 3\]/);
  });
});

describe('token-classification pipeline', () => {
  it('the binding gives code-point offsets; ours are UTF-16 into the original string', async () => {
    const text = 'Zürich 😀 Paris';
    const r = (await ner(text, { ignoreLabels: [] })) as TokenEntity[];
    assert.deepEqual(r.map((e) => text.slice(e.start!, e.end!)), ['Zürich', '😀', 'Paris']);
    assert.deepEqual(r.map((e) => e.word), ['Zürich', '😀', 'Paris']);
  });

  for (const strategy of ['none', 'simple', 'first', 'average', 'max'] as const) {
    it(`strategy ${strategy}: Hugging Face keys, offsets into the text`, async () => {
      const r = await ner(TEXT, { aggregationStrategy: strategy, ignoreLabels: [] });
      assert.ok(r.length > 0);
      for (const e of r) {
        const keys = Object.keys(e).sort();
        assert.deepEqual(keys, strategy === 'none' ? ['end', 'entity', 'index', 'score', 'start', 'word'] : ['end', 'entity_group', 'score', 'start', 'word']);
        assert.ok(e.score > 0 && e.score <= 1);
        assert.equal(typeof e.start, 'number');
        const src = TEXT.slice(e.start!, e.end!);
        assert.ok(src.length > 0);
        if (strategy === 'none') assert.equal(src, (e as TokenEntity).word.replace(/^##/, ''));
      }
      if (strategy !== 'none') {
        // With nothing ignored, the groups tile the text's words in order.
        const groups = r as GroupedEntity[];
        for (let i = 1; i < groups.length; i++) assert.ok(groups[i]!.start! >= groups[i - 1]!.end!);
      }
    });
  }

  it('predictions vary (the fixture is not degenerate) and ignore_labels drops O', async () => {
    const all = (await ner(TEXT, { ignoreLabels: [] })) as TokenEntity[];
    assert.ok(new Set(all.map((e) => e.entity)).size >= 2);
    const kept = (await ner(TEXT)) as TokenEntity[];
    assert.deepEqual(kept, all.filter((e) => e.entity !== 'O'));
  });

  it('a batch of texts equals individual calls', async () => {
    const texts = [TEXT, 'Paris', 'Alan Turing lived in London and Berlin', ''];
    const batch = (await ner(texts, { aggregationStrategy: 'simple' })) as GroupedEntity[][];
    assert.equal(batch.length, texts.length);
    for (let i = 0; i < texts.length; i++) {
      const one = (await ner(texts[i]!, { aggregationStrategy: 'simple' })) as GroupedEntity[];
      assert.equal(batch[i]!.length, one.length);
      batch[i]!.forEach((e, k) => {
        assert.equal(e.entity_group, one[k]!.entity_group);
        assert.equal(e.start, one[k]!.start);
        assert.ok(Math.abs(e.score - one[k]!.score) < 1e-5);
      });
    }
    assert.deepEqual(batch[3], []);
  });

  it('a text longer than the model reads is windowed, never truncated, and covers the whole text', async () => {
    const long = Array.from({ length: 50 }, (_, i) => (i % 2 ? 'Ada lived in Paris' : 'Alan went to Zürich 😀')).join(' ');
    const toks = await ner.tokenizer.binding.encode(long, null, { addSpecialTokens: false });
    assert.ok(toks.getLength() > ner.maxLength * 3);
    const none = (await ner(long, { ignoreLabels: [] })) as TokenEntity[];
    assert.equal(none.length, toks.getLength()); // every token exactly once
    assert.equal(none[none.length - 1]!.end, long.length);
    none.forEach((e, i) => assert.equal(e.index, i + 1));
    for (const e of none) assert.equal(long.slice(e.start!, e.end!), e.word.replace(/^##/, ''));
    // Tokens far from any window edge have the same scores as in a short text.
    const simple = (await ner(long, { aggregationStrategy: 'simple', ignoreLabels: [] })) as GroupedEntity[];
    assert.equal(simple[0]!.start, 0);
    assert.equal(simple[simple.length - 1]!.end, long.length);
    for (let i = 1; i < simple.length; i++) assert.ok(simple[i]!.start! >= simple[i - 1]!.end!, 'no overlaps after merging');
    const first = (await ner(long, { aggregationStrategy: 'first', ignoreLabels: [], })) as GroupedEntity[];
    assert.equal(first[first.length - 1]!.end, long.length);
  });

  it('a smaller stride gives more windows; a bad stride is an error', async () => {
    await assert.rejects(pipeline('ner', { model: dir, stride: 62 }), /stride must be an integer/);
    const p = await pipeline('ner', { model: dir, stride: 0, maxLength: 8 });
    try {
      const r = (await p(TEXT, { ignoreLabels: [] })) as TokenEntity[];
      const want = (await ner(TEXT, { ignoreLabels: [] })) as TokenEntity[];
      assert.deepEqual(r.map((e) => [e.word, e.start, e.end]), want.map((e) => [e.word, e.start, e.end]));
    } finally {
      await p.dispose();
    }
  });

  it('stride per call: the windows of a pipeline created with that stride; a bad one is an error', async () => {
    const long = Array.from({ length: 30 }, (_, i) => (i % 2 ? 'Ada lived in Paris' : 'Alan went to Zürich')).join(' ');
    const p = await pipeline('ner', { model: dir, stride: 3 });
    try {
      for (const strategy of ['none', 'simple'] as const) {
        const want = await p(long, { aggregationStrategy: strategy, ignoreLabels: [] });
        assert.deepEqual(await ner(long, { aggregationStrategy: strategy, ignoreLabels: [], stride: 3 }), want);
        // (the default stride gives other windows, hence other scores: the option is not ignored)
        assert.notDeepEqual(await ner(long, { aggregationStrategy: strategy, ignoreLabels: [] }), want);
      }
    } finally {
      await p.dispose();
    }
    await assert.rejects(ner('Paris', { stride: ner.maxLength }), /stride must be an integer/);
  });

  it('windows of several calls run together give each call what it gets alone', async () => {
    const long = Array.from({ length: 30 }, (_, i) => (i % 2 ? 'Ada lived in Paris' : 'Alan went to Zürich 😀')).join(' ');
    const a = await ner.prepareTexts([TEXT, long], { aggregationStrategy: 'first' });
    const b = await ner.prepareTexts(['Alan Turing lived in London'], { aggregationStrategy: 'none', ignoreLabels: [] });
    const c = await ner.prepareWords([['Ada', 'Lovelace', 'met', 'Alan']], { aggregationStrategy: 'average' });
    const calls = [a, b, c] as const;
    const all = calls.flatMap((p) => p.windows);
    assert.ok(a.windows.length > 2, 'the long text has several windows');
    const owner = calls.flatMap((p, i) => p.windows.map((_, k) => [i, k] as const));
    await ner.runWindows(all, (k, probs) => calls[owner[k]![0]]!.accept(owner[k]![1], probs));
    assert.deepEqual(a.results(), await ner.predictTexts([TEXT, long], { aggregationStrategy: 'first' }));
    assert.deepEqual(b.results(), await ner.predictTexts(['Alan Turing lived in London'], { aggregationStrategy: 'none', ignoreLabels: [] }));
    assert.deepEqual(c.results(), await ner.predictWords([['Ada', 'Lovelace', 'met', 'Alan']], { aggregationStrategy: 'average' }));
    // A call whose windows did not all come back has no results.
    const d = await ner.prepareTexts([TEXT]);
    assert.throws(() => d.results(), /never run/);
  });

  it('pre-split words: one label and score per word, entities over words', async () => {
    const words = ['Ada', 'Lovelace', 'met', 'Alan', 'Turing', 'in', 'Zürich', '😀'];
    const r = await ner(words, { isSplitIntoWords: true, ignoreLabels: [] });
    assert.deepEqual(r.words, words);
    assert.equal(r.labels.length, words.length);
    assert.equal(r.scores.length, words.length);
    assert.ok(r.labels.every((l) => ner.id2label.includes(l)));
    const joined = words.join(' ');
    let covered = 0;
    for (const e of r.entities) {
      assert.equal(joined.slice(e.start!, e.end!), e.word);
      assert.equal(e.word, words.slice(e.wordStart, e.wordEnd).join(' '));
      covered += e.wordEnd - e.wordStart;
    }
    assert.equal(covered, words.length);
    // the first-sub-token label agrees with the token-level prediction on the joined text
    const batch = await ner([words, ['Paris']], { isSplitIntoWords: true });
    assert.equal(batch.length, 2);
    assert.deepEqual(batch[0]!.labels, r.labels);
    // a sentence longer than the model reads
    const long = Array.from({ length: 120 }, (_, i) => words[i % words.length]!);
    const lr = await ner(long, { isSplitIntoWords: true });
    assert.equal(lr.labels.length, long.length);
    assert.deepEqual(lr.labels.slice(0, 8), r.labels);
  });

  it('BIO-constrained decoding never yields I-X after O or another type', async () => {
    const p = await pipeline('ner', { model: dir, bioConstrained: true });
    try {
      const r = (await p(TEXT, { ignoreLabels: [] })) as TokenEntity[];
      r.forEach((e, i) => {
        if (!e.entity.startsWith('I-')) return;
        const prev = r[i - 1]?.entity;
        assert.ok(prev !== undefined && prev !== 'O' && prev.slice(2) === e.entity.slice(2), `${prev} → ${e.entity}`);
      });
      const w = await p(['Ada', 'met', 'Alan', 'in', 'Paris', 'and', 'London'], { isSplitIntoWords: true });
      w.labels.forEach((l, i) => {
        if (l.startsWith('I-')) assert.ok(i > 0 && w.labels[i - 1]!.slice(2) === l.slice(2) && w.labels[i - 1] !== 'O');
      });
    } finally {
      await p.dispose();
    }
  });

  it('bad input and bad model directories are clear errors', async () => {
    await assert.rejects(ner(42 as unknown as string), /must be a string or an array of strings, got number/);
    await assert.rejects(ner([]), /empty batch/);
    await assert.rejects(ner(['a', 3] as unknown as string[]), /text 1 is not a string/);
    await assert.rejects(ner('x', { aggregationStrategy: 'best' as 'none' }), /aggregation strategy must be one of/);
    await assert.rejects(ner('x' as unknown as string[], { isSplitIntoWords: true }), /isSplitIntoWords: the input must be an array/);
    await assert.rejects(pipeline('summarization' as 'ner', { model: dir }), /unsupported task/);
    await assert.rejects(pipeline('ner', { model: path.join(root, 'nope') }), /no such model directory/);
    const noLabels = path.join(root, 'no-labels');
    fs.cpSync(dir, noLabels, { recursive: true });
    const cfg = JSON.parse(fs.readFileSync(path.join(noLabels, 'config.json'), 'utf8'));
    delete cfg.id2label;
    delete cfg.label2id;
    fs.writeFileSync(path.join(noLabels, 'config.json'), JSON.stringify(cfg));
    await assert.rejects(pipeline('ner', { model: noLabels }), /no id2label/);
  });

  it('loads onnx/model.onnx when present and gives the same result as the in-memory graph', async () => {
    const copy = path.join(root, 'with-onnx');
    fs.cpSync(dir, copy, { recursive: true });
    exportOnnx(copy);
    const p = await pipeline('ner', { model: copy });
    try {
      assert.deepEqual(await p(TEXT, { ignoreLabels: [] }), await ner(TEXT, { ignoreLabels: [] }));
    } finally {
      await p.dispose();
    }
  });
});

type HfTokenClassification = (text: string, options?: never) => Promise<unknown>;

/**
 * Our none and simple results for `text` equal transformers.js's: the same entities (and words,
 * for none when `noneWords`), scores within 1e-5. simple runs with no ignored labels:
 * transformers.js filters them BEFORE grouping, Python and we after. Returns our none result.
 */
async function assertSameAsTransformersJs(
  hf: HfTokenClassification,
  ours: TokenClassificationPipeline,
  text: string,
  o: { ignoreLabels?: string[]; noneWords: boolean },
): Promise<TokenEntity[]> {
  const theirs = (await hf(text, (o.ignoreLabels ? { ignore_labels: o.ignoreLabels } : undefined) as never)) as { entity: string; score: number; index: number; word: string }[];
  const mine = (await ours(text, o.ignoreLabels ? { ignoreLabels: o.ignoreLabels } : undefined)) as TokenEntity[];
  const key = (e: { entity: string; index: number; word: string }) => (o.noneWords ? { entity: e.entity, index: e.index, word: e.word } : { entity: e.entity, index: e.index });
  assert.deepEqual(mine.map(key), theirs.map(key));
  mine.forEach((e, i) => assert.ok(Math.abs(e.score - theirs[i]!.score) < 1e-5));
  const theirsS = (await hf(text, { aggregation_strategy: 'simple', ignore_labels: [] } as never)) as { entity_group: string; score: number; word: string }[];
  const mineS = (await ours(text, { aggregationStrategy: 'simple', ignoreLabels: [] })) as GroupedEntity[];
  assert.deepEqual(mineS.map(({ entity_group, word }) => ({ entity_group, word })), theirsS.map(({ entity_group, word }) => ({ entity_group, word })));
  mineS.forEach((e, i) => assert.ok(Math.abs(e.score - theirsS[i]!.score) < 1e-5));
  return mine;
}

describe('against transformers.js on the same exported model', () => {
  it('none and simple give the same entities and scores', async () => {
    const id = 'hf-compare';
    const copy = path.join(root, id);
    fs.cpSync(dir, copy, { recursive: true });
    exportOnnx(copy);
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = root;
    const hf = await hfPipeline('token-classification', id, { local_files_only: true, dtype: 'fp32' });
    const texts = [TEXT, 'Alan Turing lived in London and Berlin', 'Lovelace went to the city of Paris'];
    try {
      // none: HF drops ignore_labels before/after grouping alike
      for (const text of texts) await assertSameAsTransformersJs(hf, ner, text, { noneWords: true });
    } finally {
      await hf.dispose();
    }
  });
});

describe('RoBERTa (byte-level BPE)', () => {
  /** The RoBERTa fixture (vocab 100, 5 labels) with the test's small byte-level BPE tokenizer, exported. */
  async function makeRobertaModel(): Promise<string> {
    const d = path.join(root, 'roberta-hf');
    fs.mkdirSync(d, { recursive: true });
    for (const f of ['config.json', 'model.safetensors']) fs.copyFileSync(path.join(import.meta.dirname, '..', 'fixtures', 'models', 'roberta', f), path.join(d, f));
    const json = bindingToJson(robertaBinding()) as TokenizerJson;
    json.decoder = { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true };
    fs.writeFileSync(path.join(d, 'tokenizer.json'), JSON.stringify(json));
    fs.writeFileSync(path.join(d, 'tokenizer_config.json'), JSON.stringify({ tokenizer_class: 'RobertaTokenizer', model_max_length: 64, bos_token: '<s>', eos_token: '</s>', pad_token: '<pad>', unk_token: '<unk>', add_prefix_space: false }));
    exportOnnx(d);
    return d;
  }
  const TEXTS = ['Hello world!', 'Hello café world', 'world Hello!'];

  it('with the file\'s add_prefix_space (false), none and simple match transformers.js', async () => {
    const d = await makeRobertaModel();
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = root;
    const hf = await hfPipeline('token-classification', 'roberta-hf', { local_files_only: true, dtype: 'fp32' });
    const ours = await pipeline('ner', { model: d, addPrefixSpace: false });
    try {
      for (const text of TEXTS) {
        // `word` of none is the raw token here, as in Python ('Ġworld'); transformers.js decodes it (' world').
        const mine = await assertSameAsTransformersJs(hf, ours, text, { ignoreLabels: [], noneWords: false });
        for (const e of mine) assert.equal(text.slice(e.start!, e.end!), e.word.replace(/^Ġ/, '').replace('Ã©', 'é'));
      }
    } finally {
      await hf.dispose();
      await ours.dispose();
    }
  });

  it('by default the first word gets its prefix space too, as every word had in training', async () => {
    const d = path.join(root, 'roberta-hf');
    const ours = await pipeline('ner', { model: d });
    const glued = await pipeline('ner', { model: d, addPrefixSpace: false });
    try {
      const first = (await ours('Hello world!', { ignoreLabels: [] })) as TokenEntity[];
      assert.deepEqual(first.map((e) => [e.word, e.start, e.end]), [['ĠHello', 0, 5], ['Ġworld', 6, 11], ['!', 11, 12]]);
      const other = (await glued('Hello world!', { ignoreLabels: [] })) as TokenEntity[];
      assert.deepEqual(other.slice(0, 4).map((e) => e.word), ['H', 'e', 'll', 'o'], 'without it, "Hello" at the start is not the word the vocabulary has');
    } finally {
      await ours.dispose();
      await glued.dispose();
    }
  });
});
