/**
 * The entity viewer page (`GET /`): a form, the entities drawn by web/render.js, the JSON beside
 * them; its script is viewer.js. A module rather than an .html file so that the compiled package
 * carries it without a copy step.
 */
import { STRATEGY_OPTIONS } from '../web/render.js';

export const VIEWER_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tokentag — entity viewer</title>
<style>
  :root { color-scheme: light; }
  body { margin: 0; font: 1rem/1.5 system-ui, sans-serif; color: #111; background: #fafafa; }
  header, main { max-width: 72rem; margin: 0 auto; padding: 1rem 1.5rem; }
  header { display: flex; align-items: baseline; gap: 1rem; flex-wrap: wrap; }
  h1 { font-size: 1.3rem; margin: 0; }
  #model { color: #444; }
  form { display: grid; gap: 0.75rem; }
  label { font-weight: 600; }
  textarea { width: 100%; box-sizing: border-box; min-height: 7rem; font: inherit; padding: 0.5rem; border: 1px solid #767676; border-radius: 0.3rem; }
  .controls { display: flex; gap: 1rem; align-items: end; flex-wrap: wrap; }
  .controls > div { display: grid; gap: 0.25rem; }
  select, input, button { font: inherit; padding: 0.35rem 0.6rem; border: 1px solid #767676; border-radius: 0.3rem; background: #fff; }
  button { background: #1a5fb4; color: #fff; border-color: #1a5fb4; cursor: pointer; }
  button:disabled { opacity: 0.6; cursor: progress; }
  :focus-visible { outline: 3px solid #1a5fb4; outline-offset: 2px; }
  [hidden] { display: none !important; }
  #error { color: #a51d2d; font-weight: 600; }
  #error:empty { display: none; }
  .results { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 1.5rem; margin-top: 1.5rem; }
  @media (max-width: 50rem) { .results { grid-template-columns: 1fr; } }
  section { background: #fff; border: 1px solid #ddd; border-radius: 0.4rem; padding: 1rem; min-width: 0; }
  h2 { font-size: 1rem; margin: 0 0 0.75rem; }
  #doc .tt-doc { font: 1.1rem/2.5 Georgia, 'Times New Roman', serif; }
  #json { margin: 0; max-height: 32rem; overflow: auto; font: 0.8rem/1.4 ui-monospace, monospace; white-space: pre-wrap; }
</style>
</head>
<body>
<header>
  <h1>tokentag entity viewer</h1>
  <span id="model" aria-live="polite"></span>
</header>
<main>
  <form id="form">
    <label for="text">Text</label>
    <textarea id="text" name="text" spellcheck="false">Ada Lovelace worked with Charles Babbage in London.</textarea>
    <div class="controls">
      <div>
        <label for="strategy">Aggregation strategy</label>
        <select id="strategy" name="strategy">${STRATEGY_OPTIONS}</select>
      </div>
      <div id="key-field" hidden>
        <label for="key">API key</label>
        <input id="key" name="key" type="password" autocomplete="off">
      </div>
      <button id="submit" type="submit">Tag entities</button>
    </div>
    <p id="error" role="alert"></p>
  </form>
  <div class="results">
    <section aria-labelledby="entities-heading">
      <h2 id="entities-heading">Entities</h2>
      <div id="legend"></div>
      <div id="doc" aria-live="polite"></div>
    </section>
    <section aria-labelledby="json-heading">
      <h2 id="json-heading">JSON</h2>
      <pre id="json" tabindex="0"></pre>
    </section>
  </div>
</main>
<script type="module" src="viewer.js"></script>
</body>
</html>
`;
