// The entity renderer: pure functions from (text, entities) to HTML, as displaCy draws spaCy's
// entities. One module for every place tokentag shows entities: the server's viewer page loads it
// in the browser as it is, and `tokentag predict --html` writes a standalone file with it. Plain
// JavaScript on purpose (types in render.d.ts beside it): a browser runs it without a build step,
// and Node imports it from the TypeScript sources and from the compiled package alike.

/** Background colours of well-known entity types (displaCy's, and CoNLL / WNUT names mapped to them). */
const KNOWN_COLOURS = {
  PER: '#aa9cfc', PERSON: '#aa9cfc',
  ORG: '#7aecec', CORPORATION: '#7aecec',
  LOC: '#ff9561', LOCATION: '#ff9561',
  GPE: '#feca74',
  MISC: '#ffeb80', NORP: '#c887fb', GROUP: '#c887fb',
  PRODUCT: '#bfeeb7',
  FAC: '#9cc9cc',
  EVENT: '#ffeb80',
  LAW: '#ff8197', LANGUAGE: '#ff8197',
  WORK_OF_ART: '#f0d0ff', 'CREATIVE-WORK': '#f0d0ff',
  DATE: '#bfe1d9', TIME: '#bfe1d9',
  MONEY: '#e4e7d2', QUANTITY: '#e4e7d2', ORDINAL: '#e4e7d2', CARDINAL: '#e4e7d2', PERCENT: '#e4e7d2',
};

/** CSS for the rendered entities and the legend (class names start with `tt-`). */
export const ENTITY_CSS = `
.tt-doc { white-space: pre-wrap; overflow-wrap: anywhere; line-height: 2.5; margin: 0; }
.tt-ent { position: relative; background: var(--tt-colour); color: #111; padding: 0.25em 0.4em; margin: 0 0.1em; border-radius: 0.35em; -webkit-box-decoration-break: clone; box-decoration-break: clone; }
.tt-ent:focus-visible { outline: 3px solid #1a5fb4; outline-offset: 2px; }
.tt-label { font: 700 0.7em/1 system-ui, sans-serif; margin-left: 0.45em; vertical-align: middle; letter-spacing: 0.02em; }
.tt-ent:hover::after, .tt-ent:focus::after { content: attr(data-type) " \\00b7  score " attr(data-score); position: absolute; left: 0; bottom: 100%; z-index: 1; background: #222; color: #fff; font: 0.75rem/1.4 system-ui, sans-serif; padding: 0.15em 0.45em; border-radius: 0.25em; white-space: nowrap; pointer-events: none; }
.tt-sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
.tt-legend { list-style: none; display: flex; flex-wrap: wrap; gap: 0.4em 1.2em; padding: 0; margin: 0 0 1em; font: 0.9rem system-ui, sans-serif; }
.tt-legend li { display: inline-flex; align-items: center; gap: 0.4em; }
.tt-swatch { display: inline-block; width: 1em; height: 1em; border-radius: 0.2em; background: var(--tt-colour); border: 1px solid rgb(0 0 0 / 0.25); }
`;

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

/** The entity type of a label: `B-PER` → `PER`, `I-creative-work` → `creative-work`, `PER` → `PER` (B/I/E/S/L/U prefixes). */
export function entityType(label) {
  return /^[BIESLU]-./.test(label) ? label.slice(2) : label;
}

/** The label an entity shows: `entity_group` (aggregated output) or `entity` (strategy none). */
export function entityLabel(e) {
  return typeof e.entity_group === 'string' ? e.entity_group : String(e.entity ?? '');
}

/** A background colour for an entity type: displaCy's for well-known types, else a light hue hashed from the name. */
export function entityColour(type) {
  const known = KNOWN_COLOURS[String(type).toUpperCase()];
  if (known) return known;
  let h = 2166136261; // FNV-1a, so a type keeps its colour across pages and runs
  for (let i = 0; i < type.length; i++) h = Math.imul(h ^ type.charCodeAt(i), 16777619);
  return `hsl(${(h >>> 0) % 360} 75% 82%)`;
}

/** The entity types of entities (or of labels), sorted, without duplicates. */
export function entityTypes(entitiesOrLabels) {
  const types = new Set();
  for (const x of entitiesOrLabels) types.add(entityType(typeof x === 'string' ? x : entityLabel(x)));
  return [...types].sort();
}

/**
 * Entities that can be placed in `text`, in order: offsets that are integers inside the text,
 * sorted by start (longer first), each starting at or after the previous one's end.
 */
export function placeableEntities(text, entities) {
  const ok = entities.filter((e) => Number.isInteger(e.start) && Number.isInteger(e.end) && e.start >= 0 && e.start < e.end && e.end <= text.length);
  ok.sort((a, b) => a.start - b.start || b.end - a.end);
  const out = [];
  let end = 0;
  for (const e of ok) {
    if (e.start < end) continue;
    out.push(e);
    end = e.end;
  }
  return out;
}

/**
 * The text with its entities highlighted inline: a `<p class="tt-doc">` whose entities are
 * `<mark class="tt-ent">` elements coloured by type, with the label after the words, the score
 * shown on hover and on keyboard focus (`data-score`), and `data-start` / `data-end` (UTF-16 offsets, as
 * `text.slice` takes them). Screen readers hear "words (LABEL, score 0.998)".
 */
export function renderEntities(text, entities) {
  let html = '';
  let at = 0;
  for (const e of placeableEntities(text, entities)) {
    const label = entityLabel(e);
    const type = entityType(label);
    const score = typeof e.score === 'number' ? e.score.toFixed(3) : '';
    html += escapeHtml(text.slice(at, e.start));
    html +=
      `<mark class="tt-ent" tabindex="0" style="--tt-colour: ${entityColour(type)}" data-type="${escapeHtml(type)}" data-label="${escapeHtml(label)}"` +
      ` data-start="${e.start}" data-end="${e.end}" data-score="${score}">` +
      `<span class="tt-text">${escapeHtml(text.slice(e.start, e.end))}</span>` +
      `<span class="tt-label" aria-hidden="true">${escapeHtml(label)}</span><span class="tt-sr"> (${escapeHtml(label)}, score ${score})</span></mark>`;
    at = e.end;
  }
  return `<p class="tt-doc">${html}${escapeHtml(text.slice(at))}</p>`;
}

/** A legend: one swatch and name per entity type. */
export function renderLegend(types) {
  const items = types.map((t) => `<li><span class="tt-swatch" style="--tt-colour: ${entityColour(t)}"></span>${escapeHtml(t)}</li>`).join('');
  return `<ul class="tt-legend" aria-label="Entity types">${items}</ul>`;
}

const PAGE_CSS = `
body { margin: 0; font: 1rem/1.5 Georgia, 'Times New Roman', serif; color: #111; background: #fff; }
main { max-width: 60rem; margin: 0 auto; padding: 1.5rem; }
h1 { font: 600 1.4rem system-ui, sans-serif; margin: 0 0 1rem; }
.tt-docs { padding-left: 2.5em; }
.tt-docs > li { margin: 0 0 0.75em; }
`;

/** The start of a standalone HTML page: head, styles, title and legend; items follow, then {@link documentEnd}. */
export function documentStart({ title, types }) {
  return (
    `<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n` +
    `<title>${escapeHtml(title)}</title>\n<style>${PAGE_CSS}${ENTITY_CSS}</style>\n</head>\n<body>\n<main>\n<h1>${escapeHtml(title)}</h1>\n` +
    `${renderLegend(types)}\n<ol class="tt-docs">\n`
  );
}

/** One text of a standalone page. */
export function documentItem(text, entities) {
  return `<li>${renderEntities(text, entities)}</li>\n`;
}

export function documentEnd() {
  return '</ol>\n</main>\n</body>\n</html>\n';
}

/** A whole standalone page for `docs` (the legend lists `types`, by default the types found). */
export function renderDocument(docs, { title = 'Entities', types } = {}) {
  const t = types ?? entityTypes(docs.flatMap((d) => d.entities));
  return documentStart({ title, types: t }) + docs.map((d) => documentItem(d.text, d.entities)).join('') + documentEnd();
}
