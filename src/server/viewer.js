// The viewer page's script: sends the text to the server's Inference API (POST /) and draws the
// answer with the shared renderer (src/web/render.js, served as /render.js). No framework.
import { ENTITY_CSS, entityTypes, renderEntities, renderLegend } from './render.js';

const $ = (id) => document.getElementById(id);
const style = document.createElement('style');
style.textContent = ENTITY_CSS;
document.head.append(style);

function headers() {
  const h = { 'Content-Type': 'application/json' };
  const key = $('key').value.trim();
  if (key) h.Authorization = `Bearer ${key}`;
  return h;
}

function needKey() {
  $('key-field').hidden = false;
  $('key').focus();
}

async function loadInfo() {
  const res = await fetch('info', { headers: headers() });
  if (res.status === 401) return needKey();
  if (!res.ok) return;
  const info = await res.json();
  $('model').textContent = `model: ${info.model}`;
  $('strategy').value = info.aggregation_strategy;
}

async function tag(event) {
  event.preventDefault();
  const text = $('text').value;
  const strategy = $('strategy').value;
  $('error').textContent = '';
  $('submit').disabled = true;
  document.body.dataset.state = 'busy';
  try {
    const res = await fetch('.', { method: 'POST', headers: headers(), body: JSON.stringify({ inputs: text, parameters: { aggregation_strategy: strategy } }) });
    const body = await res.json().catch(() => ({ error: `HTTP ${res.status}` }));
    if (res.status === 401) needKey();
    if (!res.ok) throw new Error(body.error ?? `HTTP ${res.status}`);
    $('legend').innerHTML = renderLegend(entityTypes(body));
    $('doc').innerHTML = renderEntities(text, body);
    $('json').textContent = JSON.stringify(body, null, 2);
    document.body.dataset.state = 'done';
  } catch (e) {
    $('error').textContent = e instanceof Error ? e.message : String(e);
    document.body.dataset.state = 'error';
  } finally {
    $('submit').disabled = false;
  }
}

$('form').addEventListener('submit', tag);
loadInfo().catch(() => {});
