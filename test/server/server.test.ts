import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { InferenceClient, tokenClassification } from '@huggingface/inference';
import { pipeline, type CallOptions, type TokenClassificationPipeline } from '../../src/index.ts';
import { serve, type LogRecord, type ServeOptions, type TokentagServer } from '../../src/server/index.ts';
import { makeTinyModel } from '../helpers/tiny-model.ts';
import { parsePrometheusText, sampleValue, type Family } from '../helpers/prometheus.ts';

let root = '';
let dir = '';
/** The reference: the pipeline called directly. */
let ner: TokenClassificationPipeline;
let server: TokentagServer;
const logs: LogRecord[] = [];
const extra: TokentagServer[] = [];

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tokentag-server-'));
  dir = await makeTinyModel(path.join(root, 'ner-model'));
  ner = await pipeline('ner', { model: dir });
  server = await serve({ model: dir, port: 0, maxWaitMs: 20, log: (r) => logs.push(r) });
  await server.ready;
});
after(async () => {
  await Promise.all([server?.close(), ...extra.map((s) => s.close())]);
  await ner?.dispose();
  fs.rmSync(root, { recursive: true, force: true });
});

/** Another server on the reference pipeline (not disposed by the server), closed after the tests. */
async function another(options: Omit<ServeOptions, 'model'>): Promise<TokentagServer> {
  const s = await serve({ model: ner, port: 0, log: () => {}, ...options });
  extra.push(s);
  await s.ready;
  return s;
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: typeof body === 'string' ? body : body instanceof Uint8Array ? Buffer.from(body) : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text), headers: res.headers };
}

const LONG = Array.from({ length: 40 }, (_, i) => (i % 2 ? 'Ada lived in Paris' : 'Alan went to Zürich 😀')).join(' ');
const TEXTS = ['Ada Lovelace met Alan Turing in Zürich 😀 and went to Paris', 'Paris', 'Alan Turing lived in London and Berlin', LONG];

/** What the direct pipeline call gives for the request (the server's default strategy is simple, as the Inference API's). */
function direct(inputs: unknown, parameters: { aggregation_strategy?: string; ignore_labels?: string[]; stride?: number; is_split_into_words?: boolean } = {}): Promise<unknown> {
  const o: CallOptions = { aggregationStrategy: (parameters.aggregation_strategy ?? 'simple') as CallOptions['aggregationStrategy'] };
  if (parameters.ignore_labels) o.ignoreLabels = parameters.ignore_labels;
  if (parameters.stride !== undefined) o.stride = parameters.stride;
  if (parameters.is_split_into_words) o.isSplitIntoWords = true;
  return (ner as (i: unknown, o: CallOptions) => Promise<unknown>)(inputs, o);
}

/** Equal, scores within 1e-5 (a row's numbers may differ in the last bits between batch shapes). */
function assertSame(actual: unknown, expected: unknown, where = ''): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    assert.ok(Math.abs(actual - expected) <= 1e-5, `${where}: ${actual} ≠ ${expected}`);
  } else if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual) && actual.length === expected.length, `${where}: ${JSON.stringify(actual)?.slice(0, 300)} ≠ ${JSON.stringify(expected).slice(0, 300)}`);
    expected.forEach((e, i) => assertSame(actual[i], e, `${where}[${i}]`));
  } else if (expected !== null && typeof expected === 'object') {
    assert.ok(actual !== null && typeof actual === 'object', `${where}: not an object`);
    assert.deepEqual(Object.keys(actual as object), Object.keys(expected), `${where}: keys`);
    for (const [k, v] of Object.entries(expected)) assertSame((actual as Record<string, unknown>)[k], v, `${where}.${k}`);
  } else {
    assert.equal(actual, expected, where);
  }
}

/** /metrics, parsed strictly as Prometheus text. */
async function scrape(s: TokentagServer, headers: Record<string, string> = {}): Promise<Map<string, Family>> {
  const res = await fetch(`${s.url}/metrics`, { headers });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(await res.text());
}

describe('tokentag serve: the Inference API', () => {
  it('the official @huggingface/inference client works unchanged against it (function and InferenceClient)', async () => {
    const text = TEXTS[0]!;
    const got = await tokenClassification({ endpointUrl: server.url, inputs: text });
    assertSame(got, await direct(text));
    assert.ok(got.length > 0);
    const first = await tokenClassification({ endpointUrl: server.url, inputs: text, parameters: { aggregation_strategy: 'first', ignore_labels: [] } });
    assertSame(first, await direct(text, { aggregation_strategy: 'first', ignore_labels: [] }));
    for (const e of first) assert.equal(text.slice(e.start, e.end).length, e.end - e.start);
    const client = new InferenceClient(undefined, { endpointUrl: `${server.url}/models/ner-model` });
    assertSame(await client.tokenClassification({ inputs: 'Alan Turing lived in London', parameters: { aggregation_strategy: 'max' } }), await direct('Alan Turing lived in London', { aggregation_strategy: 'max' }));
    await assert.rejects(tokenClassification({ endpointUrl: server.url, inputs: text, parameters: { aggregation_strategy: 'longest' as never } }), /aggregation strategy must be one of/);
  });

  it('answers with the pipeline\'s keys and nesting: one list for a text, one list per text for an array; one label per pre-split word', async () => {
    const one = await post(server.url, { inputs: TEXTS[0] });
    assert.equal(one.status, 200);
    assert.match(one.headers.get('content-type') ?? '', /^application\/json/);
    assertSame(one.body, await direct(TEXTS[0]));
    assert.deepEqual(Object.keys(one.body[0]), ['entity_group', 'score', 'word', 'start', 'end']);
    const none = await post(server.url, { inputs: TEXTS[0], parameters: { aggregation_strategy: 'none', ignore_labels: [] } });
    assert.deepEqual(Object.keys(none.body[0]), ['entity', 'score', 'index', 'word', 'start', 'end']);
    assertSame(none.body, await direct(TEXTS[0], { aggregation_strategy: 'none', ignore_labels: [] }));
    const list = await post(server.url, { inputs: [TEXTS[1], TEXTS[2], ''] });
    assert.equal(list.body.length, 3);
    assertSame(list.body, await direct([TEXTS[1], TEXTS[2], '']));
    const long = await post(`${server.url}/models/ner-model`, { inputs: LONG, parameters: { aggregation_strategy: 'average', stride: 5 } });
    assertSame(long.body, await direct(LONG, { aggregation_strategy: 'average', stride: 5 }));
    assert.equal(long.body[long.body.length - 1].end, LONG.length); // windows, not truncation
    const words = ['Ada', 'Lovelace', 'met', 'Alan', 'Turing', 'in', 'Zürich'];
    const sentence = await post(server.url, { inputs: words, parameters: { is_split_into_words: true } });
    assertSame(sentence.body, await direct(words, { is_split_into_words: true }));
    assert.deepEqual(sentence.body.words, words);
    assert.equal(sentence.body.labels.length, words.length);
    const batch = await post(server.url, { inputs: [words, ['Paris']], parameters: { is_split_into_words: true, aggregation_strategy: 'first' } });
    assertSame(batch.body, await direct([words, ['Paris']], { is_split_into_words: true, aggregation_strategy: 'first' }));
  });

  it('under concurrency, every caller gets its own answer, the same as a direct pipeline call; requests are gathered into shared runs', async () => {
    const before = await scrape(server);
    const strategies = ['none', 'simple', 'first', 'average', 'max'];
    const requests = Array.from({ length: 48 }, (_, i) => {
      const parameters: Record<string, unknown> = { aggregation_strategy: strategies[i % 5] };
      if (i % 3 === 0) parameters.ignore_labels = [];
      if (i % 8 === 7) return { inputs: TEXTS[0]!.split(' ').slice(i % 4), parameters: { ...parameters, is_split_into_words: true } };
      if (i % 6 === 5) return { inputs: [TEXTS[i % 3]!, TEXTS[(i + 1) % 4]!], parameters };
      if (i % 4 === 3 && strategies[i % 5] !== 'none') return { inputs: LONG.slice(0, 200 + 37 * i), parameters: { ...parameters, stride: i % 20 } };
      return { inputs: `${TEXTS[i % 3]!} ${'and Paris '.repeat(i % 7)}`.trim(), parameters };
    });
    const answers = await Promise.all(requests.map((r) => post(server.url, r)));
    for (const [i, a] of answers.entries()) {
      assert.equal(a.status, 200, JSON.stringify(a.body));
      assertSame(a.body, await direct(requests[i]!.inputs, requests[i]!.parameters as never), `request ${i}`);
    }
    const after = await scrape(server);
    const runs = sampleValue(after, 'tokentag_batch_requests_count') - sampleValue(before, 'tokentag_batch_requests_count');
    const gathered = sampleValue(after, 'tokentag_batch_requests_sum') - sampleValue(before, 'tokentag_batch_requests_sum');
    assert.equal(gathered, requests.length);
    assert.ok(runs < requests.length / 2, `${requests.length} requests in ${runs} model runs: not gathered`);
  });

  it('bad input never takes the server down: each gets a 4xx JSON {"error"} that says what is wrong', async () => {
    const before = (await scrape(server)).get('tokentag_requests_total')!.samples;
    const cases: [string, unknown, number, RegExp][] = [
      ['invalid JSON', '{"inputs": "Ada', 400, /not valid JSON/],
      ['empty body', '', 400, /body is empty/],
      ['not an object', '["Ada"]', 400, /JSON object with "inputs"/],
      ['missing inputs', { parameters: {} }, 400, /"inputs" is missing/],
      ['wrong type', { inputs: 42 }, 400, /must be a string or an array of strings, got number/],
      ['wrong element type', { inputs: ['Ada', { text: 'x' }] }, 400, /"inputs"\[1\] must be a string, got object/],
      ['empty input', { inputs: '' }, 400, /empty string/],
      ['empty list', { inputs: [] }, 400, /empty array/],
      ['unknown parameter', { inputs: 'Ada', parameters: { top_k: 3 } }, 400, /unknown parameter "top_k"/],
      ['unknown key', { inputs: 'Ada', model: 'x' }, 400, /unknown key "model"/],
      ['bad strategy', { inputs: 'Ada', parameters: { aggregation_strategy: 'sum' } }, 400, /aggregation strategy must be one of/],
      ['bad ignore_labels', { inputs: 'Ada', parameters: { ignore_labels: 'O' } }, 400, /"ignore_labels" must be an array of strings/],
      ['stride too large', { inputs: 'Ada', parameters: { stride: 62 } }, 400, /"stride" must be an integer from 0 to 61/],
      ['words not an array', { inputs: 'Ada', parameters: { is_split_into_words: true } }, 400, /array of words/],
      ['invalid UTF-8', new Uint8Array([...Buffer.from('{"inputs": "Z'), 0xc3, 0x28, ...Buffer.from('rich"}')]), 400, /not valid UTF-8 \(byte 13\)/],
      ['oversized', { inputs: 'Ada '.repeat(300_000) }, 413, /larger than 1048576 bytes/],
    ];
    for (const [what, body, status, pattern] of cases) {
      const r = await post(server.url, body);
      assert.equal(r.status, status, `${what}: ${JSON.stringify(r.body)}`);
      assert.equal(typeof r.body?.error, 'string', what);
      assert.match(r.body.error, pattern, what);
    }
    const routes: [string, string, number, RegExp][] = [
      ['GET', '/nowhere', 404, /no route \/nowhere/],
      ['POST', '/models/other-model', 404, /model "other-model" is not served here; this server serves "ner-model"/],
      ['PUT', '/', 405, /PUT is not allowed on \//],
      ['DELETE', '/health', 405, /not allowed/],
      ['GET', '/models/ner-model', 405, /GET is not allowed/],
    ];
    for (const [method, p, status, pattern] of routes) {
      const res = await fetch(`${server.url}${p}`, { method });
      assert.equal(res.status, status, `${method} ${p}`);
      assert.match((await res.json()).error, pattern);
      if (status === 405) assert.ok(res.headers.get('allow'), 'a 405 says what is allowed');
    }
    // A chunked body that grows past the limit is refused as soon as it does.
    const chunked = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const u = new URL(server.url);
      const req = http.request({ host: u.hostname, port: u.port, method: 'POST', path: '/', headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' } }, (res) => {
        let b = '';
        res.on('data', (c) => (b += c)).on('end', () => resolve({ status: res.statusCode!, body: b }));
      });
      req.on('error', () => {}); // the server closes the connection after answering
      req.write('{"inputs": "');
      let sent = 0;
      const pump = () => {
        while (sent < 4 << 20 && !req.destroyed) {
          sent += 65536;
          if (!req.write('a'.repeat(65536))) return void req.once('drain', pump);
        }
      };
      pump();
      setTimeout(() => reject(new Error('no answer to a chunked oversized body')), 20_000).unref();
    });
    assert.equal(chunked.status, 413);
    assert.match(JSON.parse(chunked.body).error, /larger than/);
    // Still serving, and every refusal was counted by status.
    assert.equal((await fetch(`${server.url}/health`)).status, 200);
    assertSame((await post(server.url, { inputs: 'Paris' })).body, await direct('Paris'));
    const counted = (await scrape(server)).get('tokentag_requests_total')!.samples;
    const count = (samples: typeof counted, s: string) => samples.filter((m) => m.labels.status === s).reduce((a, m) => a + m.value, 0);
    const byStatus = (s: string) => count(counted, s) - count(before, s);
    assert.deepEqual(['400', '413', '404', '405'].map(byStatus), [15, 2, 2, 3]);
    // One structured log line per request, with what went wrong.
    const refused = logs.find((l) => l.msg === 'request' && l.status === 413);
    assert.ok(refused && refused.level === 'warn' && typeof refused.id === 'string' && refused.method === 'POST' && refused.path === '/' && typeof refused.ms === 'number');
  });

  it('/metrics is Prometheus text: requests by status, latency histogram, batch sizes, queue depth, tokens', async () => {
    const before = await scrape(server);
    const answered = (await post(server.url, { inputs: TEXTS[2] })).body;
    const m = await scrape(server);
    assert.equal(m.get('tokentag_requests_total')!.type, 'counter');
    assert.equal(sampleValue(m, 'tokentag_requests_total', { route: '/', method: 'POST', status: '200' }) - sampleValue(before, 'tokentag_requests_total', { route: '/', method: 'POST', status: '200' }), 1);
    assert.equal(m.get('tokentag_request_duration_seconds')!.type, 'histogram');
    assert.ok(sampleValue(m, 'tokentag_request_duration_seconds_count', { route: '/' }) > 0);
    assert.equal(m.get('tokentag_batch_windows')!.type, 'histogram');
    assert.equal(sampleValue(m, 'tokentag_batch_windows_sum') - sampleValue(before, 'tokentag_batch_windows_sum'), 1);
    assert.equal(sampleValue(m, 'tokentag_batch_requests_count') - sampleValue(before, 'tokentag_batch_requests_count'), 1);
    assert.equal(m.get('tokentag_queue_depth')!.type, 'gauge');
    assert.equal(sampleValue(m, 'tokentag_queue_depth'), 0);
    const tokens = (await ner.tokenizer.binding.encode(TEXTS[2]!, null)).getLength();
    assert.equal(sampleValue(m, 'tokentag_tokens_total') - sampleValue(before, 'tokentag_tokens_total'), tokens);
    assert.equal(sampleValue(m, 'tokentag_model_ready'), 1);
    assert.equal(sampleValue(m, 'tokentag_model_info', { model: 'ner-model' }), 1);
    assert.ok(sampleValue(m, 'process_resident_memory_bytes') > 0);
    assert.ok(Array.isArray(answered));
  });

  it('/health, /info, the viewer\'s files', async () => {
    assert.deepEqual(await (await fetch(`${server.url}/health`)).json(), { status: 'ok', model: 'ner-model' });
    const info = await (await fetch(`${server.url}/info`)).json();
    assert.deepEqual(info.labels, ner.id2label);
    assert.equal(info.max_length, 64);
    const page = await fetch(server.url);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    assert.match(await page.text(), /<script type="module" src="viewer.js">/);
    const render = await fetch(`${server.url}/render.js`);
    assert.match(render.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.equal(await render.text(), fs.readFileSync(new URL('../../src/web/render.js', import.meta.url), 'utf8'));
  });
});

describe('tokentag serve: operations', () => {
  it('a full queue answers 503 with Retry-After instead of growing; the waiting requests are still answered', async () => {
    const s = await another({ maxQueue: 2, maxWaitMs: 60_000, maxBatch: 64 });
    const waiting = [post(s.url, { inputs: 'Paris' }), post(s.url, { inputs: ['Alan went to London'] })];
    await until(async () => sampleValue(await scrape(s), 'tokentag_queue_depth') === 2);
    const refused = await post(s.url, { inputs: 'Ada' });
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('retry-after'), '1');
    assert.match(refused.body.error, /busy: 2 requests are waiting \(--max-queue 2\)/);
    const health = await fetch(`${s.url}/health`);
    assert.equal(health.status, 200, 'a full queue is not ill health');
    await s.close(); // shutting down runs what is queued
    const [a, b] = await Promise.all(waiting);
    assertSame(a.body, await direct('Paris'));
    assertSame(b.body, await direct(['Alan went to London']));
  });

  it('a request not answered within the timeout gets 504 and leaves the queue', async () => {
    const s = await another({ timeoutMs: 300, maxWaitMs: 60_000, maxBatch: 64 });
    const r = await post(s.url, { inputs: 'Paris' });
    assert.equal(r.status, 504);
    assert.match(r.body.error, /no answer within 300 ms/);
    assert.equal(sampleValue(await scrape(s), 'tokentag_queue_depth'), 0);
  });

  it('a client that goes away leaves the queue (its request is never run) and is counted as 499', async () => {
    const s = await another({ maxWaitMs: 60_000, maxBatch: 64 });
    const u = new URL(s.url);
    const req = http.request({ host: u.hostname, port: u.port, method: 'POST', path: '/', headers: { 'Content-Type': 'application/json' } });
    req.on('error', () => {});
    req.end(JSON.stringify({ inputs: 'Paris' }));
    await until(async () => sampleValue(await scrape(s), 'tokentag_queue_depth') === 1);
    req.destroy();
    await until(async () => sampleValue(await scrape(s), 'tokentag_queue_depth') === 0);
    await until(async () => (await scrape(s)).get('tokentag_requests_total')!.samples.some((m) => m.labels.status === '499'));
    assert.equal(sampleValue(await scrape(s), 'tokentag_batch_requests_count'), 0, 'nothing was run');
  });

  it('a failing model run gets 500 for the request that caused it only; the others in its run are answered, and the server keeps serving', async () => {
    const poison = ner.tokenizer.tokenToId('Berlin')!;
    const failing = {
      ...ner,
      runWindows: (windows: Parameters<TokenClassificationPipeline['runWindows']>[0], onDone: Parameters<TokenClassificationPipeline['runWindows']>[1]) =>
        windows.some((w) => w.inputIds.includes(poison)) ? Promise.reject(new Error('ONNX Runtime: out of memory')) : ner.runWindows(windows, onDone),
    } as TokenClassificationPipeline;
    const s = await serve({ model: failing, port: 0, maxWaitMs: 200, log: () => {} });
    extra.push(s);
    await s.ready;
    const texts = ['Ada lived in Paris', 'Alan went to Berlin', 'Turing met Ada in London'];
    const [ok1, bad, ok2] = await Promise.all(texts.map((t) => post(s.url, { inputs: t })));
    assert.equal(bad!.status, 500);
    assert.match(bad!.body.error, /the model failed on this request: ONNX Runtime: out of memory/);
    assertSame(ok1!.body, await direct(texts[0]));
    assertSame(ok2!.body, await direct(texts[2]));
    assert.equal(sampleValue(await scrape(s), 'tokentag_batch_requests_count'), 1, 'the three were gathered into one run');
    assertSame((await post(s.url, { inputs: 'Paris' })).body, await direct('Paris'));
  });

  it('--api-key: Bearer token required (the client\'s accessToken), compared whole; page and health stay open', async () => {
    const s = await another({ apiKey: 'hf_s3cret-key' });
    const none = await post(s.url, { inputs: 'Paris' });
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
    assert.match(none.body.error, /API key is required/);
    for (const wrong of ['hf_s3cret-ke', 'hf_s3cret-keyy', 'HF_S3CRET-KEY', '']) {
      assert.equal((await post(s.url, { inputs: 'Paris' }, { Authorization: `Bearer ${wrong}` })).status, 401, wrong);
    }
    assert.equal((await post(s.url, { inputs: 'Paris' }, { Authorization: 'Basic aGY6eA==' })).status, 401);
    assertSame((await post(s.url, { inputs: 'Paris' }, { Authorization: 'Bearer hf_s3cret-key' })).body, await direct('Paris'));
    const client = new InferenceClient('hf_s3cret-key', { endpointUrl: s.url });
    assertSame(await client.tokenClassification({ inputs: 'Ada lived in Paris' }), await direct('Ada lived in Paris'));
    await assert.rejects(new InferenceClient('hf_wrong', { endpointUrl: s.url }).tokenClassification({ inputs: 'x' }), /invalid API key/);
    assert.equal((await fetch(`${s.url}/metrics`)).status, 401);
    assert.equal((await fetch(`${s.url}/metrics`, { headers: { Authorization: 'Bearer hf_s3cret-key' } })).status, 200);
    assert.equal((await fetch(`${s.url}/health`)).status, 200);
    assert.equal((await fetch(s.url)).status, 200);
  });

  it('CORS: no headers by default; --cors ORIGIN allows that origin (preflight included) and no other', async () => {
    const plain = await fetch(server.url, { method: 'POST', headers: { Origin: 'https://app.example', 'Content-Type': 'application/json' }, body: '{"inputs":"Paris"}' });
    assert.equal(plain.headers.get('access-control-allow-origin'), null);
    const s = await another({ cors: ['https://app.example'] });
    const preflight = await fetch(s.url, { method: 'OPTIONS', headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization, content-type' } });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), 'https://app.example');
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /Authorization/);
    const ok = await fetch(s.url, { method: 'POST', headers: { Origin: 'https://app.example', 'Content-Type': 'application/json' }, body: '{"inputs":"Paris"}' });
    assert.equal(ok.headers.get('access-control-allow-origin'), 'https://app.example');
    assert.equal(ok.headers.get('vary'), 'Origin');
    const other = await fetch(s.url, { method: 'POST', headers: { Origin: 'https://evil.example', 'Content-Type': 'application/json' }, body: '{"inputs":"Paris"}' });
    assert.equal(other.headers.get('access-control-allow-origin'), null);
  });
});

/** Polls until `f` holds (no timing assumption; the test runner's timeout is the limit). */
async function until(f: () => Promise<boolean>): Promise<void> {
  while (!(await f())) await new Promise((r) => setTimeout(r, 20));
}
