import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { PrepareImage } from '../core/prepare.js';
import type { AppMetrics } from './app-metrics.js';
import { type ReadJsonImages, validationError } from './body.js';
import type { AppConfig } from './config.js';
import type { Gate } from './gate.js';
import type { InferenceService } from './inference.js';
import type { JobRunner } from '../jobs/runner.js';
import type { JobService } from '../jobs/service.js';
import type { WebhookSigner } from '../jobs/signature.js';
import type { UrlPolicy } from '../jobs/url-policy.js';
import type { Lifecycle } from './lifecycle.js';
import type { Logger } from './logger.js';
import type { ModelRegistry } from './registry.js';

/** What every request carries through the middleware (Hono's typed context variables). */
export interface AppEnv {
  Variables: {
    requestId: string;
    clientSignal: AbortSignal;
    logger: Logger;
    startedAt: number;
    /** The app's lifecycle: withDeadline tracks the request's work and obeys its shutdown signal. */
    lifecycle: Lifecycle;
  };
}

/** A route group: an OpenAPIHono that createApp mounts with `app.route('/', group)`. */
export type Router = OpenAPIHono<AppEnv>;

/** A new route group whose request validation fails with the app's one error (invalid_argument). */
export function createRouter(): Router {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        throw validationError(result.error, result.target === 'param' ? 'path' : result.target);
      }
    },
  });
}

/**
 * The demo page's files: index.html (served at /) and the files its build lists (served at /static/*,
 * all under content-addressed names). Large ones are streams.
 */
export interface PageAssets {
  get(path: string): Promise<
    | {
        body: string | Uint8Array | ReadableStream<Uint8Array>;
        /** Bytes, when known (Content-Length, and the page's download progress). */
        size?: number;
      }
    | undefined
  >;
}

/**
 * assets.json of a page build (functions/browser/build.ts): every file the page may request at
 * /static/<path>, with its size. Both runtimes' PageAssets serve exactly these.
 */
export interface PageAssetList {
  files: Record<
    string,
    {
      bytes: number;
      sha256?: string;
      /** One of the in-browser runtime's files (BROWSER_WASM_NAMES): from node_modules on Node. */
      runtimeFile?: string;
      /** Stored by build:worker as this many `.partN` files (Workers' 25 MiB asset limit). */
      parts?: number;
    }
  >;
}

/** Webhook jobs inside the app (src/app/jobs.ts builds them): the routes' service, the runtime's runner. */
export interface AppJobs {
  readonly service: JobService;
  readonly runner: JobRunner;
  readonly signer: WebhookSigner;
  readonly policy: UrlPolicy;
  readonly owner: string;
}

/** Everything a route group or middleware may use, built once by createApp (explicit, never global). */
export interface AppDeps {
  readonly config: AppConfig;
  readonly registry: ModelRegistry;
  /** Bytes → model input (decode + preprocess), where the runtime kit chose to run it. */
  readonly prepareImage: PrepareImage;
  /** A JSON body's bytes → its images, where the runtime kit chose to run it. */
  readonly readJsonImages: ReadJsonImages;
  readonly logger: Logger;
  readonly metrics: AppMetrics;
  readonly lifecycle: Lifecycle;
  readonly inference: InferenceService;
  /**
   * At most config.maxDecoding images decoded and preprocessed at once, their estimated memory within
   * config.decodeBudgetBytes.
   */
  readonly decoding: Gate;
  readonly assets: PageAssets | undefined;
  /** Webhook jobs, when the entry point gave a job store and secrets are set (docs/webhooks.md). */
  readonly jobs: AppJobs | undefined;
  /** Shown in /openapi.json. */
  readonly version: string;
  /** The connection's peer address, from the runtime (undefined when it cannot tell). */
  readonly connectionAddress: ConnectionAddress;
}

/** How a runtime tells the address a request came from (Node: the socket; Workers: CF-Connecting-IP). */
export type ConnectionAddress = (c: Context<AppEnv>) => string | undefined;
