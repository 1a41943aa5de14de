import type { Variant } from '../core/model-source.js';
import type { JobObserver } from '../jobs/runner.js';
import { JOB_STATES, type JobStats } from '../jobs/types.js';
import {
  BATCH_BUCKETS,
  Counter,
  Gauge,
  Histogram,
  LATENCY_BUCKETS,
  MetricsRegistry,
  RateWindow,
} from './metrics.js';

/** What the gauges read at scrape time. */
export interface MetricSources {
  queues(): { model: string; variant: Variant; depth: number }[];
  decoding(): { active: number; waiting: number };
  inFlight(): number;
  loadedModels(): { name: string; variant: Variant; provider: string }[];
  memory(): { loadedBytes: number; budgetBytes: number };
  ready(): boolean;
}

/** The app's Prometheus metrics (GET /metrics) and the two events that feed them. */
export interface AppMetrics {
  readonly registry: MetricsRegistry;
  /** One answered HTTP request; `route` is the matched route pattern, or 'other'. */
  observeRequest(route: string, method: string, status: number, seconds: number): void;
  /** One image decoded, by its format and the decoder that produced its pixels (DecodedImage.decoder). */
  observeDecode(format: string, decoder: string): void;
  /** One engine call of a model's batcher. */
  observeBatch(model: string, variant: Variant, info: { size: number; runMs: number; failed: boolean }): void;
  /** Registers the gauges (once the services they read exist). */
  watch(sources: MetricSources): void;
  /** Job events: phase latencies, retries, finished states. */
  readonly jobs: JobObserver;
  /** Registers the job gauges, read from the store before each scrape (refresh). */
  watchJobs(stats: () => Promise<JobStats>): void;
  /** Reads what the gauges need from slow sources (the job store); GET /metrics awaits it. */
  refresh(): Promise<void>;
}

/**
 * The two latency histograms, or none with `clock` 'io' (a runtime whose clock stands still during CPU
 * work, such as Cloudflare Workers: they would read ~0 there); netlens_clock_measures_cpu says which.
 */
function latencyHistograms(registry: MetricsRegistry, clock: 'wall' | 'io') {
  const timed = clock === 'wall';
  registry.add(
    new Gauge(
      'netlens_clock_measures_cpu',
      '1 when durations include CPU work; 0 where the clock stands still during CPU work (Cloudflare Workers): there the latency histograms are left out and answers report those timings as null.',
      () => [{ labels: {}, value: timed ? 1 : 0 }],
    ),
  );
  if (!timed) return { latency: undefined, inferenceSeconds: undefined };
  const histogram = (name: string, help: string) => registry.add(new Histogram(name, help, LATENCY_BUCKETS));
  return {
    latency: histogram('netlens_http_request_duration_seconds', 'HTTP request latency by route.'),
    inferenceSeconds: histogram('netlens_inference_duration_seconds', 'Engine call duration per batch.'),
  };
}

export function createAppMetrics(clock: 'wall' | 'io' = 'wall'): AppMetrics {
  const registry = new MetricsRegistry();
  const requests = registry.add(
    new Counter('netlens_http_requests_total', 'HTTP requests by route, method and status.'),
  );
  const batchSizes = registry.add(
    new Histogram('netlens_batch_size', 'Images per engine call.', BATCH_BUCKETS),
  );
  const { latency, inferenceSeconds } = latencyHistograms(registry, clock);
  const imagesTotal = registry.add(new Counter('netlens_images_total', 'Images classified or embedded.'));
  const decoded = registry.add(
    new Counter(
      'netlens_decoded_images_total',
      'Images decoded successfully, by format and by the decoder that produced the pixels (png-fast: the Node fast path).',
    ),
  );
  const rates = new Map<string, RateWindow>();
  const refreshers: (() => Promise<void>)[] = [];

  return {
    registry,
    jobs: jobObserver(registry),
    watchJobs(stats) {
      let latest: { stats: JobStats; at: number } | undefined;
      refreshers.push(async () => {
        latest = { stats: await stats(), at: Date.now() };
      });
      registerJobGauges(registry, () => latest);
    },
    async refresh() {
      await Promise.all(refreshers.map((r) => r()));
    },
    observeRequest(route, method, status, seconds) {
      requests.inc({ route, method, status: String(status) });
      latency?.observe({ route }, seconds);
    },
    observeDecode(format, decoder) {
      decoded.inc({ format, decoder });
    },
    observeBatch(model, variant, info) {
      batchSizes.observe({ model, variant }, info.size);
      inferenceSeconds?.observe({ model, variant }, info.runMs / 1000);
      if (info.failed) return;
      imagesTotal.inc({ model, variant }, info.size);
      let rate = rates.get(model);
      if (!rate) rates.set(model, (rate = new RateWindow()));
      rate.add(info.size);
    },
    watch: (sources) => registerAppGauges(registry, sources, rates),
  };
}

function jobObserver(registry: MetricsRegistry): JobObserver {
  const phases = registry.add(
    new Histogram(
      'netlens_job_phase_duration_seconds',
      'Webhook jobs: image fetch, classification and callback delivery latency.',
      LATENCY_BUCKETS,
    ),
  );
  const retries = registry.add(
    new Counter(
      'netlens_job_retries_total',
      'Webhook job tries scheduled again, by phase (process, deliver).',
    ),
  );
  const finished = registry.add(
    new Counter(
      'netlens_jobs_finished_total',
      'Webhook jobs reaching a state: succeeded, failed, delivered, delivery_failed.',
    ),
  );
  return {
    phase: (phase, seconds, ok) => phases.observe({ phase, outcome: ok ? 'ok' : 'error' }, seconds),
    retry: (phase) => retries.inc({ phase }),
    finished: (state) => finished.inc({ state }),
  };
}

function registerJobGauges(
  registry: MetricsRegistry,
  latest: () => { stats: JobStats; at: number } | undefined,
): void {
  registry.add(
    new Gauge('netlens_jobs', 'Webhook jobs in the store by state.', () => {
      const snapshot = latest();
      return snapshot
        ? JOB_STATES.map((state) => ({ labels: { state }, value: snapshot.stats.byState[state] }))
        : [];
    }),
  );
  registry.add(
    new Gauge('netlens_job_queue_depth', 'Webhook jobs due now and waiting for a worker.', () => {
      const snapshot = latest();
      return snapshot ? [{ labels: {}, value: snapshot.stats.waiting }] : [];
    }),
  );
  registry.add(
    new Gauge(
      'netlens_job_oldest_queued_age_seconds',
      'Age of the oldest queued webhook job (0 when none).',
      () => {
        const snapshot = latest();
        if (!snapshot) return [];
        const oldest = snapshot.stats.oldestQueuedAt;
        return [{ labels: {}, value: oldest === null ? 0 : Math.max(0, (snapshot.at - oldest) / 1000) }];
      },
    ),
  );
}

/** The gauges of the app's state, read at scrape time. */
function registerAppGauges(
  registry: MetricsRegistry,
  sources: MetricSources,
  rates: Map<string, RateWindow>,
): void {
  registry.add(
    new Gauge('netlens_queue_depth', 'Images waiting for a batch, per model.', () =>
      sources.queues().map((q) => ({ labels: { model: q.model, variant: q.variant }, value: q.depth })),
    ),
  );
  registry.add(
    new Gauge('netlens_images_per_second', 'Images per second over the last 10 s, per model.', () =>
      [...rates].map(([model, rate]) => ({ labels: { model }, value: rate.perSecond() })),
    ),
  );
  registry.add(
    new Gauge('netlens_decoding', 'Images being decoded and preprocessed (active) or waiting to be.', () => {
      const { active, waiting } = sources.decoding();
      return [
        { labels: { state: 'active' }, value: active },
        { labels: { state: 'waiting' }, value: waiting },
      ];
    }),
  );
  registry.add(
    new Gauge('netlens_requests_in_flight', 'HTTP requests being answered.', () => [
      { labels: {}, value: sources.inFlight() },
    ]),
  );
  registry.add(
    new Gauge('netlens_model_loaded', 'Loaded models (1) with the execution provider that runs them.', () =>
      sources.loadedModels().map((m) => ({
        labels: { model: m.name, variant: m.variant, provider: m.provider },
        value: 1,
      })),
    ),
  );
  registry.add(
    new Gauge('netlens_model_memory_bytes', 'Estimated bytes of loaded models and the budget.', () => {
      const { loadedBytes, budgetBytes } = sources.memory();
      return [
        { labels: { kind: 'loaded' }, value: loadedBytes },
        { labels: { kind: 'budget' }, value: budgetBytes },
      ];
    }),
  );
  registry.add(
    new Gauge('netlens_ready', '1 when the default model is loaded and warmed.', () => [
      { labels: {}, value: sources.ready() ? 1 : 0 },
    ]),
  );
}
