/**
 * The Cloudflare Worker: the same Hono app as on Node (createApp), with the edge runtime kit
 * (onnxruntime-web WASM and the WASM codecs, precompiled by wrangler) and the Worker's model store
 * (static assets or R2) injected. Everything heavy lives at module scope so an isolate loads the model
 * once and reuses it across requests.
 */
import { type NetlensApp, createApp } from '../../src/app/app.js';
import { appConfigFromSettings } from '../../src/app/config.js';
import { consoleLogger } from '../../src/app/logger.js';
import { problemResponse } from '../../src/app/problem.js';
import { ModelRegistry } from '../../src/app/registry.js';
import { NetlensError, isNetlensError, messageOf } from '../../src/core/errors.js';
import { type Settings, readSettings } from '../../src/settings/index.js';
import type { Logger } from '../../src/app/logger.js';
import type { WorkerEnv } from './bindings.js';
import { debugRoutes } from './debug-routes.js';
import { workerRuntime } from './edge-runtime.js';
import { workerJobsRuntime } from './jobs.js';
import { workerModelSource } from './model-store.js';
import { consumeBatch } from './queue-consumer.js';
import type { QueueBatchLike } from './bindings.js';
import { workerPageAssets } from './page-assets.js';

interface Isolate {
  app: NetlensApp;
  started: Promise<void>;
  settings: Settings;
  logger: Logger;
}

let isolate: Promise<Isolate> | undefined;

async function createIsolate(env: WorkerEnv): Promise<Isolate> {
  const startedAt = Date.now();
  const { settings, warnings } = readSettings(env, { runtime: 'edge', cores: 1 });
  const logger = consoleLogger(settings.logLevel, { runtime: 'workerd' });
  for (const warning of warnings) logger.warn({}, warning);
  const { source, location } = workerModelSource(env, settings);
  const runtime = workerRuntime(source);
  const registry = new ModelRegistry({
    source,
    engine: runtime.engine,
    defaultModel: settings.defaultModel,
    // The registry charges 2 × each file; ORT's WASM memory never shrinks. Half the isolate budget lets
    // the default model and its features variant (/embed) load together: measured 57.6 MiB of ORT memory.
    memoryBudgetBytes: (settings.memoryBudgetMiB * 1024 * 1024) / 2,
    sessionOptions: { providers: ['wasm'], warmUp: settings.warmUp },
    logger,
    buildHint: 'npm run models && npm run build:worker',
    location,
  });
  const app = createApp({
    registry,
    decodeImage: runtime.decodeImage,
    prepareImage: runtime.prepareImage,
    config: await appConfigFromSettings(settings, runtime),
    logger,
    assets: workerPageAssets(env),
    routes: settings.edgeDebug ? [debugRoutes(startedAt, runtime, env)] : [],
    ...withJobs(workerJobsRuntime(env, settings)),
    // Cloudflare's edge sets CF-Connecting-IP to the client's address (a client cannot forge it).
    connectionAddress: (c) => c.req.header('cf-connecting-ip'),
  });
  const started = registry.start().catch((error: unknown) => {
    // A clear start-up error (missing or too-large model); requests get the same error as problem+json.
    logger.error(
      { err: messageOf(error), model: settings.defaultModel, location },
      'the default model could not be loaded',
    );
  });
  return { app, started, settings, logger };
}

const withJobs = <T>(jobs: T | undefined): { jobs?: T } => (jobs === undefined ? {} : { jobs });

/** The isolate, started once; a start-up failure is thrown to the caller. */
async function ready(env: WorkerEnv): Promise<Isolate> {
  isolate ??= createIsolate(env);
  const current = await isolate;
  await current.started;
  return current;
}

export default {
  async fetch(request: Request, env: WorkerEnv, ctx: { waitUntil(promise: Promise<unknown>): void }) {
    isolate ??= createIsolate(env);
    let current: Isolate;
    try {
      current = await isolate;
    } catch (error) {
      // A configuration error (bad NETLENS_* value, missing binding): every request says what it is.
      const problem = isNetlensError(error)
        ? error
        : new NetlensError('internal', `the Worker could not start: ${messageOf(error)}`);
      console.error(JSON.stringify({ level: 50, msg: 'the Worker could not start', err: messageOf(error) }));
      return problemResponse(
        problem.code === 'internal' ? problem : new NetlensError('model_not_ready', problem.message),
      );
    }
    // The first request of an isolate waits for the default model (cold start); later ones find it ready.
    await current.started;
    return withContentLength(await current.app.fetch(request, env, ctx as never));
  },

  /** Job work, R2 object-create events and dead letters (wrangler.jsonc env "jobs"). */
  async queue(batch: QueueBatchLike, env: WorkerEnv) {
    const current = await ready(env);
    const jobs = current.app.control.jobs;
    if (!jobs) {
      current.logger.error(
        { queue: batch.queue },
        'queue messages but webhook jobs are off (NETLENS_WEBHOOK_SECRETS)',
      );
      for (const message of batch.messages) message.retry({ delaySeconds: 60 });
      return;
    }
    await consumeBatch(batch, jobs, current.settings, current.logger);
  },

  /** Cron: re-announces due jobs whose queue message was lost, and purges finished jobs past retention. */
  async scheduled(_event: unknown, env: WorkerEnv) {
    const jobs = (await ready(env)).app.control.jobs;
    if (!jobs) return;
    const now = Date.now();
    for (const id of await jobs.service.store.dueIds(now - 60_000, 500)) await env.JOBS_QUEUE?.send({ id });
    await jobs.service.purge();
  },
};

/** Workers' FixedLengthStream: a pass-through that lets a streamed body go out with its Content-Length. */
declare const FixedLengthStream: new (length: number) => TransformStream<Uint8Array, Uint8Array>;

/**
 * Workers send a streamed body chunked, whatever Content-Length the app set, unless it passes through a
 * FixedLengthStream: then browsers see the length (download progress) and caches can check it.
 */
function withContentLength(response: Response): Response {
  const length = Number(response.headers.get('content-length') ?? NaN);
  if (response.body === null || !Number.isSafeInteger(length) || length <= 0) return response;
  return new Response(response.body.pipeThrough(new FixedLengthStream(length)), response);
}
