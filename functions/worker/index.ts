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
import { readSettings } from '../../src/settings/index.js';
import type { WorkerEnv } from './bindings.js';
import { debugRoutes } from './debug-routes.js';
import { workerRuntime } from './edge-runtime.js';
import { workerModelSource } from './model-store.js';
import { workerPageAssets } from './page-assets.js';

interface Isolate {
  app: NetlensApp;
  started: Promise<void>;
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
    routes: settings.edgeDebug ? [debugRoutes(startedAt, runtime)] : [],
  });
  const started = registry.start().catch((error: unknown) => {
    // A clear start-up error (missing or too-large model); requests get the same error as problem+json.
    logger.error(
      { err: messageOf(error), model: settings.defaultModel, location },
      'the default model could not be loaded',
    );
  });
  return { app, started };
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
