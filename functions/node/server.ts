/**
 * The Node entry: the runtime-free app (src/app) with onnxruntime-node, sharp and a models directory
 * injected, served by @hono/node-server, with a graceful shutdown that drains in-flight requests.
 */
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { createAdaptorServer } from '@hono/node-server';
import { pino } from 'pino';
import { type NetlensApp, createApp } from '../../src/app/app.js';
import { type AppConfigInput, configFromEnv } from '../../src/app/config.js';
import type { Logger } from '../../src/app/logger.js';
import { ModelRegistry } from '../../src/app/registry.js';
import { NetlensError } from '../../src/core/errors.js';
import { SHARP_FORMATS, createSharpImageDecoder } from '../../src/runtime/node/decode-image.js';
import { createNodeEngine } from '../../src/runtime/node/engine.js';
import { parseProviderList } from '../../src/runtime/node/providers.js';
import type { Engine } from '../../src/core/engine.js';
import {
  createModelDirectorySource,
  defaultModelName,
  defaultModelsDir,
} from '../../src/runtime/node/model-dir.js';
import { ensurePage, pageAssets } from './page.js';
import { createWorkerEngine } from './worker-engine.js';

export const DEFAULT_PORT = 8080;
export const DEFAULT_HOST = '127.0.0.1';

export interface ServeOptions {
  /** Default: PORT or 8080; 0 picks a free port. */
  port?: number;
  /** Default: HOST or 127.0.0.1 (loopback). */
  host?: string;
  /** Default: NETLENS_MODELS_DIR or models/onnx. */
  modelsDir?: string;
  /** Default: NETLENS_MODEL or nsfw-mobilenet-v2. */
  defaultModel?: string;
  /** App configuration (NETLENS_* variables override it, see src/app/config.ts). */
  config?: AppConfigInput;
  /** Estimated bytes of loaded models to stay under. Default: NETLENS_MEMORY_BUDGET_MB or 2 GiB. */
  memoryBudgetBytes?: number;
  /** How long shutdown waits for in-flight requests. Default: NETLENS_DRAIN_TIMEOUT_MS or 30 s. */
  drainTimeoutMs?: number;
  env?: Readonly<Record<string, string | undefined>>;
  logger?: Logger;
  /** Build and serve the demo page (default true). */
  page?: boolean;
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly host: string;
  readonly app: NetlensApp;
  readonly registry: ModelRegistry;
  /** Stops accepting connections, drains in-flight requests, disposes the models. */
  close(): Promise<{ drained: boolean }>;
}

/**
 * How the server runs inference. By default onnxruntime-node runs in a worker thread (its run() is
 * synchronous and would block the event loop for a whole batch; NETLENS_ENGINE_WORKER=0 keeps it on the
 * main thread) with cores − 1 threads, leaving a core for decoding and preprocessing, and two engine calls
 * in flight per model so the worker starts the next batch without waiting for a round trip.
 * Batching: on the CPU a larger batch buys nothing (bench/RESULTS.md: MobileNetV2 106.8 images/s at batch 1,
 * 106.6 at 2, 96.9 at 4, 82.3 at 16; InceptionV3 flat at 9.6), so CPU-only servers batch at most 2 images
 * without waiting; with a GPU provider they wait up to 2 ms for up to 16. NETLENS_THREADS,
 * NETLENS_CONCURRENCY, NETLENS_MAX_BATCH and NETLENS_MAX_DELAY_MS override.
 */
export function serverDefaults(env: Readonly<Record<string, string | undefined>> = process.env): {
  worker: boolean;
  concurrency: number;
  threads: number;
  gpu: boolean;
  maxBatch: number;
  maxDelayMs: number;
} {
  const cores = availableParallelism();
  const worker = env.NETLENS_ENGINE_WORKER !== '0';
  const concurrency = numberFrom(env, 'NETLENS_CONCURRENCY') ?? Math.min(2, cores);
  const threads =
    numberFrom(env, 'NETLENS_THREADS') ?? Math.max(1, worker ? cores - 1 : Math.floor(cores / concurrency));
  const providers = parseProviderList(env.NETLENS_PROVIDERS) ?? ['cpu'];
  const gpu = /^(1|true|yes)$/i.test(env.NETLENS_REQUIRE_GPU ?? '') || providers.some((p) => p !== 'cpu');
  const maxBatch = numberFrom(env, 'NETLENS_MAX_BATCH') ?? (gpu ? 16 : 2);
  const maxDelayMs = numberFrom(env, 'NETLENS_MAX_DELAY_MS') ?? (gpu ? 2 : 0);
  return { worker, concurrency, threads, gpu, maxBatch, maxDelayMs };
}

export function createLogger(env: Readonly<Record<string, string | undefined>> = process.env): Logger {
  return pino({ level: env.NETLENS_LOG_LEVEL ?? 'info', base: { pid: process.pid, service: 'netlens' } });
}

function numberFrom(env: Readonly<Record<string, string | undefined>>, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    throw new NetlensError('invalid_argument', `${name} must be a non-negative number, got '${raw}'`);
  }
  return value;
}

export async function startServer(options: ServeOptions = {}): Promise<RunningServer> {
  const env = options.env ?? process.env;
  const logger = options.logger ?? createLogger(env);
  const port = options.port ?? numberFrom(env, 'PORT') ?? DEFAULT_PORT;
  const host = options.host ?? (env.HOST?.trim() || DEFAULT_HOST);
  const budgetMb = numberFrom(env, 'NETLENS_MEMORY_BUDGET_MB');
  const { worker, concurrency, threads, maxBatch, maxDelayMs } = serverDefaults(env);
  const drainTimeoutMs = options.drainTimeoutMs ?? numberFrom(env, 'NETLENS_DRAIN_TIMEOUT_MS') ?? 30_000;

  const source = createModelDirectorySource(options.modelsDir ?? defaultModelsDir(env));
  const engine: Engine & { close?(): Promise<void> } = worker
    ? createWorkerEngine({ env, name: `${createNodeEngine({ env }).name} (worker thread)` })
    : createNodeEngine({ env });
  const registry = new ModelRegistry({
    source,
    engine,
    defaultModel: options.defaultModel ?? defaultModelName(env),
    memoryBudgetBytes:
      options.memoryBudgetBytes ?? (budgetMb !== undefined ? budgetMb * 1024 * 1024 : undefined),
    // The Node engine runs its own warm-up with zeros when it creates a session.
    warmup: false,
    sessionOptions: { threads },
    logger,
    location: source.dir,
    buildHint: 'npm run models',
  });
  const config = await configFromEnv(env, {
    formats: [...SHARP_FORMATS],
    maxDecoding: Math.max(2, availableParallelism()),
    ...options.config,
    batching: { concurrency, maxBatch, maxDelayMs, ...options.config?.batching },
  });

  const started = performance.now();
  await registry.start();
  const info = await registry.info(registry.defaultModel);
  logger.info(
    {
      model: info.name,
      provider: info.variants.model.provider,
      fallbacks: info.variants.model.fallbacks,
      ms: Math.round(performance.now() - started),
    },
    'default model ready',
  );

  let assets;
  if (options.page !== false) {
    const page = await ensurePage();
    if (page.startsWith('unavailable')) logger.warn({ page }, 'the demo page could not be built');
    assets = pageAssets();
  }
  const app = createApp({
    registry,
    decodeImage: createSharpImageDecoder({ maxPixels: 100_000_000 }),
    config,
    logger,
    ...(assets && { assets }),
  });

  const server = createAdaptorServer({ fetch: app.fetch, hostname: host });
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolvePromise();
    });
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  logger.info(
    { url, models: source.dir, engine: engine.name, threads, batching: config.batching },
    `netlens listening on ${url}`,
  );

  let closing: Promise<{ drained: boolean }> | undefined;
  const close = (): Promise<{ drained: boolean }> =>
    (closing ??= (async () => {
      logger.info(
        { inFlight: app.control.inFlight, drainTimeoutMs },
        'shutting down: draining in-flight requests',
      );
      const closed = new Promise<void>((resolvePromise) => server.close(() => resolvePromise()));
      const drain = await app.control.drain(drainTimeoutMs);
      // Keep-alive connections with no request in flight would hold server.close() open.
      if ('closeIdleConnections' in server) server.closeIdleConnections();
      if (!drain.drained && 'closeAllConnections' in server) server.closeAllConnections();
      await closed;
      await app.control.close();
      await engine.close?.();
      logger.info({ drained: drain.drained, abandoned: drain.inFlight }, 'stopped');
      return { drained: drain.drained };
    })());

  return { url, port: address.port, host: address.address, app, registry, close };
}

/** SIGTERM / SIGINT → drain and exit (a second signal exits at once). */
export function exitOnSignals(server: RunningServer): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(1);
    stopping = true;
    server.close().then(
      ({ drained }) => process.exit(drained ? 0 : 1),
      (error: unknown) => {
        console.error(`shutdown failed after ${signal}:`, error);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
