/**
 * `tokentag serve`: the HTTP server (src/server). The server and its dependencies are imported
 * only when this command runs, so that every other command starts as fast as before.
 */
import { UsageError } from '../../errors.ts';
import type { CliIO, Command } from '../command.ts';
import { aggregationFlag, num, parseFlags } from '../flags.ts';
import { cliHubOptions } from '../hub.ts';
import { threadBounds } from '../values.ts';

const help = `Usage: tokentag serve --model DIR|ID [--port 8080] [--host 127.0.0.1] [options]

Serves a token classifier (a model directory, or a Hugging Face Hub id such as
dslim/bert-base-NER, fetched into the Hub cache) over HTTP, speaking the Hugging Face Inference API for
token classification, so that its clients (@huggingface/inference, huggingface_hub's
InferenceClient, curl) work unchanged. Concurrent requests are gathered into one model run
(dynamic batching). Texts longer than the model's maximum length are read in overlapping
windows, never truncated.

Endpoints:
  POST /, POST /models/NAME   {"inputs": "text" | ["text", ...], "parameters": {"aggregation_strategy",
                              "ignore_labels", "stride", "is_split_into_words"}} → entities, as the
                              Inference API answers (one list per text for an array of texts)
  GET /                       the entity viewer: a page to try texts in the browser
  GET /health                 200 once the model is loaded, 503 before and while stopping
  GET /info                   the model's name, labels and maximum length
  GET /metrics                Prometheus metrics

Options:
  --model DIR|ID         the model directory (config.json with id2label, weights or
                         onnx/model.onnx, and a tokenizer) or a Hub id (as for predict)
  --name NAME            the name POST /models/NAME answers to (default: the directory's
                         name, or the Hub id)
  --host HOST            address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)
  --port N               default 8080; 0 picks a free port (the log says which)
  --aggregation S        strategy for requests that name none: simple (default, as the
                         Inference API), first, average, max or none
  --max-batch N          at most N windows per model run (default 32); 1 turns batching off
  --max-wait-ms N        how long a request may wait for others to join its run while the
                         model is idle (default 0: requests gather while it is busy)
  --max-queue N          requests waiting for the model before new ones get 503 with
                         Retry-After (default 256)
  --timeout-ms N         answer 504 if a request is not answered within N ms (default 30000)
  --max-body-bytes N     answer 413 to larger request bodies (default 1048576)
  --api-key KEY          require "Authorization: Bearer KEY" (all but GET /, /health);
                         the TOKENTAG_API_KEY environment variable does the same, out of ps's sight
  --cors ORIGIN          let web pages from ORIGIN call the API (repeat for more, * for any);
                         default: no CORS headers
  --sessions N           ONNX Runtime sessions side by side (default 2 on two cores or more)
  --threads N            ONNX Runtime intra-op threads per session
  -h, --help             show this help

Logs are JSON, one object per line on standard error (one per request). SIGTERM or SIGINT
stops the server gracefully: new requests are refused, those in flight are answered, and it
exits with 0.

Examples:
  tokentag serve --model runs/ner-bert --port 8080
  curl -s localhost:8080 -H 'Content-Type: application/json' -d '{"inputs": "Ada Lovelace lived in London."}'
`;

async function run(argv: string[], io: CliIO): Promise<number> {
  const v = parseFlags(argv, {
    model: { type: 'string' },
    name: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '8080' },
    aggregation: { type: 'string', default: 'simple' },
    'max-batch': { type: 'string' },
    'max-wait-ms': { type: 'string' },
    'max-queue': { type: 'string' },
    'timeout-ms': { type: 'string' },
    'max-body-bytes': { type: 'string' },
    'api-key': { type: 'string' },
    cors: { type: 'string', multiple: true },
    sessions: { type: 'string' },
    threads: { type: 'string' },
  });
  if (v.model === undefined) throw new UsageError('--model DIR|ID is required');
  const strategy = aggregationFlag(v.aggregation);
  const port = num('--port', v.port, 'int')!;
  if (port < 0 || port > 65535) throw new UsageError(`--port must be from 0 to 65535, got '${v.port}'`);
  const maxWaitMs = num('--max-wait-ms', v['max-wait-ms'], 'float');
  if (maxWaitMs !== undefined && maxWaitMs < 0) throw new UsageError(`--max-wait-ms must be ≥ 0, got '${v['max-wait-ms']}'`);
  const apiKey = v['api-key'] ?? (process.env.TOKENTAG_API_KEY || undefined);
  if (apiKey !== undefined && apiKey.trim() === '') throw new UsageError('--api-key must not be empty');
  const cors = v.cors?.flatMap((c) => c.split(',')).map((c) => c.trim()).filter((c) => c !== '');
  for (const c of cors ?? []) {
    if (c !== '*' && !/^https?:\/\/[^/\s]+$/.test(c)) throw new UsageError(`--cors expects an origin such as https://example.com (scheme and host, no path) or *, got '${c}'`);
  }

  const { serve } = await import('../../server/index.ts');
  const server = await serve({
    model: v.model,
    hub: cliHubOptions(io),
    ...(v.name !== undefined ? { name: v.name } : {}),
    host: v.host,
    port,
    aggregationStrategy: strategy,
    maxBatch: num('--max-batch', v['max-batch'], 'posint'),
    maxWaitMs,
    maxQueue: num('--max-queue', v['max-queue'], 'posint'),
    timeoutMs: num('--timeout-ms', v['timeout-ms'], 'posint'),
    maxBodyBytes: num('--max-body-bytes', v['max-body-bytes'], 'posint'),
    apiKey,
    cors,
    sessions: num('--sessions', v.sessions, 'posint'),
    intraOpNumThreads: num('--threads', v.threads, 'posint', threadBounds()),
  });
  // First signal: stop gracefully. A second one: stop now.
  let stopping: Promise<void> | undefined;
  let onSignal: (signal: NodeJS.Signals) => void = () => {};
  const stopped = new Promise<void>((resolve, reject) => {
    onSignal = (signal) => {
      if (stopping) {
        io.err(`tokentag serve: ${signal} again, stopping at once\n`);
        process.exit(1);
      }
      stopping = server.close().then(resolve, reject);
    };
  });
  process.on('SIGTERM', onSignal).on('SIGINT', onSignal);
  try {
    try {
      await server.ready;
    } catch (e) {
      await server.close();
      throw e;
    }
    await stopped;
  } finally {
    process.off('SIGTERM', onSignal).off('SIGINT', onSignal);
  }
  return 0;
}

export const serveCommand: Command = { help, run };
