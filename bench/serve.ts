/**
 * `tokentag serve` under load, with dynamic batching and without, in the same run.
 *
 *   npx tsx bench/serve.ts [--requests 1000] [--time-limit 30] [--clients 1,8,64] [--rounds 2]
 *                          [--hidden 256 --layers 4] [--max-wait-ms 0] [--sessions N (both servers; default: the server's)]
 *
 * Two servers are started as child processes (`bin/tokentag.js serve`, i.e. the build in dist/:
 * run `npm run build` after changing the sources; default options, logs to a file): one with dynamic batching (`--max-batch 32`), one without (`--max-batch 1`:
 * each request runs alone, two at a time on the two ONNX Runtime sessions). This process is the
 * load: for each number of concurrent clients, each client sends one-sentence requests
 * (`{"inputs": "…"}`, strategy simple) over a keep-alive connection, the next as soon as its
 * answer is in, until the fixed number of requests is done or the time limit is reached. The
 * runs of the two servers are interleaved (A B B A …) so that the shared machine's drift hits
 * both alike. Prints requests/s and p50 / p99 latency per server and client count, and the
 * ratio; every answer is checked against the other server's answer to the same sentence
 * (labels, offsets and words equal, scores within 1e-5). Exits 1 if any request failed or any
 * answer differed. Model: a BERT initialised by tokentag (seed 42; 4 layers × 256 by default,
 * the bert-mini shape), a WordPiece vocabulary trained on the synthetic corpus, 9 CoNLL labels;
 * input: the synthetic corpus's test sentences as raw text.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CONLL2003_NER, syntheticNer } from '../src/data/index.ts';
import { architectureFor, createConfig, saveTokenClassifier } from '../src/models/index.ts';
import { exportOnnx } from '../src/models/export.ts';
import { saveTokenizerFiles, trainWordPiece } from '../src/tokenize/index.ts';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '1000' },
    'time-limit': { type: 'string', default: '30' },
    clients: { type: 'string', default: '1,8,64' },
    rounds: { type: 'string', default: '2' },
    hidden: { type: 'string', default: '256' },
    layers: { type: 'string', default: '4' },
    'max-wait-ms': { type: 'string', default: '0' },
    sessions: { type: 'string' },
  },
});
const REQUESTS = Number(values.requests);
const LIMIT_S = Number(values['time-limit']);
const CLIENTS = values.clients.split(',').map(Number);
const ROUNDS = Number(values.rounds);
const HIDDEN = Number(values.hidden);
const LAYERS = Number(values.layers);

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tokentag-bench-serve-'));
const dir = path.join(root, `bert-${LAYERS}x${HIDDEN}`);
const data = syntheticNer({ train: 3000, validation: 1, test: 2000 });
const tok = await trainWordPiece(data.get('train').column('tokens'), { vocabSize: 8000, lowercase: false, modelMaxLength: 512 });
const config = createConfig('bert', { vocab_size: tok.vocabSize, hidden_size: HIDDEN, num_hidden_layers: LAYERS, num_attention_heads: Math.max(2, HIDDEN / 64), intermediate_size: 4 * HIDDEN, max_position_embeddings: 512, id2label: [...CONLL2003_NER] });
saveTokenClassifier(dir, config, architectureFor(config).init(config, 42));
saveTokenizerFiles(tok, dir);
exportOnnx(dir);
const texts = data.get('test').column('tokens').map((t) => (t as string[]).join(' '));

interface Server {
  readonly name: string;
  readonly url: URL;
  readonly child: ChildProcess;
}

async function startServer(name: string, args: string[]): Promise<Server> {
  const bin = path.join(import.meta.dirname, '..', 'bin', 'tokentag.js');
  // Its log goes to a file, not a pipe, so that reading it costs this process nothing.
  const logFile = path.join(root, `${name.replace(/\W/g, '-')}.log`);
  const child = spawn(process.execPath, [bin, 'serve', '--model', dir, '--port', '0', '--max-queue', '100000', ...args], { stdio: ['ignore', 'ignore', fs.openSync(logFile, 'w')] });
  let exited = false;
  child.on('exit', () => (exited = true));
  for (;;) {
    const log = fs.readFileSync(logFile, 'utf8');
    const url = /"msg":"listening","url":"([^"]+)"/.exec(log)?.[1];
    if (url && log.includes('"msg":"ready"')) return { name, url: new URL(url), child };
    if (exited) throw new Error(`${name} server exited:\n${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Run {
  done: number;
  failed: number;
  seconds: number;
  /** The server process's CPU seconds over the run (all its threads; from its own /metrics). */
  cpu: number;
  latencies: number[];
  answers: Map<number, string>;
}

/** `clients` keep-alive connections, each sending the next sentence as soon as its answer is in. */
async function load(server: Server, clients: number, requests: number, offset: number): Promise<Run> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const run: Run = { done: 0, failed: 0, seconds: 0, cpu: 0, latencies: [], answers: new Map() };
  const cpu0 = await cpuSeconds(server);
  let next = 0;
  const t0 = performance.now();
  const deadline = t0 + LIMIT_S * 1000;
  const one = (i: number) =>
    new Promise<void>((resolve) => {
      const body = JSON.stringify({ inputs: texts[i % texts.length] });
      const start = performance.now();
      const req = http.request(server.url, { method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c)).on('end', () => {
          run.latencies.push(performance.now() - start);
          if (res.statusCode === 200) {
            run.done++;
            run.answers.set(i % texts.length, text);
          } else {
            run.failed++;
            if (run.failed <= 3) console.error(`${server.name}: HTTP ${res.statusCode} ${text.slice(0, 200)}`);
          }
          resolve();
        });
      });
      req.on('error', (e) => {
        run.failed++;
        if (run.failed <= 3) console.error(`${server.name}: ${e.message}`);
        resolve();
      });
      req.end(body);
    });
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < requests && performance.now() < deadline) await one(offset + next++);
    }),
  );
  run.seconds = (performance.now() - t0) / 1000;
  agent.destroy();
  run.cpu = (await cpuSeconds(server)) - cpu0;
  return run;
}

/** `process_cpu_seconds_total` from the server's /metrics. */
async function cpuSeconds(server: Server): Promise<number> {
  const text = await (await fetch(new URL('/metrics', server.url))).text();
  return Number(/^process_cpu_seconds_total (\S+)$/m.exec(text)![1]);
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

/** Labels, offsets and words equal; scores within 1e-5 (runs of other shapes may differ in the last bits). */
function sameAnswer(a: string, b: string): boolean {
  const x = JSON.parse(a) as { entity_group: string; score: number; word: string; start: number; end: number }[];
  const y = JSON.parse(b) as typeof x;
  return x.length === y.length && x.every((e, i) => e.entity_group === y[i]!.entity_group && e.word === y[i]!.word && e.start === y[i]!.start && e.end === y[i]!.end && Math.abs(e.score - y[i]!.score) <= 1e-5);
}

console.log(`model: bert ${LAYERS}×${HIDDEN} (vocab ${tok.vocabSize}, 9 labels); ${texts.length} distinct one-sentence requests (mean ${(texts.reduce((a, t) => a + t.length, 0) / texts.length).toFixed(0)} characters); ${os.availableParallelism()} CPUs (${os.cpus()[0]?.model.trim()}), Node ${process.version}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log(`per run: ${REQUESTS} requests or ${LIMIT_S} s, whichever comes first; ${ROUNDS} rounds, servers interleaved; servers: ${values.sessions ?? 'default'} sessions, --max-wait-ms ${values['max-wait-ms']}`);
const sessions = values.sessions !== undefined ? ['--sessions', values.sessions] : [];
const servers = await Promise.all([
  startServer('batching', ['--max-batch', '32', '--max-wait-ms', values['max-wait-ms'], ...sessions]),
  startServer('no batching', ['--max-batch', '1', ...sessions]),
]);
let failed = 0;
let mismatched = 0;
const reference = new Map<number, string>();
const summary: Record<string, Record<number, { rps: number; p50: number; p99: number; cpuMs: number }>> = {};
try {
  for (const s of servers) await load(s, 8, 200, 0); // warm-up: JIT, first runs of each shape
  for (const clients of CLIENTS) {
    const runs = new Map<Server, Run[]>(servers.map((s) => [s, []]));
    for (let r = 0; r < ROUNDS; r++) {
      for (const s of r % 2 === 0 ? servers : [...servers].reverse()) {
        const run = await load(s, clients, REQUESTS, r * REQUESTS);
        runs.get(s)!.push(run);
        failed += run.failed;
        for (const [i, answer] of run.answers) {
          const ref = reference.get(i);
          if (ref === undefined) reference.set(i, answer);
          else if (!sameAnswer(ref, answer)) {
            if (mismatched++ < 3) console.error(`answers differ for sentence ${i}:\n  ${ref}\n  ${answer}`);
          }
        }
      }
    }
    for (const s of servers) {
      const rs = runs.get(s)!;
      const done = rs.reduce((a, r) => a + r.done, 0);
      const seconds = rs.reduce((a, r) => a + r.seconds, 0);
      const lat = rs.flatMap((r) => r.latencies).sort((a, b) => a - b);
      const cpu = rs.reduce((a, r) => a + r.cpu, 0);
      const row = { rps: done / seconds, p50: quantile(lat, 0.5), p99: quantile(lat, 0.99), cpuMs: (cpu * 1000) / done };
      (summary[s.name] ??= {})[clients] = row;
      console.log(
        `${String(clients).padStart(3)} clients  ${s.name.padEnd(12)} ${row.rps.toFixed(0).padStart(6)} requests/s   p50 ${row.p50.toFixed(2).padStart(7)} ms   p99 ${row.p99.toFixed(2).padStart(7)} ms   server CPU ${row.cpuMs.toFixed(2)} ms/request   (${done} requests in ${seconds.toFixed(1)} s; per round ${rs.map((r) => (r.done / r.seconds).toFixed(0)).join(', ')} requests/s)`,
      );
    }
    const b = summary.batching![clients]!;
    const n = summary['no batching']![clients]!;
    console.log(`${String(clients).padStart(3)} clients  batching / no batching: ${(b.rps / n.rps).toFixed(2)}× throughput, ${(n.cpuMs / b.cpuMs).toFixed(2)}× less server CPU per request; batching p99 / p50 = ${(b.p99 / b.p50).toFixed(2)}`);
  }
} finally {
  for (const s of servers) s.child.kill('SIGTERM');
  await Promise.all(servers.map((s) => new Promise((r) => (s.child.exitCode !== null ? r(null) : s.child.on('exit', r)))));
  fs.rmSync(root, { recursive: true, force: true });
}
const top = Math.max(...CLIENTS);
const b = summary.batching![top]!;
const n = summary['no batching']![top]!;
console.log(`targets at ${top} clients: throughput with batching ≥ 2× without: ${(b.rps / n.rps).toFixed(2)}× ${b.rps >= 2 * n.rps ? 'met' : 'NOT met'}; p99 < 5× p50: ${(b.p99 / b.p50).toFixed(2)}× ${b.p99 < 5 * b.p50 ? 'met' : 'NOT met'}`);
console.log(`${failed} requests failed; ${mismatched} answers differed between the two servers (${reference.size} sentences compared)`);
if (failed > 0 || mismatched > 0) process.exit(1);
