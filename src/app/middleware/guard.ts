import type { MiddlewareHandler } from 'hono';
import { bodyLimit as honoBodyLimit } from 'hono/body-limit';
import { NetlensError } from '../../core/errors.js';
import type { AppDeps, AppEnv } from '../env.js';
import { ApiKeys, RateLimiter, presentedKey } from '../security.js';

/**
 * Guards /v1/*: refuses new work while the server drains (503, Connection: close), then — when API
 * keys are configured — requires one (401) and applies its rate limit (429 + Retry-After). Signed
 * webhooks (/v1/hooks/*) need no API key: their signature is checked by the job service.
 */
export function v1Guard(deps: Pick<AppDeps, 'config' | 'lifecycle'>): MiddlewareHandler<AppEnv> {
  const apiKeys = new ApiKeys(deps.config.apiKeys);
  const limiter = new RateLimiter(deps.config.rateLimit);
  return async (c, next) => {
    if (deps.lifecycle.draining) {
      c.header('connection', 'close');
      throw new NetlensError('model_not_ready', 'the server is shutting down; retry on another instance');
    }
    // Webhooks authenticate with their signature (src/jobs/signature.ts), not an API key.
    if (!apiKeys.enabled || c.req.path.startsWith('/v1/hooks/')) return next();
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
  };
}

/**
 * The request body limit of image routes, failing with payload_too_large. A declared Content-Length is
 * checked without touching the body: reading `request.body` (as hono's bodyLimit does first) turns
 * @hono/node-server's request into a web ReadableStream, and the image is then read through that
 * stream instead of straight from Node's socket — measurably more CPU and garbage per image. Bodies of
 * unknown length (chunked) are counted while read, by hono's bodyLimit.
 */
export function bodyLimit(maxSize: number): MiddlewareHandler<AppEnv> {
  const tooLarge = (): never => {
    throw new NetlensError('payload_too_large', `the body is larger than ${maxSize} bytes`, {
      details: { limit: maxSize },
    });
  };
  const counted = honoBodyLimit({ maxSize, onError: tooLarge });
  return async (c, next) => {
    const headers = c.req.raw.headers;
    const length = headers.get('content-length');
    if (length === null || headers.has('transfer-encoding')) return counted(c, next);
    if (Number.parseInt(length, 10) > maxSize) tooLarge();
    return next();
  };
}
