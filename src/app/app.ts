import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import { routePath } from 'hono/route';
import { decodePredictions, validateTop } from '../core/decode.js';
import type { Float32Tensor } from '../core/engine.js';
import { type ErrorCode, NetlensError, isNetlensError, messageOf } from '../core/errors.js';
import { sniffImageFormat } from '../core/image-format.js';
import type { DecodedImage, ImageDecoder, ImageFormat } from '../core/image-types.js';
import { preprocessImage } from '../core/image/index.js';
import type { Manifest } from '../core/manifest.js';
import { type RequestImage, JsonBodySchema, readImages, validationError } from './body.js';
import { type AppConfig, type AppConfigInput, parseAppConfig } from './config.js';
import { Gate } from './gate.js';
import { InferenceService } from './inference.js';
import { type Logger, consoleLogger } from './logger.js';
import {
  BATCH_BUCKETS,
  Counter,
  Gauge,
  Histogram,
  LATENCY_BUCKETS,
  MetricsRegistry,
  PROMETHEUS_CONTENT_TYPE,
  RateWindow,
} from './metrics.js';
import { codeOfProblemSlug, describeProblem, problemResponse } from './problem.js';
import type { ModelRegistry, Variant } from './registry.js';
import {
  ClassifyQuery,
  ClassifyResponse,
  EmbedResponse,
  FileParams,
  ModelDetail,
  ModelList,
  ModelParams,
  problems,
} from './schemas.js';
import { ApiKeys, RateLimiter, presentedKey } from './security.js';

/** The demo page's files (index.html, page.js, page.css, …), served at / and /static/*. */
export interface PageAssets {
  get(path: string): Promise<{ body: string | Uint8Array; contentType: string } | undefined>;
}

export interface CreateAppOptions {
  registry: ModelRegistry;
  decodeImage: ImageDecoder;
  config?: AppConfigInput;
  logger?: Logger;
  /** The demo page; without it GET / answers a short HTML note. */
  assets?: PageAssets;
  /** Shown in /openapi.json. */
  version?: string;
}

/** What an entry point needs besides `fetch`: readiness, draining and shutdown. */
export interface AppControl {
  readonly config: AppConfig;
  readonly metrics: MetricsRegistry;
  /** Requests being answered now. */
  readonly inFlight: number;
  /** Stop taking /v1 work (503) and report not ready; resolves once in-flight requests have ended. */
  drain(timeoutMs?: number): Promise<{ drained: boolean; inFlight: number }>;
  /** Rejects queued work and disposes models (after drain). */
  close(): Promise<void>;
}

export type NetlensApp = OpenAPIHono<Env> & { readonly control: AppControl };

interface Env {
  Variables: { requestId: string; clientSignal: AbortSignal; logger: Logger; startedAt: number };
}

/** The request's client went away: nobody reads the answer. */
class ClientClosedRequest extends Error {
  override readonly name = 'ClientClosedRequest';
}

export function createApp(options: CreateAppOptions): NetlensApp {
  const config = parseAppConfig(options.config);
  const { registry, decodeImage } = options;
  const logger = options.logger ?? consoleLogger();
  const apiKeys = new ApiKeys(config.apiKeys);
  const decoding = new Gate(config.maxDecoding);
  const limiter = new RateLimiter(config.rateLimit);

  // ---- metrics
  const metrics = new MetricsRegistry();
  const requests = metrics.add(
    new Counter('netlens_http_requests_total', 'HTTP requests by route, method and status.'),
  );
  const latency = metrics.add(
    new Histogram('netlens_http_request_duration_seconds', 'HTTP request latency by route.', LATENCY_BUCKETS),
  );
  const batchSizes = metrics.add(
    new Histogram('netlens_batch_size', 'Images per engine call.', BATCH_BUCKETS),
  );
  const inferenceSeconds = metrics.add(
    new Histogram('netlens_inference_duration_seconds', 'Engine call duration per batch.', LATENCY_BUCKETS),
  );
  const imagesTotal = metrics.add(new Counter('netlens_images_total', 'Images classified or embedded.'));
  const rates = new Map<string, RateWindow>();
  let inFlight = 0;
  let draining = false;
  const drainWaiters = new Set<() => void>();

  const inference = new InferenceService(registry, config.batching, {
    onBatch(model, variant, info) {
      batchSizes.observe({ model, variant }, info.size);
      inferenceSeconds.observe({ model, variant }, info.runMs / 1000);
      if (info.failed) return;
      imagesTotal.inc({ model, variant }, info.size);
      let rate = rates.get(model);
      if (!rate) rates.set(model, (rate = new RateWindow()));
      rate.add(info.size);
    },
  });

  metrics.add(
    new Gauge('netlens_queue_depth', 'Images waiting for a batch, per model.', () =>
      inference.queues().map((q) => ({ labels: { model: q.model, variant: q.variant }, value: q.depth })),
    ),
  );
  metrics.add(
    new Gauge('netlens_images_per_second', 'Images per second over the last 10 s, per model.', () =>
      [...rates].map(([model, rate]) => ({ labels: { model }, value: rate.perSecond() })),
    ),
  );
  metrics.add(
    new Gauge('netlens_decoding', 'Images being decoded and preprocessed (active) or waiting to be.', () => [
      { labels: { state: 'active' }, value: decoding.inUse },
      { labels: { state: 'waiting' }, value: decoding.queued },
    ]),
  );
  metrics.add(
    new Gauge('netlens_requests_in_flight', 'HTTP requests being answered.', () => [
      { labels: {}, value: inFlight },
    ]),
  );
  const loadedModels: { labels: Record<string, string>; value: number }[] = [];
  metrics.add(
    new Gauge(
      'netlens_model_loaded',
      'Loaded models (1) with the execution provider that runs them.',
      () => loadedModels,
    ),
  );
  metrics.add(
    new Gauge('netlens_model_memory_bytes', 'Estimated bytes of loaded models and the budget.', () => [
      { labels: { kind: 'loaded' }, value: registry.loadedBytes },
      { labels: { kind: 'budget' }, value: registry.memoryBudgetBytes },
    ]),
  );
  metrics.add(
    new Gauge('netlens_ready', '1 when the default model is loaded and warmed.', () => [
      { labels: {}, value: ready() ? 1 : 0 },
    ]),
  );

  const ready = (): boolean => !draining && registry.isReady();

  // ---- app
  const app = new OpenAPIHono<Env>({
    defaultHook: (result) => {
      if (!result.success)
        throw validationError(result.error, result.target === 'param' ? 'path' : result.target);
    },
  });
  const knownRoutes = new Set<string>();

  app.use('*', async (c, next) => {
    const startedAt = performance.now();
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && /^[\w.:-]{1,128}$/.test(incoming) ? incoming : crypto.randomUUID();
    c.set('requestId', requestId);
    c.set('startedAt', startedAt);
    c.set('clientSignal', c.req.raw.signal);
    const log = logger.child({ reqId: requestId });
    c.set('logger', log);
    inFlight++;
    try {
      await next();
    } finally {
      inFlight--;
      if (inFlight === 0) for (const wake of drainWaiters) wake();
      c.header('x-request-id', requestId);
      const matched = routePath(c, -1);
      const route = knownRoutes.has(matched) ? matched : 'other';
      const status = String(c.res.status);
      const seconds = (performance.now() - startedAt) / 1000;
      requests.inc({ route, method: c.req.method, status });
      latency.observe({ route }, seconds);
      const level = c.res.status >= 500 ? 'warn' : 'info';
      log[level](
        { method: c.req.method, path: c.req.path, route, status: c.res.status, ms: round(seconds * 1000) },
        'request',
      );
    }
  });

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

  app.use('/v1/*', async (c, next) => {
    if (draining) {
      c.header('connection', 'close');
      throw new NetlensError('model_not_ready', 'the server is shutting down; retry on another instance');
    }
    if (!apiKeys.enabled) return next();
    const presented = presentedKey(c.req.raw.headers);
    const key = presented === undefined ? undefined : await apiKeys.verify(presented);
    if (!key) {
      c.header('www-authenticate', 'Bearer realm="netlens"');
      throw new NetlensError(
        'unauthorized',
        presented === undefined
          ? 'an API key is required: send Authorization: Bearer <key> or X-API-Key: <key>'
          : 'the API key is not valid',
      );
    }
    limiter.take(key.name, key.rateLimit);
    c.get('logger').debug({ apiKey: key.name }, 'authenticated');
    return next();
  });

  app.use(
    '/v1/models/:model/*',
    bodyLimit({
      maxSize: config.maxBodyBytes,
      onError: () => {
        throw new NetlensError('payload_too_large', `the body is larger than ${config.maxBodyBytes} bytes`, {
          details: { limit: config.maxBodyBytes },
        });
      },
    }),
  );

  const openapi: OpenAPIHono<Env>['openapi'] = (route, handler, hook) => {
    knownRoutes.add(route.path.replaceAll(/\/{(.+?)}/g, '/:$1'));
    return app.openapi(route, handler, hook);
  };
  const plain = (path: string): string => {
    knownRoutes.add(path);
    return path;
  };

  // ---- models
  openapi(
    createRoute({
      method: 'get',
      path: '/v1/models',
      summary: 'Installed models with their load state',
      responses: {
        200: { description: 'the models', content: { 'application/json': { schema: ModelList } } },
        ...problems(401, 429),
      },
    }),
    async (c) => {
      const models = await registry.list();
      return c.json(
        {
          default: registry.defaultModel,
          engine: registry.engineName,
          models: models.map((m) => ({
            name: m.name,
            architecture: m.manifest.architecture,
            ...(m.manifest.description !== undefined && { description: m.manifest.description }),
            default: m.isDefault,
            input: {
              height: m.manifest.input.height,
              width: m.manifest.input.width,
              channels: m.manifest.input.channels,
            },
            classes: m.manifest.output.size,
            embed: m.manifest.features !== undefined,
            state: m.variants.model.state,
            ...(m.variants.model.provider !== undefined && { provider: m.variants.model.provider }),
          })),
        },
        200,
      );
    },
  );

  openapi(
    createRoute({
      method: 'get',
      path: '/v1/models/{model}',
      summary: 'One model: manifest, load state, execution provider',
      request: { params: ModelParams },
      responses: {
        200: { description: 'the model', content: { 'application/json': { schema: ModelDetail } } },
        ...problems(401, 404, 429),
      },
    }),
    async (c) => {
      const info = await registry.info(c.req.valid('param').model);
      return c.json(
        {
          name: info.name,
          default: info.isDefault,
          engine: registry.engineName,
          manifest: info.manifest as unknown as Record<string, string>, // plain JSON data
          load: info.variants,
        },
        200,
      );
    },
  );

  if (config.exposeModelFiles) {
    openapi(
      createRoute({
        method: 'get',
        path: '/v1/models/{model}/files/{variant}',
        summary: "The model's ONNX file (for in-browser inference)",
        request: { params: FileParams },
        responses: {
          200: {
            description: 'ONNX bytes; ETag is the sha256 from the manifest',
            content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
          },
          ...problems(401, 404, 429),
        },
      }),
      async (c) => {
        const { model, variant } = c.req.valid('param');
        const bytes = await registry.modelBytes(model, variant);
        return c.body(bytes.bytes as Uint8Array<ArrayBuffer>, 200, {
          'content-type': 'application/octet-stream',
          etag: `"${bytes.sha256}"`,
          'cache-control': 'public, max-age=31536000, immutable',
        });
      },
    );
  }

  // ---- classify / embed
  const imageBody = {
    description: 'the image bytes (any Content-Type: the format is taken from the bytes), files, or JSON',
    required: true,
    content: {
      'image/*': { schema: { type: 'string' as const, format: 'binary' } },
      'application/octet-stream': { schema: { type: 'string' as const, format: 'binary' } },
      'multipart/form-data': {
        schema: {
          type: 'object' as const,
          properties: {
            file: { type: 'array' as const, items: { type: 'string' as const, format: 'binary' } },
            top: { type: 'integer' as const, minimum: 1, maximum: 1000 },
          },
        },
      },
      'application/json': {
        schema: z.toJSONSchema(JsonBodySchema, { io: 'input' }) as Record<string, unknown>,
      },
    },
  };

  openapi(
    createRoute({
      method: 'post',
      path: '/v1/models/{model}/classify',
      summary: 'Classify one or more images',
      request: { params: ModelParams, query: ClassifyQuery, body: imageBody },
      responses: {
        200: {
          description: 'top predictions per image',
          content: { 'application/json': { schema: ClassifyResponse } },
        },
        ...problems(400, 401, 404, 413, 415, 422, 429, 503, 504),
      },
    }),
    async (c) => {
      const { model } = c.req.valid('param');
      const { top: queryTop } = c.req.valid('query');
      const answer = await withDeadline(c, async (signal) => {
        const manifest = await registry.manifest(model);
        const body = await readImages(c.req.raw, config.maxImagesPerRequest);
        const top = body.top ?? queryTop ?? Math.min(config.defaultTop, manifest.output.size);
        validateTop(top, manifest.output.size);
        const { provider, items } = await infer(c, signal, model, 'model', manifest, body.images);
        return {
          model,
          provider,
          results: items.map(({ facts, row, timings }) => ({
            ...facts,
            predictions: decodePredictions({ data: row, dims: [1, manifest.output.size] }, manifest, top)[0]!,
            timings,
          })),
        };
      });
      return c.json(answer, 200);
    },
  );

  openapi(
    createRoute({
      method: 'post',
      path: '/v1/models/{model}/embed',
      summary: "Penultimate features (the model's features variant)",
      request: { params: ModelParams, body: imageBody },
      responses: {
        200: {
          description: 'one embedding per image',
          content: { 'application/json': { schema: EmbedResponse } },
        },
        ...problems(400, 401, 404, 413, 415, 422, 429, 503, 504),
      },
    }),
    async (c) => {
      const { model } = c.req.valid('param');
      const answer = await withDeadline(c, async (signal) => {
        const manifest = await registry.manifest(model);
        await registry.requireFeatures(manifest);
        const body = await readImages(c.req.raw, config.maxImagesPerRequest);
        const { provider, items } = await infer(c, signal, model, 'features', manifest, body.images);
        return {
          model,
          provider,
          size: items[0]!.row.length,
          results: items.map(({ facts, row, timings }) => ({
            ...facts,
            embedding: Array.from(row),
            timings,
          })),
        };
      });
      return c.json(answer, 200);
    },
  );

  // ---- operations
  app.get(plain('/healthz'), (c) => c.json({ status: 'ok' }));
  app.get(plain('/readyz'), async (c) => {
    if (ready()) return c.json({ status: 'ready', model: registry.defaultModel });
    const info = await registry.info(registry.defaultModel).catch(() => undefined);
    throw new NetlensError(
      'model_not_ready',
      draining
        ? 'the server is shutting down'
        : `the default model '${registry.defaultModel}' is not loaded yet`,
      { details: { model: registry.defaultModel, ...(info && { load: info.variants.model }) } },
    );
  });
  app.get(plain('/metrics'), (c) => {
    loadedModels.length = 0;
    for (const m of registry.loaded()) {
      loadedModels.push({ labels: { model: m.name, variant: m.variant, provider: m.provider }, value: 1 });
    }
    return c.body(metrics.render(), 200, { 'content-type': PROMETHEUS_CONTENT_TYPE });
  });

  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'netlens',
      version: options.version ?? '0.1.0',
      description: 'Image classification with converted Keras models. Errors are RFC 9457 problem documents.',
    },
  });
  knownRoutes.add('/openapi.json');

  app.get(plain('/problems/:slug'), (c) => {
    const slug = c.req.param('slug') ?? '';
    const code = codeOfProblemSlug(slug);
    if (!code) throw new NetlensError('not_found', `no problem type '${slug}'`);
    return c.json(describeProblem(code));
  });

  // ---- demo page
  const pageHeaders: Record<string, string> = config.crossOriginIsolation
    ? { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' }
    : {};
  app.get(plain('/'), async (c) => {
    const page = await options.assets?.get('index.html');
    if (!page) {
      return c.html(
        '<!doctype html><title>netlens</title><p>netlens is running. The demo page is not built: run <code>npm run build:page</code>. API: <a href="/openapi.json">/openapi.json</a>.</p>',
      );
    }
    return c.body(page.body as string, 200, {
      'content-type': page.contentType,
      'cache-control': 'no-cache',
      ...pageHeaders,
    });
  });
  app.get(plain('/static/*'), async (c) => {
    const path = c.req.path.slice('/static/'.length);
    const file = path.includes('..') ? undefined : await options.assets?.get(path);
    if (!file) throw new NetlensError('not_found', `no static file '${path}'`);
    return c.body(file.body as string, 200, {
      'content-type': file.contentType,
      'cache-control': 'no-cache',
      ...pageHeaders,
    });
  });

  // ---- the one error path
  app.notFound((c) =>
    problem(c, new NetlensError('not_found', `no route for ${c.req.method} ${c.req.path}`)),
  );
  app.onError((error, c) => {
    if (error instanceof ClientClosedRequest) {
      c.get('logger')?.info({}, 'client closed the request; its work was dropped');
      return new Response(null, { status: 499 });
    }
    if (isNetlensError(error)) {
      if (error.status >= 500) c.get('logger')?.warn({ err: error, code: error.code }, error.message);
      return problem(c, error);
    }
    if (error instanceof HTTPException) {
      const code = HTTP_CODES[error.status] ?? (error.status < 500 ? 'invalid_argument' : 'internal');
      return problem(c, new NetlensError(code, error.message || 'bad request'));
    }
    c.get('logger')?.error({ err: error }, `unexpected failure: ${messageOf(error)}`);
    return problem(c, new NetlensError('internal', 'internal error'));
  });

  function problem(c: Context<Env>, error: NetlensError): Response {
    const headers: Record<string, string> = {};
    const retry = error.details.retryAfterSeconds;
    if (typeof retry === 'number') headers['retry-after'] = String(retry);
    const response = problemResponse(error, { instance: c.req.path, requestId: c.get('requestId'), headers });
    // Keep headers set by middleware before the error (WWW-Authenticate, CORS, Connection).
    c.res.headers.forEach((value, name) => {
      if (name !== 'content-type' && name !== 'content-length') response.headers.set(name, value);
    });
    return response;
  }

  /** Runs `work` under the request deadline and the client's connection; see ClientClosedRequest. */
  async function withDeadline<T>(c: Context<Env>, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const client = c.get('clientSignal');
    const deadline = new AbortController();
    const timer = setTimeout(
      () =>
        deadline.abort(
          new NetlensError('timeout', `the request took longer than ${config.requestTimeoutMs} ms`, {
            details: { limitMs: config.requestTimeoutMs },
          }),
        ),
      config.requestTimeoutMs,
    );
    const signal = AbortSignal.any([client, deadline.signal]);
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () =>
        reject(client.aborted ? new ClientClosedRequest('client closed the request') : signal.reason);
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    const running = work(signal);
    // After an abort nobody awaits `running` any more: its later failure must not go unhandled.
    running.catch(() => undefined);
    try {
      return await Promise.race([running, aborted]);
    } catch (error) {
      if (signal.aborted)
        throw client.aborted ? new ClientClosedRequest('client closed the request') : signal.reason;
      throw error;
    } finally {
      clearTimeout(timer);
      if (onAbort) signal.removeEventListener('abort', onAbort);
    }
  }

  /** Decodes and preprocesses the images, runs them through the model's batcher, and times each one. */
  async function infer(
    c: Context<Env>,
    signal: AbortSignal,
    model: string,
    variant: Variant,
    manifest: Manifest,
    images: RequestImage[],
  ) {
    const prepared = await prepareAll(images, manifest, c.get('logger'), signal);
    const outputs = await inference.run(
      model,
      variant,
      prepared.map((p) => p.tensor),
      signal,
    );
    const totalMs = round(performance.now() - c.get('startedAt'));
    return {
      provider: outputs[0]!.output.provider,
      items: prepared.map((p, i) => ({
        facts: p.facts,
        row: outputs[i]!.output.row,
        timings: { ...p.timings, ...batchTimings(outputs[i]!), totalMs },
      })),
    };
  }

  async function prepareAll(images: RequestImage[], manifest: Manifest, log: Logger, signal: AbortSignal) {
    const many = images.length > 1;
    return Promise.all(
      images.map(async (image) => {
        try {
          const release = await decoding.acquire(signal);
          try {
            return await prepare(image, manifest, log);
          } finally {
            release();
          }
        } catch (error) {
          if (!many || !isNetlensError(error)) throw error;
          throw new NetlensError(error.code, `${image.name}: ${error.message}`, {
            cause: error,
            details: { ...error.details, image: image.name },
          });
        }
      }),
    );
  }

  async function prepare(image: RequestImage, manifest: Manifest, log: Logger) {
    const format = sniffImageFormat(image.bytes);
    if (!format || !config.formats.includes(format)) {
      throw new NetlensError(
        'unsupported_media_type',
        format
          ? `${format} images are not accepted here; accepted: ${config.formats.join(', ')}`
          : `the bytes are not an image format this server decodes (${config.formats.join(', ')}); the format is detected from the bytes, not the Content-Type`,
        { details: { accepted: config.formats, ...(format && { detected: format }) } },
      );
    }
    const t0 = performance.now();
    let decoded: DecodedImage;
    try {
      decoded = await decodeImage(image.bytes, { maxPixels: config.maxPixels });
    } catch (error) {
      if (isNetlensError(error)) throw error;
      log.warn({ err: error, format }, 'decoder failed on a request image');
      throw new NetlensError('bad_image', `the ${format} image could not be decoded: ${messageOf(error)}`);
    }
    const t1 = performance.now();
    const tensor: Float32Tensor = preprocessImage(decoded, image.bytes, manifest);
    const t2 = performance.now();
    return {
      tensor,
      facts: {
        name: image.name,
        format: decoded.format ?? (format as ImageFormat),
        width: decoded.width,
        height: decoded.height,
      },
      timings: { decodeMs: round(t1 - t0), preprocessMs: round(t2 - t1) },
    };
  }

  const control: AppControl = {
    config,
    metrics,
    get inFlight() {
      return inFlight;
    },
    async drain(timeoutMs = 30_000) {
      draining = true;
      if (inFlight === 0) return { drained: true, inFlight: 0 };
      return new Promise((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          drainWaiters.delete(done);
          resolve({ drained: inFlight === 0, inFlight });
        };
        const timer = setTimeout(done, timeoutMs);
        drainWaiters.add(done);
      });
    },
    async close() {
      draining = true;
      inference.close(new NetlensError('model_not_ready', 'the server is shutting down'));
      await registry.close();
    },
  };
  return Object.assign(app, { control });
}

const HTTP_CODES: Record<number, ErrorCode> = {
  400: 'invalid_argument',
  401: 'unauthorized',
  404: 'not_found',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'model_not_ready',
};

function batchTimings(batched: { queueMs: number; runMs: number; batchSize: number }) {
  return { queueMs: round(batched.queueMs), inferenceMs: round(batched.runMs), batchSize: batched.batchSize };
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

export type { Variant };
