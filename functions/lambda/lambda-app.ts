/**
 * The Node app (createNodeApp: the Node runtime kit, the registry, the HTTP app; not listening) behind
 * Hono's AWS Lambda adapter, tuned for Lambda's one request per instance. `handler.ts` builds it once per
 * container; tests build it with their own environment. docs/lambda.md.
 */
import { Hono } from 'hono';
import { defaultIsContentTypeBinary, getConnInfo, handle } from 'hono/aws-lambda';
import type { LambdaContext, LambdaEvent } from 'hono/aws-lambda';
import { NetlensError } from '../../src/core/errors.js';
import { problemResponse } from '../../src/app/problem.js';
import type { Logger } from '../../src/app/logger.js';
import { type NodeApp, createNodeApp } from '../../src/runtime/node/server.js';
import { readNodeSettings } from '../../src/runtime/node/runtime.js';
import type { ReadSettings, Settings } from '../../src/settings/index.js';

/**
 * Lambda's limit on a synchronous (buffered) response: 6 MB of the serialised result, headers and
 * base64 body included (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
 * 6 MiB is the conservative reading of "6 MB".
 */
export const LAMBDA_RESPONSE_LIMIT_BYTES = 6 * 1024 * 1024;

/**
 * Defaults for one request per instance, used where the environment does not set the variable:
 * no engine worker thread (nothing else runs on the event loop, and a thread costs start-up time and
 * memory), no prepare pool (one image at a time is decoded on the handler's thread; the bundle has no
 * worker-thread entry files), one engine call per model (so NETLENS_THREADS defaults to every vCPU the
 * memory size gives).
 */
export const LAMBDA_DEFAULTS: Readonly<Partial<Settings>> = {
  engineWorker: false,
  prepareThreads: 0,
  concurrency: 1,
};

/** What the platform calls: an event in, a result out (the shape follows the event's source). */
export type LambdaHandler = (event: LambdaEvent, context?: LambdaContext) => Promise<LambdaResult>;
export type LambdaResult = Awaited<ReturnType<ReturnType<typeof handle>>>;

export interface LambdaAppOptions {
  /** process.env in the handler, a record in tests. */
  env: Readonly<Record<string, unknown>>;
  /** The zip's models folder, used when NETLENS_MODELS_DIR is not set (else the package's models/onnx). */
  packagedModelsDir?: string;
  logger?: Logger;
  /** For tests of the edge; the platform's limit otherwise. */
  responseLimitBytes?: number;
}

export interface LambdaApp {
  readonly handler: LambdaHandler;
  readonly node: NodeApp;
  readonly settings: Settings;
}

/** The settings module's values with LAMBDA_DEFAULTS (and the zip's models) where the environment is silent. */
export function readLambdaSettings(
  env: Readonly<Record<string, unknown>>,
  packagedModelsDir?: string,
): ReadSettings {
  const { given } = readNodeSettings(env);
  const defaults: Partial<Settings> = { ...LAMBDA_DEFAULTS };
  if (packagedModelsDir !== undefined) defaults.modelsDir = packagedModelsDir;
  const overrides = Object.fromEntries(
    Object.entries(defaults).filter(([name]) => !given.has(name as keyof Settings)),
  ) as Partial<Settings>;
  const read = readNodeSettings(env, overrides);
  if (read.settings.webhookSecrets.length > 0) {
    throw new NetlensError(
      'invalid_argument',
      'NETLENS_WEBHOOK_SECRETS is set, but webhook jobs need a long-running process (a job store and ' +
        'workers that run between requests) and Lambda freezes the instance between invocations; unset it ' +
        'and run jobs on the Node server or the Cloudflare Worker (docs/webhooks.md).',
    );
  }
  return read;
}

/** Loads the default model and returns the handler (call once per container, at init). */
export async function createLambdaApp(options: LambdaAppOptions): Promise<LambdaApp> {
  const { settings, warnings } = readLambdaSettings(options.env, options.packagedModelsDir);
  const node = await createNodeApp({
    settings,
    warnings,
    assets: false,
    ...(options.logger && { logger: options.logger }),
    // API Gateway / Function URL: the caller's address from the event's request context.
    connectionAddress: (c) => getConnInfo(c).remote.address,
  });
  const limit = options.responseLimitBytes ?? LAMBDA_RESPONSE_LIMIT_BYTES;
  // A body whose Content-Length already says it cannot fit is refused before it is read and encoded.
  const guarded = new Hono().all('*', async (c) => {
    const res = await node.app.fetch(c.req.raw, c.env);
    const least = encodedLength(res);
    if (least <= limit) return res;
    await res.body?.cancel();
    node.logger.warn(
      { status: res.status, size: least, limit },
      'answer over the Lambda response limit: 413',
    );
    const requestId = res.headers.get('x-request-id') ?? undefined;
    return tooLarge(least, limit, new URL(c.req.url).pathname, requestId);
  });
  const toLambda = handle(guarded);
  const handler: LambdaHandler = async (event, context) => {
    const result = await toLambda(event, context);
    const fitted = await fitResponseLimit(event, context, result, limit);
    if (fitted !== result) {
      node.logger.warn({ status: result.statusCode, limit }, 'answer over the Lambda response limit: 413');
    }
    return fitted;
  };
  return { handler, node, settings };
}

/** The least size of the response's body in the result: its Content-Length, ×4/3 when base64-encoded. */
function encodedLength(res: Response): number {
  const length = Number(res.headers.get('content-length'));
  if (!Number.isFinite(length) || length <= 0) return 0;
  const type = res.headers.get('content-type');
  return type && defaultIsContentTypeBinary(type) ? Math.ceil(length / 3) * 4 : length;
}

/**
 * The result itself when its serialised size is within `limit`, else the 413 response_too_large
 * problem (with `size` and `limit`) in the event's own result shape, instead of the platform's error.
 */
export async function fitResponseLimit(
  event: LambdaEvent,
  context: LambdaContext | undefined,
  result: LambdaResult,
  limit: number,
): Promise<LambdaResult> {
  const size = Buffer.byteLength(JSON.stringify(result));
  if (size <= limit) return result;
  const requestId = requestIdOf(result);
  const problem = new Hono().all('*', (c) => tooLarge(size, limit, new URL(c.req.url).pathname, requestId));
  return handle(problem)(event, context);
}

/** The 413 response_too_large problem; `size` is the answer's size in bytes (at least). */
function tooLarge(size: number, limit: number, instance: string, requestId: string | undefined): Response {
  const error = new NetlensError(
    'response_too_large',
    `the answer is ${size} bytes or more, over the ${limit}-byte limit of an AWS Lambda response; ask for ` +
      'less (fewer images per request, a smaller top) or download model files from a server or object store',
    { details: { size, limit } },
  );
  return problemResponse(error, {
    instance,
    ...(requestId !== undefined && { requestId, headers: { 'x-request-id': requestId } }),
  });
}

function requestIdOf(result: LambdaResult): string | undefined {
  const value = result.headers?.['x-request-id'] ?? result.multiValueHeaders?.['x-request-id']?.[0];
  return typeof value === 'string' ? value : undefined;
}
