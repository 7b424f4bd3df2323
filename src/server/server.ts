/**
 * `tokentag serve`: the token-classification pipeline behind HTTP, speaking the Hugging Face
 * Inference API (`POST /`, `POST /models/{name}`), with dynamic batching (batcher.ts),
 * Prometheus metrics, a health check, and an entity viewer page at `GET /`.
 *
 * Built on `node:http`: six routes need no router, and the server must control what a framework
 * would hide — counting body bytes as they arrive, answering before reading an oversized body,
 * and draining keep-alive connections on shutdown. No dependency, no start-up cost.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { RequestError, TokentagError } from '../errors.ts';
import type { HubOptions } from '../hub/settings.ts';
import { pipeline, type AggregationStrategy, type TokenClassificationPipeline } from '../pipeline/index.ts';
import { Batcher } from './batcher.ts';
import { ServerMetrics, type RouteLabel } from './metrics.ts';
import { parseInferenceRequest, parseJsonBody, type InferenceRequest } from './request.ts';
import { VIEWER_HTML } from './viewer-page.ts';

export interface ServeOptions {
  /**
   * A model directory or Hugging Face Hub id (as `pipeline()` takes it), or a pipeline already
   * loaded (the server then leaves disposing it to the caller).
   */
  model: string | TokenClassificationPipeline;
  /** Hub settings for a model id (cache, token, offline, download progress). */
  hub?: HubOptions;
  /** The name `POST /models/{name}` answers to. Default: the directory's base name, or the Hub id. */
  name?: string;
  /** Default 127.0.0.1 (loopback only). */
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** At most this many windows per gathered model run (also the rows per ONNX Runtime run). Default 32; 1 turns batching off. */
  maxBatch?: number;
  /**
   * How long a request may wait for others to join its run while a session is free. Default 0:
   * run at once; requests still gather while the sessions are busy, and waiting on an idle model
   * cost more than it gained in bench/serve.ts.
   */
  maxWaitMs?: number;
  /** Requests waiting for the model before new ones are refused with 503. Default 256. */
  maxQueue?: number;
  /** Per request, from arrival to answer; then 504. Default 30 000 ms. */
  timeoutMs?: number;
  /** Largest request body; larger ones get 413. Default 1 MiB. */
  maxBodyBytes?: number;
  /** When set, requests must send `Authorization: Bearer <apiKey>` (except the page and /health). */
  apiKey?: string;
  /** Origins allowed to call the API from a browser (`*` for any). Default none: no CORS headers. */
  cors?: readonly string[];
  /** The strategy for requests that name none. Default `simple`, as the Inference API. */
  aggregationStrategy?: AggregationStrategy;
  /** Pipeline options when `model` is a directory. */
  sessions?: number;
  intraOpNumThreads?: number;
  /** Where the structured logs go (one object per event). Default: one JSON line each on stderr. */
  log?: (record: LogRecord) => void;
}

export interface LogRecord {
  level: 'info' | 'warn' | 'error';
  msg: string;
  [key: string]: unknown;
}

export interface TokentagServer {
  /** `http://host:port` */
  readonly url: string;
  readonly port: number;
  /** Resolves once the model is loaded and predictions are answered; rejects if it cannot load. */
  readonly ready: Promise<void>;
  /** Stops accepting, answers what is in flight, then releases the model. Idempotent. */
  close(): Promise<void>;
}

const DEFAULTS = { host: '127.0.0.1', port: 8080, maxBatch: 32, maxWaitMs: 0, maxQueue: 256, timeoutMs: 30_000, maxBodyBytes: 1 << 20 };

/** The viewer page's scripts, served as they are (plain JavaScript, carried into the build by allowJs). */
const SCRIPTS: Record<string, URL> = {
  '/viewer.js': new URL('./viewer.js', import.meta.url),
  '/render.js': new URL('../web/render.js', import.meta.url),
};
const PAGE_CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** The name a model directory is served under: its base name (a Hub id would be its own name). */
export function servedModelName(model: string): string {
  return fs.existsSync(model) ? path.basename(path.resolve(model)) : model;
}

/**
 * The default log: JSON lines on stderr, written once per turn of the event loop (stderr is
 * written synchronously, and a syscall per request line cost ~5 % of a busy server's main
 * thread in a profile under load).
 */
let logLines: string[] = [];
function jsonLog(record: LogRecord): void {
  if (logLines.length === 0) setImmediate(flushLog);
  logLines.push(JSON.stringify({ time: new Date().toISOString(), ...record }));
}
function flushLog(): void {
  if (logLines.length === 0) return;
  const text = `${logLines.join('\n')}\n`;
  logLines = [];
  process.stderr.write(text);
}

/** Starts listening, then loads the model; see `TokentagServer.ready`. */
export async function serve(options: ServeOptions): Promise<TokentagServer> {
  const o = { ...DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as typeof DEFAULTS & ServeOptions;
  for (const k of ['maxBatch', 'maxQueue', 'timeoutMs', 'maxBodyBytes'] as const) {
    if (!Number.isInteger(o[k]) || o[k] < 1) throw new TokentagError(`${k} must be a positive integer, got ${o[k]}`);
  }
  if (!(o.maxWaitMs >= 0)) throw new TokentagError(`maxWaitMs must be ≥ 0, got ${o.maxWaitMs}`);
  if (o.apiKey !== undefined && o.apiKey === '') throw new TokentagError('the API key must not be empty');
  const log = o.log ?? jsonLog;
  const name = o.name ?? (typeof o.model === 'string' ? servedModelName(o.model) : 'model');
  const defaultStrategy = o.aggregationStrategy ?? 'simple';
  const assets: Record<string, { body: Buffer; type: string }> = { '/': { body: Buffer.from(VIEWER_HTML), type: 'text/html; charset=utf-8' } };
  for (const [k, file] of Object.entries(SCRIPTS)) assets[k] = { body: fs.readFileSync(file), type: 'text/javascript; charset=utf-8' };
  const keyDigest = o.apiKey !== undefined ? sha256(o.apiKey) : undefined;

  let state: 'loading' | 'ready' | 'draining' = 'loading';
  let ner: TokenClassificationPipeline | undefined;
  let batcher: Batcher | undefined;
  const metrics = new ServerMetrics(() => batcher?.depth ?? 0, name);
  let active = 0;
  let onIdle: (() => void) | undefined;

  const server = http.createServer({ requestTimeout: o.timeoutMs + 5_000, headersTimeout: Math.min(60_000, o.timeoutMs + 5_000) }, (req, res) => {
    active++;
    void handle(req, res).finally(() => {
      if (--active === 0) onIdle?.();
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      reject(e.code === 'EADDRINUSE' ? new TokentagError(`${o.host}:${o.port} is already in use (choose another --port)`) : e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND' ? new TokentagError(`cannot listen on ${o.host} (${e.code}; check --host)`) : e);
    });
    server.listen(o.port, o.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}`;
  log({ level: 'info', msg: 'listening', url, model: name });

  const ready = (async () => {
    const t0 = performance.now();
    ner = typeof o.model === 'string'
      ? await pipeline('token-classification', {
          model: o.model,
          batchSize: o.maxBatch,
          ...(o.hub !== undefined ? { hub: o.hub } : {}),
          ...(o.sessions !== undefined ? { sessions: o.sessions } : {}),
          ...(o.intraOpNumThreads !== undefined ? { intraOpNumThreads: o.intraOpNumThreads } : {}),
        })
      : o.model;
    batcher = new Batcher(ner, {
      maxBatch: o.maxBatch,
      maxWaitMs: o.maxWaitMs,
      maxQueue: o.maxQueue,
      concurrency: ner.sessions,
      onBatch: (s) => metrics.batch(s),
    });
    if (state === 'loading') state = 'ready';
    metrics.setReady(state === 'ready');
    log({ level: 'info', msg: 'ready', model: name, labels: ner.id2label.length, maxLength: ner.maxLength, sessions: ner.sessions, loadSeconds: round((performance.now() - t0) / 1000) });
  })();
  ready.catch(() => {}); // the caller sees it through `ready`; close() must not fail on it

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      state = 'draining';
      metrics.setReady(false);
      log({ level: 'info', msg: 'shutting down', inFlight: active });
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      batcher?.flush();
      server.closeIdleConnections();
      if (active > 0) await new Promise<void>((resolve) => (onIdle = resolve));
      server.closeAllConnections();
      await closed;
      await ready.catch(() => {});
      if (typeof o.model === 'string') await ner?.dispose();
      log({ level: 'info', msg: 'stopped' });
      if (log === jsonLog) flushLog();
    })());

  return { url, port, ready, close };

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const t0 = performance.now();
    const id = typeof req.headers['x-request-id'] === 'string' && /^[\w.:-]{1,128}$/.test(req.headers['x-request-id']) ? req.headers['x-request-id'] : randomUUID();
    const method = req.method ?? 'GET';
    const pathname = (req.url ?? '/').split('?')[0]!;
    const route = routeOf(pathname);
    const info: Record<string, unknown> = {};
    res.setHeader('X-Request-Id', id);
    cors(req, res);
    if (state === 'draining') res.setHeader('Connection', 'close');
    try {
      await dispatch(req, res, method, pathname, route, info);
    } catch (e) {
      const status = e instanceof RequestError ? e.status : 500;
      if (e instanceof RequestError) for (const [k, v] of Object.entries(e.headers)) res.setHeader(k, v);
      else info.error = e instanceof Error ? e.message : String(e);
      if (status === 413) res.setHeader('Connection', 'close'); // the rest of the body is not read
      if (!res.headersSent && !res.destroyed) sendJson(res, status, { error: e instanceof RequestError ? e.message : `the model failed on this request: ${info.error}` });
      if (e instanceof RequestError) info.error = e.message;
    } finally {
      const seconds = (performance.now() - t0) / 1000;
      const status = res.headersSent ? res.statusCode : 499; // 499: the client went away first
      metrics.request(route, ['GET', 'HEAD', 'POST', 'OPTIONS'].includes(method) ? method : 'other', status, seconds);
      // 'error' is for what the server got wrong (500); refusals (4xx, busy, timeouts) are 'warn'.
      log({ level: status === 500 ? 'error' : status >= 400 ? 'warn' : 'info', msg: 'request', id, method, path: pathname.slice(0, 200), status, ms: round(seconds * 1000), ...info });
    }
  }

  /** Answers a request. Throws RequestError for what the client got wrong. */
  async function dispatch(req: http.IncomingMessage, res: http.ServerResponse, method: string, pathname: string, route: RouteLabel, info: Record<string, unknown>): Promise<void> {
    const isGet = method === 'GET' || method === 'HEAD';
    const allow = (methods: string): void => {
      if (method === 'OPTIONS') return void res.writeHead(204, { Allow: methods }).end();
      throw new RequestError(405, `${method} is not allowed on ${pathname} (allowed: ${methods})`, { Allow: methods });
    };
    switch (route) {
      case '/':
      case '/models':
        if (method === 'POST') {
          if (route === '/models') checkModelName(pathname);
          return infer(req, res, info);
        }
        if (route === '/' && isGet) return sendAsset(res, '/');
        return allow(route === '/' ? 'GET, HEAD, POST, OPTIONS' : 'POST, OPTIONS');
      case '/health':
        if (!isGet) return allow('GET, HEAD');
        return sendJson(res, state === 'ready' ? 200 : 503, { status: state === 'ready' ? 'ok' : state, model: name }, state === 'loading' ? { 'Retry-After': '1' } : {});
      case '/metrics': {
        if (!isGet) return allow('GET, HEAD');
        authorize(req);
        const body = await metrics.text();
        res.writeHead(200, { 'Content-Type': metrics.contentType, 'Cache-Control': 'no-store' }).end(body);
        return;
      }
      case '/info': {
        if (!isGet) return allow('GET, HEAD');
        authorize(req);
        const n = loaded();
        return sendJson(res, 200, {
          model: name,
          task: 'token-classification',
          labels: n.id2label,
          max_length: n.maxLength,
          aggregation_strategy: defaultStrategy,
          max_batch: o.maxBatch,
          max_wait_ms: o.maxWaitMs,
        });
      }
      case 'static':
        if (!isGet) return allow('GET, HEAD');
        return sendAsset(res, pathname);
      case 'other':
        throw new RequestError(404, `no route ${pathname} (POST / or /models/${name} for predictions; GET / for the viewer, /health, /info, /metrics)`);
    }
  }

  async function infer(req: http.IncomingMessage, res: http.ServerResponse, info: Record<string, unknown>): Promise<void> {
    authorize(req);
    const n = loaded();
    const body = parseJsonBody(await readBody(req, o.maxBodyBytes));
    const request = parseInferenceRequest(body, { room: n.maxLength - n.tokenizer.numSpecialTokens, defaultStrategy });
    info.inputs = request.kind === 'texts' ? request.texts.length : request.sentences.length;
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) abort.abort(new RequestError(499, 'the client closed the connection'));
    });
    const work = batcher!.submit<unknown>(() => prepare(n, request), abort.signal);
    work.catch(() => {}); // answered below or abandoned after a timeout
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const e = new RequestError(504, `no answer within ${o.timeoutMs} ms (--timeout-ms); the server is overloaded or the input is very long`);
        abort.abort(e);
        reject(e);
      }, o.timeoutMs);
    });
    try {
      const results = await Promise.race([work, timeout]);
      sendJson(res, 200, request.single ? results[0] : results);
    } finally {
      clearTimeout(timer);
    }
  }

  function loaded(): TokenClassificationPipeline {
    if (state === 'draining') throw new RequestError(503, 'the server is shutting down', { 'Retry-After': '1' });
    if (state !== 'ready' || !ner) throw new RequestError(503, `Model ${name} is currently loading`, { 'Retry-After': '1' });
    return ner;
  }

  function checkModelName(pathname: string): void {
    let asked: string;
    try {
      asked = decodeURIComponent(pathname.slice('/models/'.length));
    } catch {
      throw new RequestError(400, `malformed model name in ${pathname}`);
    }
    if (asked !== name) throw new RequestError(404, `model ${JSON.stringify(asked)} is not served here; this server serves ${JSON.stringify(name)} (POST / or /models/${name})`);
  }

  function authorize(req: http.IncomingMessage): void {
    if (!keyDigest) return;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    // Digests of equal length, compared in constant time: neither the key nor its length leaks.
    if (!m || !timingSafeEqual(sha256(m[1]!), keyDigest)) {
      throw new RequestError(401, m ? 'invalid API key' : 'an API key is required: send "Authorization: Bearer <key>"', { 'WWW-Authenticate': 'Bearer realm="tokentag"' });
    }
  }

  function cors(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (!o.cors || o.cors.length === 0) return;
    const origin = req.headers.origin;
    const any = o.cors.includes('*');
    if (!any && (origin === undefined || !o.cors.includes(origin))) return;
    res.setHeader('Access-Control-Allow-Origin', any ? '*' : origin!);
    if (!any) res.setHeader('Vary', 'Origin');
    res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, POST, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, X-Request-Id');
    res.setHeader('Access-Control-Expose-Headers', 'X-Request-Id, Retry-After');
    res.setHeader('Access-Control-Max-Age', '600');
  }

  function sendAsset(res: http.ServerResponse, key: string): void {
    const a = assets[key]!;
    res.writeHead(200, {
      'Content-Type': a.type,
      'Content-Length': a.body.length,
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
      ...(key === '/' ? { 'Content-Security-Policy': PAGE_CSP } : {}),
    });
    res.end(a.body);
  }
}

/** The route of a path, also its metric label. */
function routeOf(pathname: string): RouteLabel {
  if (pathname === '/') return '/';
  if (pathname.startsWith('/models/')) return '/models';
  if (pathname === '/health' || pathname === '/metrics' || pathname === '/info') return pathname;
  if (pathname === '/viewer.js' || pathname === '/render.js') return 'static';
  return 'other';
}

function prepare(n: TokenClassificationPipeline, r: InferenceRequest) {
  return r.kind === 'texts' ? n.prepareTexts(r.texts, r.options) : n.prepareWords(r.sentences, r.options);
}

/** Reads a body of at most `limit` bytes; a larger one is refused with 413 as soon as it shows. */
async function readBody(req: http.IncomingMessage, limit: number): Promise<Uint8Array> {
  const declared = Number(req.headers['content-length']);
  const tooLarge = () => new RequestError(413, `the body is larger than ${limit} bytes (--max-body-bytes)`);
  if (declared > limit) throw tooLarge();
  // Events rather than `for await`: leaving that loop early would destroy the socket before the
  // 413 is sent. Here the rest is left unread and the connection closed after the answer.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total <= limit) return void chunks.push(chunk);
      req.off('data', onData).off('end', onEnd).off('error', reject);
      req.pause();
      reject(tooLarge());
    };
    const onEnd = () => resolve(Buffer.concat(chunks, total));
    req.on('data', onData).on('end', onEnd).on('error', reject);
  });
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store', ...headers });
  res.end(text);
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
