/**
 * The server's Prometheus metrics, through prom-client: the de facto Node client, so the text
 * format (HELP/TYPE lines, label escaping, cumulative histogram buckets) is right by
 * construction, and the standard process and Node.js metrics (`process_cpu_seconds_total`,
 * `process_resident_memory_bytes`, `nodejs_eventloop_lag_seconds`, GC, …) that dashboards
 * expect come with it. Its import costs about 0.2 s, paid by `tokentag serve` alone (the
 * server is imported lazily), next to a model load of a second or more.
 */
import client from 'prom-client';
import type { BatchStats } from './batcher.ts';

/** Routes as metric labels: a fixed set, so a scan of random paths cannot grow the series. */
export type RouteLabel = '/' | '/models' | '/health' | '/info' | '/metrics' | 'static' | 'other';

const SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

export class ServerMetrics {
  readonly registry = new client.Registry();
  private readonly requests = new client.Counter({
    name: 'tokentag_requests_total',
    help: 'HTTP requests answered, by route, method and status code.',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });
  private readonly latency = new client.Histogram({
    name: 'tokentag_request_duration_seconds',
    help: 'Time from a request’s arrival to its answer, by route.',
    labelNames: ['route'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  private readonly batchWindows = new client.Histogram({
    name: 'tokentag_batch_windows',
    help: 'Windows (model inputs) per gathered model run.',
    buckets: SIZE_BUCKETS,
    registers: [this.registry],
  });
  private readonly batchRequests = new client.Histogram({
    name: 'tokentag_batch_requests',
    help: 'Requests per gathered model run.',
    buckets: SIZE_BUCKETS,
    registers: [this.registry],
  });
  private readonly batchSeconds = new client.Histogram({
    name: 'tokentag_batch_duration_seconds',
    help: 'Wall time of a gathered model run, post-processing included.',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly tokens = new client.Counter({
    name: 'tokentag_tokens_total',
    help: 'Tokens run through the model (special tokens included, padding not).',
    registers: [this.registry],
  });
  private readonly ready = new client.Gauge({
    name: 'tokentag_model_ready',
    help: '1 once the model is loaded and the server answers predictions, else 0.',
    registers: [this.registry],
  });

  constructor(queueDepth: () => number, model: string) {
    new client.Gauge({
      name: 'tokentag_queue_depth',
      help: 'Requests waiting for the model (being tokenized or queued).',
      registers: [this.registry],
      collect() {
        this.set(queueDepth());
      },
    });
    new client.Gauge({ name: 'tokentag_model_info', help: 'The served model, as a label.', labelNames: ['model'] as const, registers: [this.registry] }).set({ model }, 1);
    this.ready.set(0);
    client.collectDefaultMetrics({ register: this.registry });
  }

  setReady(ready: boolean): void {
    this.ready.set(ready ? 1 : 0);
  }

  request(route: RouteLabel, method: string, status: number, seconds: number): void {
    this.requests.inc({ route, method, status: String(status) });
    this.latency.observe({ route }, seconds);
  }

  batch(s: BatchStats): void {
    this.batchWindows.observe(s.windows);
    this.batchRequests.observe(s.requests);
    this.batchSeconds.observe(s.seconds);
    this.tokens.inc(s.tokens);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
