/**
 * The page: forms, the live loss curve and evaluation table, the entity viewer (the shared
 * renderer, src/web/render.js) and the download. All work happens in the worker (worker.ts);
 * this script only sends requests and draws what comes back, so the page stays responsive.
 *
 * For tests and benchmarks the page keeps its state on `window.tokentag` (log history, timings)
 * and says what it is doing in `document.body.dataset.state`.
 */
import { ENTITY_CSS, STRATEGY_OPTIONS, entityTypes, renderEntities, renderLegend } from '../src/web/render.js';

type LogRecord = Record<string, number>;
interface InputFile {
  name: string;
  bytes: Uint8Array;
}

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const input = (id: string) => $<HTMLInputElement>(id);
const style = document.createElement('style');
style.textContent = ENTITY_CSS;
document.head.append(style);
$('strategy').innerHTML = STRATEGY_OPTIONS;

const state = {
  logHistory: [] as LogRecord[],
  /** Seconds of training (this run's, stops excluded) when each log record arrived. */
  logSeconds: [] as number[],
  trainSeconds: 0,
  runtime: null as { threads: number; isolated: boolean } | null,
  prepared: null as Record<string, unknown> | null,
  lastTrain: null as Record<string, unknown> | null,
  mode: 'none' as 'none' | 'train' | 'tag-only',
};
(window as unknown as { tokentag: typeof state }).tokentag = state;

function setState(s: string): void {
  document.body.dataset.state = s;
}

// ---- the worker ----------------------------------------------------------------------------

const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
let nextId = 0;
const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
worker.onmessage = (e: MessageEvent) => {
  const m = e.data as { id?: number; ok?: boolean; result?: unknown; error?: { name: string; message: string }; event?: string; record?: LogRecord };
  if (m.event === 'log' && m.record) return onLog(m.record);
  const p = m.id !== undefined ? pending.get(m.id) : undefined;
  if (!p) return;
  pending.delete(m.id!);
  if (m.ok) p.resolve(m.result);
  else p.reject(Object.assign(new Error(m.error!.message), { name: m.error!.name }));
};
worker.onerror = (e) => showError(`the worker failed: ${e.message}`);

function request<T>(type: string, body: Record<string, unknown> = {}, transfer: Transferable[] = []): Promise<T> {
  const id = nextId++;
  return new Promise<T>((resolve, reject) => {
    pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
    worker.postMessage({ id, type, ...body }, transfer);
  });
}

function showError(message: string): void {
  $('error').textContent = message;
  setState('error');
}

function status(text: string): void {
  $('status').textContent = text;
}

/** Runs a step of the UI with buttons disabled and errors shown. */
async function guarded(what: string, f: () => Promise<void>): Promise<void> {
  $('error').textContent = '';
  setButtons(true);
  try {
    await f();
  } catch (e) {
    showError(`${what}: ${(e as Error).message}`);
  } finally {
    setButtons(false);
  }
}

let busy = false;
let stoppable = false;
function setButtons(isBusy: boolean): void {
  busy = isBusy;
  const trained = state.lastTrain !== null;
  const interrupted = trained && (state.lastTrain!.result as { interrupted?: boolean }).interrupted === true;
  $<HTMLButtonElement>('train').disabled = busy || state.runtime === null;
  $<HTMLButtonElement>('stop').disabled = !stoppable;
  $<HTMLButtonElement>('resume').disabled = busy || !interrupted;
  $<HTMLButtonElement>('download').disabled = busy || !trained;
  $<HTMLButtonElement>('tag').disabled = busy || state.mode === 'none';
}

// ---- inputs --------------------------------------------------------------------------------

async function readFiles(list: FileList | File[]): Promise<InputFile[]> {
  return Promise.all(
    [...list].map(async (f) => ({ name: (f as File & { webkitRelativePath?: string }).webkitRelativePath || f.name, bytes: new Uint8Array(await f.arrayBuffer()) })),
  );
}

const radio = (name: string) => (document.querySelector(`input[name=${name}]:checked`) as HTMLInputElement).value;
let droppedData: InputFile[] = [];

for (const r of document.querySelectorAll<HTMLInputElement>('input[name=model]')) {
  r.addEventListener('change', () => {
    const folder = radio('model') === 'folder';
    $('model-folder').hidden = !folder;
    $('open-row').hidden = !folder;
    if (!folder) {
      input('learning-rate').value = '0.001';
      input('word-dropout').value = '0.3';
    } else {
      input('learning-rate').value = '0.00005';
      input('word-dropout').value = '0';
    }
  });
}
for (const r of document.querySelectorAll<HTMLInputElement>('input[name=data]')) {
  r.addEventListener('change', () => {
    const files = radio('data') === 'files';
    $('drop').hidden = !files;
    $('synthetic-sizes').hidden = files;
  });
}
input('data-files').addEventListener('change', async () => {
  droppedData = await readFiles(input('data-files').files!);
  status(`data: ${droppedData.map((f) => f.name).join(', ')}`);
});
const drop = $('drop');
drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', async (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  droppedData = await readFiles(e.dataTransfer!.files);
  status(`data: ${droppedData.map((f) => f.name).join(', ')}`);
});

const num = (id: string): number => {
  const v = Number(input(id).value);
  if (!Number.isFinite(v)) throw new Error(`${id.replace('-', ' ')} must be a number`);
  return v;
};

// ---- training ------------------------------------------------------------------------------

async function train(resume: boolean): Promise<void> {
  if (!resume) {
    const dataSource = radio('data') === 'synthetic'
      ? { synthetic: { train: num('train-size'), validation: num('validation-size'), test: num('test-size') } }
      : { files: droppedData };
    setState('preparing');
    status('reading the data…');
    const d = await request<{ description: string }>('data', { source: dataSource });
    status(`data: ${d.description}; preparing the model…`);
    const choice = radio('model');
    const modelFiles = choice === 'folder' ? await readFiles(input('model-folder').files ?? []) : [];
    if (choice === 'folder' && modelFiles.length === 0) throw new Error('choose a model folder first');
    const maxSteps = num('max-steps');
    const recipe = {
      epochs: num('epochs'),
      ...(maxSteps > 0 ? { maxSteps } : {}),
      batchSize: num('batch-size'),
      learningRate: num('learning-rate'),
      seed: num('seed'),
      wordDropout: num('word-dropout'),
      dropout: num('dropout'),
    };
    state.prepared = await request('prepare', { model: choice === 'folder' ? { files: modelFiles } : { preset: choice }, recipe });
    state.logHistory = [];
    state.logSeconds = [];
    state.trainSeconds = 0;
    state.mode = 'train';
    $('table').querySelector('tbody')!.innerHTML = '';
    $('test-result').textContent = '';
    $('report').hidden = true;
    drawChart();
    const p = state.prepared as { model: string; parameters: number; features: { train: number; validation: number; test: number; maxLength: number } };
    status(`model: ${p.model}; ${p.parameters.toLocaleString('en')} parameters; ${p.features.train} training features (max ${p.features.maxLength} tokens)`);
  }
  setState('training');
  stoppable = true;
  setButtons(true);
  const started = performance.now();
  runStarted = started;
  try {
    state.lastTrain = await request('train', { resume });
  } finally {
    stoppable = false;
    state.trainSeconds += (performance.now() - started) / 1000;
  }
  const r = state.lastTrain as { result: { interrupted: boolean; globalStep: number; metrics: Record<string, number> }; test: { f1: number; precision: number; recall: number; report: string } | null; seconds: number };
  if (r.test) {
    $('test-result').textContent = `test split: F1 ${r.test.f1.toFixed(4)} (precision ${r.test.precision.toFixed(4)}, recall ${r.test.recall.toFixed(4)})`;
    $('report').textContent = r.test.report;
    $('report').hidden = false;
  }
  const tps = r.result.metrics.train_tokens_per_second;
  status(
    r.result.interrupted
      ? `stopped at step ${r.result.globalStep}: Resume continues from there`
      : `trained ${r.result.globalStep} steps in ${r.seconds.toFixed(1)} s (${tps ? `${Math.round(tps)} tokens/s` : ''})`,
  );
  setState(r.result.interrupted ? 'stopped' : 'trained');
}

let runStarted = 0;
function onLog(record: LogRecord): void {
  state.logHistory.push(record);
  state.logSeconds.push(state.trainSeconds + (performance.now() - runStarted) / 1000);
  if ('eval_f1' in record) addTableRow(record);
  if ('loss' in record || 'eval_f1' in record) drawChart();
  if ('loss' in record) {
    const prepared = state.prepared as { args?: { numTrainEpochs?: number } } | null;
    $('progress').textContent = `step ${record.step} · epoch ${record.epoch!.toFixed(2)}${prepared?.args?.numTrainEpochs ? ` of ${prepared.args.numTrainEpochs}` : ''} · loss ${record.loss!.toFixed(4)}`;
  }
}

function addTableRow(m: LogRecord): void {
  let trainingLoss = 'No log';
  for (let i = state.logHistory.length - 1; i >= 0; i--) {
    const l = state.logHistory[i]!.loss;
    if (l !== undefined) {
      trainingLoss = l.toFixed(6);
      break;
    }
  }
  const f = (x: number | undefined) => (x === undefined ? '' : x.toFixed(6));
  const tr = document.createElement('tr');
  for (const cell of [String(Math.round(m.epoch!)), trainingLoss, f(m.eval_loss), f(m.eval_precision), f(m.eval_recall), f(m.eval_f1), f(m.eval_accuracy)]) {
    const td = document.createElement('td');
    td.textContent = cell;
    tr.append(td);
  }
  $('table').querySelector('tbody')!.append(tr);
}

/** The loss per step (a line) and the validation loss per evaluation (dots), as SVG. */
function drawChart(): void {
  const svg = $('chart');
  const W = 600;
  const H = 220;
  const pad = { l: 42, r: 8, t: 8, b: 22 };
  const steps = state.logHistory.filter((r) => 'loss' in r);
  const evals = state.logHistory.filter((r) => 'eval_loss' in r);
  if (steps.length === 0) {
    svg.innerHTML = '';
    return;
  }
  const maxStep = Math.max(...steps.map((r) => r.step!), ...evals.map((r) => r.step!), 1);
  const maxLoss = Math.max(...steps.map((r) => r.loss!), ...evals.map((r) => r.eval_loss!)) * 1.05;
  const x = (s: number) => pad.l + ((W - pad.l - pad.r) * s) / maxStep;
  const y = (l: number) => pad.t + (H - pad.t - pad.b) * (1 - l / maxLoss);
  const path = steps.map((r, i) => `${i ? 'L' : 'M'}${x(r.step!).toFixed(1)},${y(r.loss!).toFixed(1)}`).join('');
  const ticks = [0, maxLoss / 2, maxLoss].map((l) => `<text x="2" y="${y(l) + 4}">${l.toFixed(2)}</text>`).join('');
  svg.innerHTML =
    `<line class="axis" x1="${pad.l}" y1="${H - pad.b}" x2="${W - pad.r}" y2="${H - pad.b}"/><line class="axis" x1="${pad.l}" y1="${pad.t}" x2="${pad.l}" y2="${H - pad.b}"/>` +
    ticks +
    `<text x="${W - pad.r - 70}" y="${H - 6}">step ${maxStep}</text>` +
    `<path class="loss" d="${path}"/>` +
    evals.map((r) => `<circle class="eval" cx="${x(r.step!).toFixed(1)}" cy="${y(r.eval_loss!).toFixed(1)}" r="3.5"><title>validation loss ${r.eval_loss!.toFixed(4)}</title></circle>`).join('');
}

// ---- tagging and download ------------------------------------------------------------------

async function tagText(): Promise<void> {
  const text = input('text').value;
  const strategy = $<HTMLSelectElement>('strategy').value;
  const showO = input('show-o').checked;
  setState('tagging');
  const entities = await request<{ entity_group?: string; entity?: string; score: number; start: number; end: number }[]>('tag', { text, strategy, ...(showO ? { ignoreLabels: [] } : {}) });
  // The viewer marks entities; O spans (asked for with "O too") are only in the JSON.
  const marked = entities.filter((e) => (e.entity_group ?? e.entity) !== 'O');
  $('legend').innerHTML = renderLegend(entityTypes(marked));
  $('doc').innerHTML = renderEntities(text, marked);
  $('json').textContent = JSON.stringify(entities, null, 2);
  setState('tagged');
}

async function download(): Promise<void> {
  const zip = await request<Uint8Array>('download');
  const url = URL.createObjectURL(new Blob([zip as BlobPart], { type: 'application/zip' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = 'tokentag-model.zip';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

async function openForTagging(): Promise<void> {
  const files = await readFiles(input('model-folder').files ?? []);
  if (files.length === 0) throw new Error('choose a model folder first');
  const r = await request<{ labels: string[]; modelType: string }>('open', { files });
  state.mode = 'tag-only';
  status(`opened a ${r.modelType} model for tagging (labels: ${r.labels.join(', ')})`);
  setState('opened');
}

$('train').addEventListener('click', () => void guarded('training failed', () => train(false)));
$('resume').addEventListener('click', () => void guarded('resuming failed', () => train(true)));
$('stop').addEventListener('click', () => {
  status('stopping after the current step…');
  void request('stop');
});
$('tag').addEventListener('click', () => void guarded('tagging failed', tagText));
$('download').addEventListener('click', () => void guarded('download failed', download));
$('open').addEventListener('click', () => void guarded('opening the model failed', openForTagging));

// ---- start ---------------------------------------------------------------------------------

const params = new URLSearchParams(location.search);
request<{ threads: number; isolated: boolean }>('init', params.has('threads') ? { threads: Number(params.get('threads')) } : {})
  .then((r) => {
    state.runtime = r;
    $('runtime').textContent = `onnxruntime-web, WebAssembly, ${r.threads} thread${r.threads === 1 ? '' : 's'}${r.isolated ? '' : ' (the page is not cross-origin isolated, so one thread)'}`;
    setButtons(false);
    setState('ready');
  })
  .catch((e: Error) => showError(`could not start: ${e.message}`));
