import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { documentEnd, documentItem, documentStart, entityColour, entityType, entityTypes, escapeHtml, placeableEntities, renderDocument, renderEntities, renderLegend } from '../../src/web/render.js';

/** The marks of rendered HTML: [label, data-start, data-end, text inside]. */
function marks(html: string): [string, number, number, string][] {
  return [...html.matchAll(/<mark [^>]*data-label="([^"]*)" data-start="(\d+)" data-end="(\d+)"[^>]*><span class="tt-text">([^<]*)<\/span>/g)].map((m) => [m[1]!, Number(m[2]), Number(m[3]), m[4]!]);
}
/** The text a reader sees: tags dropped, labels and screen-reader notes dropped, entities decoded. */
function visibleText(html: string): string {
  return html
    .replace(/<span class="tt-(label|sr)"[^>]*>[^<]*<\/span>/g, '')
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}

describe('entity renderer', () => {
  const text = 'Ada <Lovelace> met "Alan" & Turing in Zürich 😀 Paris';
  const at = (s: string) => [text.indexOf(s), text.indexOf(s) + s.length] as const;
  const ents = [
    { entity_group: 'PER', score: 0.9876, word: 'Ada', start: at('Ada')[0], end: at('Ada')[1] },
    { entity_group: 'PER', score: 0.5, word: 'Alan', start: at('Alan')[0], end: at('Alan')[1] },
    { entity_group: 'LOC', score: 0.75, word: 'Paris', start: at('Paris')[0], end: at('Paris')[1] },
  ];

  it('marks exactly the entities\' characters (UTF-16 offsets) and keeps every other character, escaped', () => {
    const html = renderEntities(text, ents);
    assert.deepEqual(marks(html), [['PER', 0, 3, 'Ada'], ['PER', ents[1]!.start, ents[1]!.end, 'Alan'], ['LOC', ents[2]!.start, ents[2]!.end, 'Paris']]);
    assert.equal(visibleText(html), text);
    assert.ok(!html.includes('<Lovelace>') && html.includes('&lt;Lovelace&gt;'));
    assert.match(html, /data-score="0.988"/);
    assert.match(html, /<span class="tt-sr"> \(PER, score 0.988\)<\/span>/);
    assert.match(html, /--tt-colour: #aa9cfc/); // PER has displaCy's person colour
  });

  it('token output (entity, B-/I- labels) is drawn with its label, coloured by type', () => {
    const html = renderEntities('Ada Lovelace', [{ entity: 'B-PER', score: 0.9, start: 0, end: 3 }, { entity: 'I-PER', score: 0.8, start: 4, end: 12 }]);
    assert.deepEqual(marks(html).map((m) => m[0]), ['B-PER', 'I-PER']);
    assert.equal((html.match(/data-type="PER"/g) ?? []).length, 2);
  });

  it('entities without offsets, outside the text or overlapping an earlier one are left out; order does not matter', () => {
    const got = placeableEntities('abcdef', [
      { entity_group: 'X', start: 4, end: 6 },
      { entity_group: 'A', start: 0, end: 3 },
      { entity_group: 'B', start: 2, end: 4 }, // overlaps A
      { entity_group: 'C', start: null, end: null },
      { entity_group: 'D', start: 5, end: 9 }, // past the end
      { entity_group: 'E', start: 3, end: 3 }, // empty
    ]);
    assert.deepEqual(got.map((e) => e.entity_group), ['A', 'X']);
    assert.equal(visibleText(renderEntities('abcdef', got)), 'abcdef');
  });

  it('types, colours and the legend', () => {
    assert.equal(entityType('B-PER'), 'PER');
    assert.equal(entityType('I-creative-work'), 'creative-work');
    assert.equal(entityType('S-LOC'), 'LOC');
    assert.equal(entityType('PER'), 'PER');
    assert.equal(entityType('NOUN'), 'NOUN');
    assert.deepEqual(entityTypes([...ents, { entity: 'B-ORG', start: 0, end: 1 }]), ['LOC', 'ORG', 'PER']);
    assert.deepEqual(entityTypes(['O', 'B-PER', 'I-PER', 'B-LOC']), ['LOC', 'O', 'PER']);
    assert.equal(entityColour('per'), entityColour('PERSON'));
    assert.equal(entityColour('NOUN'), entityColour('NOUN')); // hashed, stable
    assert.notEqual(entityColour('NOUN'), entityColour('VERB'));
    const legend = renderLegend(['LOC', 'a<b']);
    assert.match(legend, /^<ul class="tt-legend" aria-label="Entity types">/);
    assert.equal((legend.match(/<li>/g) ?? []).length, 2);
    assert.ok(legend.includes('a&lt;b'));
    assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('a standalone page: the same pieces, streamed or at once', () => {
    const docs = [{ text, entities: ents }, { text: 'nothing here', entities: [] }];
    const page = renderDocument(docs, { title: 'Predictions <1>' });
    assert.equal(page, documentStart({ title: 'Predictions <1>', types: ['LOC', 'PER'] }) + documentItem(text, ents) + documentItem('nothing here', []) + documentEnd());
    assert.match(page, /^<!doctype html>\n<html lang="en">/);
    assert.match(page, /<title>Predictions &lt;1&gt;<\/title>/);
    assert.match(page, /\.tt-ent \{/); // styles inline: the file stands alone
    assert.equal((page.match(/<li>/g) ?? []).length, 4); // 2 legend items + 2 texts
  });
});
