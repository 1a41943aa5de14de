/**
 * The HTTP app, runtime-free: createApp composes middleware and route groups (routes/*) around the
 * services it builds once (AppDeps). Entry points inject the registry (engine + model source) and the
 * image decoder (or a whole decode + preprocess step), and may add their own route groups, which then get the same middleware and errors.
 */
import { cors } from 'hono/cors';
import type { ImageDecoder } from '../core/image-types.js';
import { NetlensError } from '../core/errors.js';
import { type PrepareImage, prepareInThread } from '../core/prepare.js';
import { type ReadJsonImages, readJsonImages } from './body.js';
import { createAppMetrics } from './app-metrics.js';
import { type AppConfig, type AppConfigInput, parseAppConfig } from './config.js';
import {
  type AppDeps,
  type AppJobs,
  type ConnectionAddress,
  type PageAssets,
  type Router,
  createRouter,
} from './env.js';
import { notFound, onError } from './errors.js';
import { Gate } from './gate.js';
import { InferenceService } from './inference.js';
import { type JobsRuntime, createAppJobs } from './jobs.js';
import { Lifecycle } from './lifecycle.js';
import { type Logger, consoleLogger } from './logger.js';
import type { MetricsRegistry } from './metrics.js';
import { bodyLimit, bufferedBody, v1Guard } from './middleware/guard.js';
import { requestContext } from './middleware/request-context.js';
import type { ModelRegistry } from './registry.js';
import { inferenceRoutes } from './routes/inference.js';
import { jobRoutes } from './routes/jobs.js';
import { modelRoutes } from './routes/models.js';
import { opsRoutes } from './routes/ops.js';
import { pageRoutes } from './routes/page.js';

export interface CreateAppOptions {
  registry: ModelRegistry;
  decodeImage: ImageDecoder;
  /**
   * Decode + preprocess as the runtime kit runs it (the Node kit: in a pool of worker threads). Default:
   * `decodeImage` and core preprocessing on the HTTP thread.
   */
  prepareImage?: PrepareImage;
  /** JSON bodies → images as the runtime kit runs it (Node: the prepare pool). Default: this thread. */
  readJsonImages?: ReadJsonImages;
  config?: AppConfigInput;
  logger?: Logger;
  /** The demo page; without it GET / answers a short HTML note. */
  assets?: PageAssets;
  /** Shown in /openapi.json. */
  version?: string;
  /** Route groups a runtime adds (mounted before the page, after the API). */
  routes?: readonly ((deps: AppDeps) => Router)[];
  /** Webhook jobs: the runtime's store, queue and HTTP; on when config.jobs.webhookSecrets is set. */
  jobs?: JobsRuntime;
  /** The address a request came from (per-client limits); default: unknown (one shared bucket). */
  connectionAddress?: ConnectionAddress;
}

/** What an entry point needs besides `fetch`: readiness, draining and shutdown. */
export interface AppControl {
  readonly config: AppConfig;
  readonly metrics: MetricsRegistry;
  /** Requests being answered now. */
  readonly inFlight: number;
  /**
   * Stop taking /v1 work (503) and report not ready; resolves once in-flight requests and their work have
   * ended, or after `timeoutMs`: then the requests still running answer the shutdown 503 (Retry-After)
   * and get `graceMs` to do so (Lifecycle.drain).
   */
  drain(timeoutMs?: number, graceMs?: number): Promise<{ drained: boolean; inFlight: number }>;
  /** Rejects queued work and disposes models (after drain). */
  close(): Promise<void>;
  /** The job service and runner, for the runtime's worker loop (undefined when jobs are off). */
  readonly jobs: AppJobs | undefined;
}

export type NetlensApp = Router & { readonly control: AppControl };

export function createApp(options: CreateAppOptions): NetlensApp {
  const deps = createDeps(options);
  const { config } = deps;
  const app = createRouter();

  app.use('*', requestContext(deps));
  if (config.cors.origins.length > 0) {
    app.use(
      '*',
      cors({
        origin: config.cors.origins.includes('*') ? '*' : config.cors.origins,
        allowMethods: ['GET', 'POST', 'OPTIONS'],
        allowHeaders: ['Content-Type', 'Authorization', 'X-API-Key', 'X-Request-Id'],
        exposeHeaders: ['X-Request-Id', 'Retry-After'],
        maxAge: config.cors.maxAgeSeconds,
      }),
    );
  }
  app.use('/v1/*', v1Guard(deps));
  app.use('/v1/models/:model/*', bodyLimit(config.maxBodyBytes));
  app.use('/v1/hooks/*', bodyLimit(config.maxBodyBytes), bufferedBody(deps));

  app.route('/', modelRoutes(deps));
  app.route('/', inferenceRoutes(deps));
  app.route('/', jobRoutes(deps));
  app.route('/', opsRoutes(deps));
  for (const group of options.routes ?? []) app.route('/', group(deps));
  app.route('/', pageRoutes(deps));
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'netlens',
      version: deps.version,
      description: 'Image classification with converted Keras models. Errors are RFC 9457 problem documents.',
    },
  });

  app.notFound(notFound);
  app.onError(onError);
  return Object.assign(app, { control: createControl(deps) });
}

/** The services every route group shares, built once per app. */
function createDeps(options: CreateAppOptions): AppDeps {
  const config = parseAppConfig(options.config);
  const metrics = createAppMetrics(config.clock);
  const lifecycle = new Lifecycle();
  const decoding = new Gate(config.maxDecoding, config.decodeBudgetBytes);
  const { registry } = options;
  const inference = new InferenceService(registry, config.batching, {
    onBatch: (model, variant, info) => metrics.observeBatch(model, variant, info),
  });
  metrics.watch({
    queues: () => inference.queues(),
    decoding: () => ({ active: decoding.inUse, waiting: decoding.queued }),
    inFlight: () => lifecycle.inFlight,
    loadedModels: () => registry.loaded(),
    memory: () => ({ loadedBytes: registry.loadedBytes, budgetBytes: registry.memoryBudgetBytes }),
    ready: () => !lifecycle.draining && registry.isReady(),
  });
  const logger = options.logger ?? consoleLogger();
  const prepareImage = options.prepareImage ?? prepareInThread(options.decodeImage);
  const readJson = options.readJsonImages ?? readJsonImages;
  const base = {
    config,
    registry,
    prepareImage,
    readJsonImages: readJson,
    logger,
    metrics,
    inference,
    decoding,
  };
  const jobs =
    options.jobs && config.jobs.webhookSecrets.length > 0 ? createAppJobs(base, options.jobs) : undefined;
  return {
    ...base,
    lifecycle,
    assets: options.assets,
    jobs,
    version: options.version ?? '0.1.0',
    connectionAddress: options.connectionAddress ?? (() => undefined),
  };
}

function createControl(deps: AppDeps): AppControl {
  return {
    config: deps.config,
    metrics: deps.metrics.registry,
    get inFlight() {
      return deps.lifecycle.inFlight;
    },
    jobs: deps.jobs,
    drain: (timeoutMs = 30_000, graceMs?: number) => deps.lifecycle.drain(timeoutMs, graceMs),
    async close() {
      deps.lifecycle.stop();
      deps.inference.close(new NetlensError('model_not_ready', 'the server is shutting down'));
      await deps.registry.close();
    },
  };
}
