/**
 * The Node HTTP server: the runtime-free app (src/app) with the Node runtime kit injected, served by
 * @hono/node-server, with a graceful shutdown that drains in-flight requests.
 */
import { STATUS_CODES, type ServerOptions } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { type Http2Bindings, type HttpBindings, createAdaptorServer } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { type NetlensApp, createApp } from '../../app/app.js';
import { appConfigFromSettings } from '../../app/config.js';
import type { ConnectionAddress, PageAssets } from '../../app/env.js';
import type { Logger } from '../../app/logger.js';
import { PROBLEM_CONTENT_TYPE, describeProblem, problemType } from '../../app/problem.js';
import { ModelRegistry } from '../../app/registry.js';
import { type NodeJobBackend, openJobBackend } from '../../jobs/node/backend.js';
import type { Resolver } from '../../jobs/node/safe-fetch.js';
import type { Settings } from '../../settings/index.js';
import { NetlensError } from '../../core/errors.js';
import { type NodeRuntime, createLogger, createNodeRuntime } from './runtime.js';

export interface ServeOptions {
  /** The settings module's values (readNodeSettings), with any command-line overrides applied. */
  settings: Settings;
  /** Settings warnings to log once the logger exists (deprecated or unknown variables). */
  warnings?: readonly string[];
  logger?: Logger;
  /** The demo page (default: the built page in public/build; false: none). */
  assets?: PageAssets | false;
  /** Name resolution for job fetches (tests make names resolve to chosen addresses). */
  resolve?: Resolver;
  /** The client's address (default: the socket's peer, from @hono/node-server's bindings). */
  connectionAddress?: ConnectionAddress;
}

export interface NodeApp {
  readonly app: NetlensApp;
  readonly registry: ModelRegistry;
  readonly runtime: NodeRuntime;
  readonly logger: Logger;
  /** Stops the job workers, disposes the models, ends the engine's worker thread. */
  close(): Promise<void>;
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
 * The app with the Node runtime kit injected, its default model loaded and its job workers running, but
 * not listening: what startServer serves, and what a Node program mounts in its own Hono app
 * (`host.route('/netlens', app)`, behind the host's middleware; docs/library.md). close() drains
 * nothing: it stops the job workers, disposes the models and ends the engine's worker thread.
 */
export async function createNodeApp(options: ServeOptions): Promise<NodeApp> {
  const { settings } = options;
  const logger = options.logger ?? createLogger(settings.logLevel);
  for (const warning of options.warnings ?? []) logger.warn({}, warning);
  const runtime = await createNodeRuntime(settings);
  const registry = new ModelRegistry({
    source: runtime.modelSource,
    engine: runtime.engine,
    defaultModel: settings.defaultModel,
    memoryBudgetBytes: settings.memoryBudgetMiB * 1024 * 1024,
    sessionOptions: { threads: settings.threads, warmUp: settings.warmUp },
    logger,
    location: runtime.modelSource.dir,
    buildHint: 'npm run models',
  });
  const config = await appConfigFromSettings(settings, runtime);

  const started = performance.now();
  try {
    await registry.start();
  } catch (error) {
    await runtime.close();
    throw error;
  }
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

  // Loaded only when needed: the page's module resolves the in-browser runtime's WASM files in
  // node_modules, which bundles without the page (the Lambda zip) do not carry.
  const assets =
    options.assets === false
      ? undefined
      : (options.assets ?? (await import('./page-assets.js')).pageAssets());
  const jobs = await startJobBackend(settings, runtime.modelSource.dir, options);
  const app = createApp({
    registry,
    decodeImage: runtime.decodeImage,
    prepareImage: runtime.prepareImage,
    readJsonImages: runtime.readJsonImages,
    config,
    logger,
    ...(assets && { assets }),
    ...(jobs && { jobs }),
    connectionAddress: options.connectionAddress ?? socketPeer,
  });
  if (jobs && app.control.jobs) {
    const onError = (error: unknown): void => logger.error({ err: error }, 'job worker failed');
    await jobs.startWorkers({ ...app.control.jobs, onError });
    logger.info({ store: jobs.store.description, owner: jobs.owner }, 'webhook jobs on');
  }
  const close = async (): Promise<void> => {
    await jobs?.close();
    await app.control.close();
    await runtime.close();
  };
  return { app, registry, runtime, logger, close };
}

/** The socket's peer address; undefined when the bindings are not @hono/node-server's (a host app). */
const socketPeer: ConnectionAddress = (c) => {
  const env: unknown = c.env;
  return typeof env === 'object' && env !== null && 'incoming' in env
    ? getConnInfo(c).remote.address
    : undefined;
};

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const { settings } = options;
  const { app, registry, runtime, logger, close: closeApp } = await createNodeApp(options);
  const { config } = app.control;
  const server = createAdaptorServer({
    fetch: closeWhenBodyUnread(app),
    hostname: settings.host,
    serverOptions: serverTimeouts(settings),
  });
  server.on('clientError', answerClientError);
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => {
      server.off('error', reject);
      resolvePromise();
    });
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  logger.info(
    {
      url,
      models: runtime.modelSource.dir,
      engine: runtime.engine.name,
      threads: settings.threads,
      batching: config.batching,
    },
    `netlens listening on ${url}`,
  );

  let closing: Promise<{ drained: boolean }> | undefined;
  const close = (): Promise<{ drained: boolean }> =>
    (closing ??= (async () => {
      const drainTimeoutMs = settings.drainTimeoutMs;
      logger.info(
        { inFlight: app.control.inFlight, drainTimeoutMs },
        'shutting down: draining in-flight requests',
      );
      const closed = new Promise<void>((resolvePromise) => server.close(() => resolvePromise()));
      // Requests still running at the timeout are answered the shutdown 503 (Retry-After) by the drain.
      const drain = await app.control.drain(drainTimeoutMs);
      // Keep-alive connections with no request in flight would hold server.close() open.
      if ('closeIdleConnections' in server) server.closeIdleConnections();
      if (!drain.drained && 'closeAllConnections' in server) {
        // The cut requests' 503s (Connection: close) are still going out: a second, then cut the rest.
        await Promise.race([closed, new Promise((resolveWait) => setTimeout(resolveWait, 1000).unref())]);
        server.closeAllConnections();
      }
      await closed;
      await closeApp();
      logger.info({ drained: drain.drained, abandoned: drain.inFlight }, 'stopped');
      return { drained: drain.drained };
    })());

  return { url, port: address.port, host: address.address, app, registry, close };
}

/**
 * The app's fetch, plus one transport rule: an answer given before the request body was completely
 * received (an early error — unknown model, 401, 413 from Content-Length — or a deadline hit while the
 * body still arrives) says `Connection: close`, and the connection is closed once it is sent. A
 * keep-alive client then opens a new connection for its next request instead of sending it on one the
 * server is about to drop (undici: "other side closed"). Bodies that were read are unaffected.
 */
function closeWhenBodyUnread(app: NetlensApp) {
  return async (request: Request, env: HttpBindings | Http2Bindings): Promise<Response> => {
    const response = await app.fetch(request, env);
    const { incoming, outgoing } = env;
    // HTTP/2 has no Connection header (a stream is reset instead).
    if (incoming.httpVersionMajor === 1 && !incoming.complete && !outgoing.headersSent) {
      outgoing.setHeader('connection', 'close');
      const socket = incoming.socket;
      outgoing.once('finish', () => lingerBeforeClose(socket));
    }
    return response;
  };
}

/**
 * Answers what Node's HTTP parser refuses before the app sees a request — a header section over its
 * limit (431), headers that do not arrive in time (408), a malformed request (400) — with a problem
 * document and `Connection: close`, where Node would write a bare status line. A socket that cannot be
 * answered any more (already writing, or reset by the client) is only destroyed.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  const code = (error as { code?: string }).code;
  // Node's own rule: answer unless the socket is gone or an answer has already started.
  const answering = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (code === 'ECONNRESET' || !socket.writable || answering?.headersSent) {
    socket.destroy();
    return;
  }
  const problem =
    code === 'HPE_HEADER_OVERFLOW'
      ? new NetlensError('headers_too_large', 'the request headers are larger than 16 KiB')
      : code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new NetlensError('request_timeout', 'the request headers did not arrive in time')
        : new NetlensError(
            'invalid_argument',
            `the request is not valid HTTP/1.1 (${code ?? 'parse error'})`,
          );
  const body = JSON.stringify({
    type: problemType(problem.code),
    title: describeProblem(problem.code).title,
    status: problem.status,
    detail: problem.message,
    code: problem.code,
  });
  socket.end(
    `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status] ?? ''}\r\n` +
      `content-type: ${PROBLEM_CONTENT_TYPE}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
      `connection: close\r\n\r\n${body}`,
  );
}

/** Longest a closing connection keeps discarding the rest of an upload (after the answer went out). */
const LINGER_MS = 2000;

/**
 * A clean close after an early answer: Node ends the socket after a `Connection: close` answer and
 * destroys it as soon as its FIN is out; with upload bytes still arriving the kernel then answers them
 * with a reset, and a client still writing its body can lose the answer it has not read yet (EPIPE /
 * ECONNRESET). So the socket stays half-open instead, while the rest of the body is read and discarded
 * (@hono/node-server drains up to 64 MiB in 500 ms, then destroys it), until the client closes its side
 * or LINGER_MS pass — the "lingering close" of HTTP servers.
 */
function lingerBeforeClose(socket: Socket): void {
  // Runs after Node's own 'finish' handler, which called socket.destroySoon(): end() now, destroy() on
  // the socket's 'finish' (FIN written).
  socket.removeListener('finish', socket.destroy);
  if (socket.destroyed) return;
  const timer = setTimeout(() => socket.destroy(), LINGER_MS).unref();
  socket.once('close', () => clearTimeout(timer));
  socket.once('end', () => socket.destroy());
  socket.resume();
}

/**
 * Node's server timeouts from the settings: headers within NETLENS_HEADERS_TIMEOUT_MS, the whole
 * request within NETLENS_TIMEOUT_MS + 5 s (the app's own deadline answers first; this ends what never
 * reaches the app), idle keep-alive connections after NETLENS_KEEP_ALIVE_TIMEOUT_MS. Node checks them
 * every second (its default, 30 s, would let a request live that much longer).
 */
export function serverTimeouts(
  settings: Pick<Settings, 'headersTimeoutMs' | 'keepAliveTimeoutMs' | 'timeoutMs'>,
): ServerOptions {
  const requestTimeout = settings.timeoutMs + 5_000;
  return {
    headersTimeout: Math.min(settings.headersTimeoutMs, requestTimeout),
    requestTimeout,
    keepAliveTimeout: settings.keepAliveTimeoutMs,
    connectionsCheckingInterval: 1_000,
  };
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

/** The job store and workers when webhooks are configured (NETLENS_WEBHOOK_SECRETS). */
async function startJobBackend(
  settings: Settings,
  modelsDir: string,
  options: ServeOptions,
): Promise<NodeJobBackend | undefined> {
  if (settings.webhookSecrets.length === 0) return undefined;
  return openJobBackend(settings, modelsDir, { ...(options.resolve && { resolve: options.resolve }) });
}
