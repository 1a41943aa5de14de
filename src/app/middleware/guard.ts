import type { MiddlewareHandler } from 'hono';
import { NetlensError } from '../../core/errors.js';
import { readBody } from '../body.js';
import { withDeadline } from '../deadline.js';
import type { AppDeps, AppEnv } from '../env.js';
import { shuttingDown } from '../lifecycle.js';
import { ApiKeys, clientAddress, limitKey, presentedKey, RateLimiter } from '../security.js';

/**
 * Guards /v1/*: refuses new work while the server drains (503, Retry-After, Connection: close), then —
 * when API keys are configured — requires one (401) and applies its rate limit (429 + Retry-After).
 * Failed key checks are limited per client address (config.authFailureLimit): an address past it gets
 * 429 + Retry-After before its key is even checked. Signed webhooks (/v1/hooks/*) need no API key:
 * their signature is checked by the job service.
 */
export function v1Guard(
  deps: Pick<AppDeps, 'config' | 'lifecycle' | 'connectionAddress'>,
): MiddlewareHandler<AppEnv> {
  const { config } = deps;
  const apiKeys = new ApiKeys(config.apiKeys);
  const limiter = new RateLimiter(config.rateLimit);
  const failures = new RateLimiter(config.authFailureLimit);
  return async (c, next) => {
    if (deps.lifecycle.draining) {
      c.header('connection', 'close');
      throw shuttingDown();
    }
    // Webhooks authenticate with their signature (src/jobs/signature.ts), not an API key.
    if (!apiKeys.enabled || c.req.path.startsWith('/v1/hooks/')) return next();
    const address = limitKey(
      clientAddress(deps.connectionAddress(c), c.req.raw.headers, config.trustedProxies),
    );
    const presented = presentedKey(c.req.raw.headers);
    const key = presented === undefined ? undefined : await apiKeys.verify(presented);
    if (!key) {
      // Checked after the key: a valid key always passes, so failures from an address shared with
      // others (a NAT, a proxy not listed in NETLENS_TRUSTED_PROXIES) cannot lock its clients out.
      failures.check(address);
      failures.spend(address);
      c.get('logger').info({ client: address }, 'authentication failed');
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
 * The request body limit, failing with payload_too_large: a declared Content-Length over the limit is
 * refused at once, without touching the body. Nothing is read here: the route reads the body inside its
 * deadline with readBody (body.ts), which counts a body of unknown length (chunked) while it arrives.
 * (Reading `request.body` here, as hono's bodyLimit does, would also turn @hono/node-server's request
 * into a web ReadableStream, so that an image is no longer read straight from Node's socket —
 * measurably more CPU and garbage per image.)
 */
export function bodyLimit(maxSize: number): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const headers = c.req.raw.headers;
    const length = headers.get('content-length');
    if (length !== null && !headers.has('transfer-encoding') && Number.parseInt(length, 10) > maxSize) {
      throw new NetlensError('payload_too_large', `the body is larger than ${maxSize} bytes`, {
        details: { limit: maxSize },
      });
    }
    return next();
  };
}

/**
 * For routes whose body a validator reads before the handler (the signed webhook's JSON): reads it here
 * under the request deadline and the body limit (readBody), then hands the route the buffered bytes.
 */
export function bufferedBody(deps: Pick<AppDeps, 'config'>): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    // A GET or HEAD has no body (and a Request with one cannot be made).
    if (c.req.raw.body === null || c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    const bytes = await withDeadline(c, deps.config.requestTimeoutMs, (signal) =>
      readBody(c.req.raw, { maxBytes: deps.config.maxBodyBytes, signal }),
    );
    c.req.raw = new Request(c.req.raw, { body: bytes });
    return next();
  };
}
