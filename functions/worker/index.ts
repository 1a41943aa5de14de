/**
 * The Cloudflare Worker: the same Hono app as on Node (createApp, unchanged), with onnxruntime-web
 * (WASM, precompiled by wrangler) and the jsquash WASM decoders injected. Everything heavy lives at
 * module scope so an isolate loads the model once and reuses it across requests.
 */
import { type NetlensApp, createApp } from '../../src/app/app.js';
import { configFromEnv } from '../../src/app/config.js';
import { consoleLogger } from '../../src/app/logger.js';
import { problemResponse } from '../../src/app/problem.js';
import { ModelRegistry } from '../../src/app/registry.js';
import { NetlensError, isNetlensError, messageOf } from '../../src/core/errors.js';
import type { ImageDecoder } from '../../src/core/image-types.js';
import { EDGE_MEMORY_BUDGET_BYTES } from '../../src/runtime/web/isolate-budget.js';
import type { WorkerEnv } from './bindings.js';
import { debugRoute } from './debug-routes.js';
import { edgeRuntime } from './edge-runtime.js';
import { workerModelSource } from './model-store.js';
import { serveWasmAsset, workerPageAssets } from './page-assets.js';

const DEFAULT_MODEL = 'nsfw-mobilenet-v2';

interface Isolate {
  app: NetlensApp;
  registry: ModelRegistry;
  decodeImage: ImageDecoder;
  started: Promise<void>;
  startedAt: number;
}

let isolate: Promise<Isolate> | undefined;

async function createIsolate(env: WorkerEnv): Promise<Isolate> {
  const logger = consoleLogger('info', { runtime: 'workerd' });
  const names = (env.NETLENS_MODELS ?? DEFAULT_MODEL)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const defaultModel = env.NETLENS_DEFAULT_MODEL ?? names[0] ?? DEFAULT_MODEL;
  const budget =
    env.NETLENS_MEMORY_BUDGET_MIB !== undefined
      ? Number(env.NETLENS_MEMORY_BUDGET_MIB) * 1024 * 1024
      : EDGE_MEMORY_BUDGET_BYTES;
  if (!Number.isFinite(budget) || budget <= 0) {
    throw new NetlensError(
      'invalid_argument',
      `NETLENS_MEMORY_BUDGET_MIB must be a positive number of MiB (at most 128), got '${env.NETLENS_MEMORY_BUDGET_MIB}'`,
    );
  }
  const { engine, decodeImage } = edgeRuntime();
  const { source, location } = workerModelSource(env, names, budget);
  const registry = new ModelRegistry({
    source,
    engine,
    defaultModel,
    // The registry charges 2 × each file; ORT's WASM memory never shrinks. Half the isolate budget lets
    // the default model and its features variant (/embed) load together: measured 57.6 MiB of ORT memory.
    memoryBudgetBytes: budget / 2,
    sessionOptions: { providers: ['wasm'] },
    logger,
    buildHint: 'npm run models && npm run build:worker',
    location,
  });
  const stringEnv: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(env)) {
    if (typeof value === 'string') stringEnv[key] = value;
  }
  const config = await configFromEnv(stringEnv, {
    // One isolate runs one request's inference at a time; batching across requests buys nothing here.
    batching: { maxBatch: 1, maxDelayMs: 0 },
    // Decoding is RGBA in WASM memory plus a JS copy: 6 MP ≈ 48 MB at peak, within the isolate's 128 MB.
    maxPixels: 6_000_000,
    maxBodyBytes: 16 * 1024 * 1024,
    formats: ['jpeg', 'png', 'webp'],
  });
  const app = createApp({ registry, decodeImage, config, logger, assets: workerPageAssets(env) });
  const startedAt = Date.now();
  const started = registry.start().catch((error: unknown) => {
    // A clear start-up error (missing or too-large model); requests get the same error as problem+json.
    logger.error(
      { err: messageOf(error), model: defaultModel, location },
      'the default model could not be loaded',
    );
  });
  return { app, registry, decodeImage, started, startedAt };
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
    if (env.NETLENS_EDGE_DEBUG === '1' && new URL(request.url).pathname.startsWith('/__edge/')) {
      const answer = await debugRoute(request, current.registry, current.decodeImage, current.startedAt);
      if (answer !== undefined) return answer;
    }
    const wasm = await serveWasmAsset(request, env);
    if (wasm !== undefined) return wasm;
    return current.app.fetch(request, env, ctx as never);
  },
};
