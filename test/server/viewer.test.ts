/**
 * The entity viewer in a real browser: Debian's chromium driven by playwright-core (no browser
 * download; see test/helpers/browser.ts).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { serve, type TokentagServer } from '../../src/server/index.ts';
import { entityColour } from '../../src/web/render.js';
import { launchChromium, skipWithoutBrowser } from '../helpers/browser.ts';
import { makeTinyModel } from '../helpers/tiny-model.ts';

const skip = skipWithoutBrowser;

let root = '';
let server: TokentagServer;
let browser: Browser;

before(async () => {
  if (skip) return;
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tokentag-viewer-'));
  server = await serve({ model: await makeTinyModel(path.join(root, 'viewer-model')), port: 0, log: () => {} });
  await server.ready;
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await server?.close();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

interface Mark {
  label: string;
  type: string;
  start: number;
  end: number;
  text: string;
  score: string;
  background: string;
}

async function marks(page: Page): Promise<Mark[]> {
  return page.$$eval('#doc mark.tt-ent', (els) =>
    els.map((el) => {
      const m = el as HTMLElement;
      return {
        label: m.dataset.label!,
        type: m.dataset.type!,
        start: Number(m.dataset.start),
        end: Number(m.dataset.end),
        text: m.querySelector('.tt-text')!.textContent!,
        score: m.dataset.score!,
        background: getComputedStyle(m).backgroundColor,
      };
    }),
  );
}

/** What the API answers for the text and strategy (the page must show exactly this). */
async function api(text: string, strategy: string): Promise<{ entity_group?: string; entity?: string; score: number; start: number; end: number }[]> {
  const res = await fetch(server.url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ inputs: text, parameters: { aggregation_strategy: strategy } }) });
  return res.json();
}

const TEXT = 'Ada Lovelace met Alan Turing in Zürich 😀 and went to Paris, then <London> & Berlin.';

describe('the entity viewer in a browser', { skip }, () => {
  it('type a text, submit: the highlighted spans are the API\'s entities at the right characters, with legend, scores and JSON', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(server.url);
    await page.getByText('model: viewer-model').waitFor();
    // Found by their accessible names, as a screen reader would.
    await page.getByLabel('Text').fill(TEXT);
    for (const strategy of ['first', 'none', 'simple']) {
      await page.getByLabel('Aggregation strategy').selectOption(strategy);
      await page.getByRole('button', { name: 'Tag entities' }).click();
      await page.waitForFunction(() => document.body.dataset.state === 'done');
      const want = await api(TEXT, strategy);
      const got = await marks(page);
      assert.ok(want.length > 3, `the fixture model finds entities (${strategy})`);
      assert.deepEqual(
        got.map((m) => [m.label, m.start, m.end, m.text, m.score]),
        want.map((e) => [e.entity_group ?? e.entity, e.start, e.end, TEXT.slice(e.start, e.end), e.score.toFixed(3)]),
        strategy,
      );
      // The text around the marks is the text, unchanged (no markup leaks, nothing dropped).
      assert.equal(await page.$eval('#doc .tt-doc', (p) => {
        const c = p.cloneNode(true) as HTMLElement;
        c.querySelectorAll('.tt-label, .tt-sr').forEach((x) => x.remove());
        return c.textContent;
      }), TEXT);
      // Coloured by type, with a legend of the types shown.
      const types = [...new Set(got.map((m) => m.type))].sort();
      assert.deepEqual(await page.$$eval('#legend .tt-legend li', (lis) => lis.map((li) => li.textContent)), types);
      for (const m of got) assert.equal(m.background, await cssColour(page, entityColour(m.type)));
      // The JSON beside it is the API's answer.
      assert.deepEqual(JSON.parse((await page.textContent('#json'))!), want);
    }
    // The score shows on hover.
    const first = page.locator('#doc mark.tt-ent').first();
    await first.hover();
    const tip = await first.evaluate((el) => getComputedStyle(el, '::after').content);
    assert.match(tip, /score/);
    assert.notEqual(await first.evaluate((el) => getComputedStyle(el, '::after').display), 'none');
    // A bad request shows the server's error, announced (role=alert).
    await page.getByLabel('Text').fill('');
    await page.getByRole('button', { name: 'Tag entities' }).click();
    await page.waitForFunction(() => document.body.dataset.state === 'error');
    assert.match((await page.getByRole('alert').textContent())!, /"inputs" is an empty string/);
    assert.deepEqual(errors.filter((e) => !/Failed to load resource/.test(e)), []);
    await page.close();
  });

  it('a screenshot of the result is not blank and shows the legend and the highlights', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    await page.goto(server.url);
    await page.getByLabel('Text').fill(TEXT);
    await page.getByRole('button', { name: 'Tag entities' }).click();
    await page.waitForFunction(() => document.body.dataset.state === 'done');
    const file = path.join(root, 'viewer.png');
    await page.screenshot({ path: file, fullPage: true });
    const png = fs.readFileSync(file);
    assert.equal(png.subarray(1, 4).toString(), 'PNG');
    const legend = page.locator('#legend .tt-legend');
    const box = await legend.boundingBox();
    assert.ok(box && box.width > 20 && box.height > 5, 'the legend is laid out');
    const types = await page.$$eval('#legend .tt-legend li', (lis) => lis.map((li) => li.textContent!));
    // Look at the picture itself: decode it in the browser and count the pixels of each type's colour.
    const colours = await Promise.all(types.map((t) => cssColour(page, entityColour(t))));
    const counts = await countColours(page, png, colours);
    assert.ok(counts.distinct > 50, `the screenshot has ${counts.distinct} colours: blank?`);
    types.forEach((t, i) => assert.ok(counts.matches[i]! > 100, `too few pixels of ${t}'s colour (${counts.matches[i]}) in the screenshot`));
    await page.close();
  });
});

/** A CSS colour as the browser computes it (`rgb(r, g, b)`). */
function cssColour(page: Page, colour: string): Promise<string> {
  return page.evaluate((c) => {
    const d = document.createElement('div');
    d.style.color = c;
    document.body.append(d);
    const v = getComputedStyle(d).color;
    d.remove();
    return v;
  }, colour);
}

/** Distinct colours in a PNG, and how many pixels have each of `colours` (`rgb(…)`). */
async function countColours(page: Page, png: Buffer, colours: string[]): Promise<{ distinct: number; matches: number[] }> {
  const blank = await page.context().browser()!.newPage();
  try {
    return await blank.evaluate(async ({ b64, colours }) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = img.width;
      canvas.height = img.height;
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      const data = ctx.getImageData(0, 0, img.width, img.height).data;
      const wanted = colours.map((c) => c.match(/\d+/g)!.map(Number));
      const matches = wanted.map(() => 0);
      const seen = new Set<number>();
      for (let i = 0; i < data.length; i += 4) {
        seen.add((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!);
        wanted.forEach((w, k) => {
          if (Math.abs(data[i]! - w[0]!) <= 2 && Math.abs(data[i + 1]! - w[1]!) <= 2 && Math.abs(data[i + 2]! - w[2]!) <= 2) matches[k]!++;
        });
      }
      return { distinct: seen.size, matches };
    }, { b64: png.toString('base64'), colours });
  } finally {
    await blank.close();
  }
}
