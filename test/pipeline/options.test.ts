// Pipeline options as transformers.js and Python users write them.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline, type GroupedEntity, type TokenEntity } from '../../src/index.ts';
import { TokentagError } from '../../src/errors.ts';
import { makeTinyModel } from '../helpers/tiny-model.ts';

let root = '';
let dir = '';
before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tokentag-pipeline-options-'));
  dir = await makeTinyModel(path.join(root, 'bert'));
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

const TEXT = 'Ada Lovelace met Alan Turing in Zürich and went to Paris';

describe('pipeline options in both spellings', () => {
  it("pipeline('ner', { model, aggregation_strategy: 'simple', ignore_labels: [] }) aggregates (before: silently token-level)", async () => {
    const snake = await pipeline('ner', { model: dir, aggregation_strategy: 'simple', ignore_labels: [] } as never);
    const camel = await pipeline('ner', { model: dir, aggregationStrategy: 'simple', ignoreLabels: [] });
    try {
      const a = (await snake(TEXT)) as GroupedEntity[];
      assert.ok(a.length > 0 && a.every((e) => 'entity_group' in e), 'grouped output');
      assert.deepEqual(a, await camel(TEXT));
      // ignore_labels is honoured too: this random model tags the text LOC, so dropping LOC leaves nothing.
      assert.deepEqual(await snake(TEXT, { ignore_labels: a.map((e) => e.entity_group) } as never), []);
    } finally {
      await snake.dispose();
      await camel.dispose();
    }
  });

  it("pipeline(task, modelDir, options), as transformers.js is called", async () => {
    const ner = await pipeline('token-classification', dir, { aggregation_strategy: 'first', stride: 8 } as never);
    const ref = await pipeline('token-classification', { model: dir, aggregationStrategy: 'first', stride: 8 });
    try {
      assert.deepEqual(await ner(TEXT), await ref(TEXT));
      assert.ok(((await ner(TEXT)) as GroupedEntity[]).every((e) => 'entity_group' in e));
    } finally {
      await ner.dispose();
      await ref.dispose();
    }
    const plain = await pipeline('ner', dir);
    try {
      const out = (await plain(TEXT)) as TokenEntity[];
      assert.ok(out.every((e) => 'entity' in e && e.entity !== 'O'));
    } finally {
      await plain.dispose();
    }
  });

  it('call options: is_split_into_words, aggregation_strategy and ignore_labels as Python passes them', async () => {
    const ner = await pipeline('ner', dir);
    try {
      const words = ['Ada', 'Lovelace', 'lived', 'in', 'Paris'];
      const snake = await ner(words, { is_split_into_words: true } as never);
      const camel = await ner(words, { isSplitIntoWords: true });
      assert.deepEqual(snake, camel);
      assert.equal((camel as { labels: string[] }).labels.length, 5);
      const grouped = await ner(TEXT, { aggregation_strategy: 'simple', ignore_labels: [] } as never);
      assert.deepEqual(grouped, await ner(TEXT, { aggregationStrategy: 'simple', ignoreLabels: [] }));
      assert.ok((grouped as GroupedEntity[]).every((e) => 'entity_group' in e));
    } finally {
      await ner.dispose();
    }
  });

  it('unknown or contradictory options are errors, never ignored', async () => {
    const bad = (o: unknown) => pipeline('ner', { model: dir, ...(o as object) } as never);
    await assert.rejects(bad({ aggregation: 'simple' }), (e: unknown) => e instanceof TokentagError && /unknown pipeline option "aggregation".*did you mean aggregationStrategy/.test(e.message));
    await assert.rejects(bad({ ignoreLabel: [] }), /unknown pipeline option "ignoreLabel".*did you mean ignoreLabels/);
    await assert.rejects(bad({ aggregation_strategy: 'simple', aggregationStrategy: 'first' }), /aggregation_strategy and aggregationStrategy.*disagree/);
    await assert.rejects(bad({ dtype: 'q8' }), /"dtype" is a transformers\.js loading option that tokentag does not support/);
    await assert.rejects(pipeline('ner', dir, { model: path.join(root, 'other') } as never), /the model is given twice/);
    const ner = await pipeline('ner', dir);
    try {
      await assert.rejects(ner(TEXT, { aggregationStrategie: 'simple' } as never), /unknown call option "aggregationStrategie".*did you mean aggregationStrategy/);
    } finally {
      await ner.dispose();
    }
  });
});
