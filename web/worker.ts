/**
 * The page's Web Worker: everything heavy (tokenizing, training, evaluation, tagging, zipping)
 * runs here so the page stays responsive. It wraps job.ts in messages:
 *
 *   page → worker  { id, type: 'init' | 'data' | 'prepare' | 'train' | 'stop' | 'tag' | 'download' | 'open', … }
 *   worker → page  { id, ok: true, result } | { id, ok: false, error: { name, message } }
 *                  { event: 'log', record }        every Trainer log record, as it is logged
 */
import { zipSync } from 'fflate';
import * as ort from '../src/engine/ort.ts';
import type { TokenClassificationPipeline } from '../src/pipeline/core.ts';
import type { WordPieceTokenizer } from '../src/tokenize/wordpiece.ts';
import { type InputFile, type LoadedData, type ModelSource, type Recipe, type TrainJob, createJob, fileData, openExportedModel, syntheticData } from './job.ts';

interface WorkerScope {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent) => void) | null;
  crossOriginIsolated: boolean;
  location: { href: string };
  navigator: { hardwareConcurrency: number };
}
const scope = self as unknown as WorkerScope;

let data: LoadedData | null = null;
let job: TrainJob | null = null;
let tagger: TokenClassificationPipeline<WordPieceTokenizer> | null = null;
let controller: AbortController | null = null;
let threads = 1;

type Request = { id: number; type: string; [k: string]: unknown };

/**
 * Lets queued messages (a "stop") run between training steps: a message to ourselves is a task,
 * so the ones queued before it run first. (A 0 ms timer would cost 4 ms a step once nested.)
 */
const channel = new MessageChannel();
const waiting: (() => void)[] = [];
channel.port1.onmessage = () => waiting.shift()?.();
function yieldToEvents(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    channel.port2.postMessage(null);
  });
}

const handlers: Record<string, (m: Request) => Promise<unknown>> = {
  async init(m) {
    // WebAssembly threads need SharedArrayBuffer, which needs a cross-origin isolated page.
    const want = typeof m.threads === 'number' ? m.threads : Math.min(4, scope.navigator.hardwareConcurrency || 1);
    threads = scope.crossOriginIsolated ? Math.max(1, want) : 1;
    ort.env.wasm.numThreads = threads;
    ort.env.wasm.wasmPaths = new URL('./ort/', scope.location.href).href;
    return { threads, isolated: scope.crossOriginIsolated };
  },

  async data(m) {
    const source = m.source as { synthetic?: { train: number; validation: number; test: number }; files?: InputFile[] };
    data = source.synthetic ? syntheticData(source.synthetic) : fileData(source.files ?? []);
    return { description: data.description, labels: data.labels, splits: Object.fromEntries([...data.dataset].map(([n, d]) => [n, d.length])) };
  },

  async prepare(m) {
    if (!data) throw new Error('load data first');
    await job?.dispose();
    await tagger?.dispose();
    job = null;
    tagger = null;
    const recipe = { threads, ...(m.recipe as Recipe) };
    job = await createJob(m.model as ModelSource, data, recipe);
    const f = job.features;
    return {
      model: job.model.description,
      parameters: [...job.model.params.values()].reduce((n, t) => n + t.data.length, 0),
      features: { train: f.trainFeatures.length, validation: f.validation?.windows ?? 0, test: f.test?.windows ?? 0, maxLength: f.maxLength },
      args: job.args,
    };
  },

  async train(m) {
    if (!job) throw new Error('prepare a model first');
    controller = new AbortController();
    const started = performance.now();
    try {
      const result = await job.train({ signal: controller.signal, resume: m.resume === true, onLog: (record) => scope.postMessage({ event: 'log', record }), betweenSteps: yieldToEvents });
      const test = result.interrupted ? null : await job.test();
      return { result, table: job.table(), test: test && { f1: test.metrics.overall_f1, precision: test.metrics.overall_precision, recall: test.metrics.overall_recall, report: test.report }, seconds: (performance.now() - started) / 1000 };
    } finally {
      controller = null;
    }
  },

  async stop() {
    controller?.abort();
    return { stopping: controller !== null };
  },

  async tag(m) {
    const pipe = tagger ?? (job ? await job.pipeline() : null);
    if (!pipe) throw new Error('train a model or open one first');
    return pipe(m.text as string, {
      aggregationStrategy: m.strategy as 'none' | 'simple' | 'first' | 'average' | 'max',
      ...(Array.isArray(m.ignoreLabels) ? { ignoreLabels: m.ignoreLabels as string[] } : {}),
    });
  },

  async download() {
    if (!job) throw new Error('train a model first');
    const files = await job.files();
    const tree: Record<string, Uint8Array> = {};
    const enc = new TextEncoder();
    for (const [name, v] of files) tree[`tokentag-model/${name}`] = typeof v === 'string' ? enc.encode(v) : v;
    return zipSync(tree, { level: 6 });
  },

  async open(m) {
    await tagger?.dispose();
    tagger = null;
    tagger = await openExportedModel(m.files as InputFile[]);
    return { labels: tagger.id2label, modelType: tagger.config.modelType, maxLength: tagger.maxLength };
  },
};

scope.onmessage = async (e: MessageEvent) => {
  const m = e.data as Request;
  const handler = handlers[m.type];
  try {
    if (!handler) throw new Error(`unknown request ${m.type}`);
    const result = await handler(m);
    scope.postMessage({ id: m.id, ok: true, result }, result instanceof Uint8Array ? [result.buffer] : []);
  } catch (err) {
    const error = err instanceof Error ? { name: err.name, message: err.message } : { name: 'Error', message: String(err) };
    scope.postMessage({ id: m.id, ok: false, error });
  }
};
