import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { roundMs } from '../../core/units.js';
import type { AppDeps, AppEnv } from '../env.js';

/**
 * The first middleware: a request id (the client's X-Request-Id when well formed), a child logger, the
 * client's abort signal and the start time on the context; the in-flight count; and, when the answer is
 * ready, one log line and the request metrics labelled with the matched route pattern.
 */
export function requestContext(
  deps: Pick<AppDeps, 'logger' | 'metrics' | 'lifecycle' | 'config'>,
): MiddlewareHandler<AppEnv> {
  // With clock 'io' the duration is only the request's I/O waits: logged under that name.
  const durationField = deps.config.clock === 'wall' ? 'ms' : 'ioWaitMs';
  return async (c, next) => {
    const startedAt = performance.now();
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && /^[\w.:-]{1,128}$/.test(incoming) ? incoming : crypto.randomUUID();
    c.set('requestId', requestId);
    c.set('startedAt', startedAt);
    c.set('clientSignal', c.req.raw.signal);
    c.set('lifecycle', deps.lifecycle);
    const log = deps.logger.child({ reqId: requestId });
    c.set('logger', log);
    // Set before the handler runs: every answer, the error path's included, is built with Hono's c.*()
    // and so carries it. Setting a header on a finished answer would make Hono rebuild it around a body
    // stream (@hono/node-server then streams it instead of writing it in one call).
    c.header('x-request-id', requestId);
    deps.lifecycle.begin();
    try {
      await next();
    } finally {
      deps.lifecycle.end();
      const route = routeLabel(c);
      const seconds = (performance.now() - startedAt) / 1000;
      deps.metrics.observeRequest(route, c.req.method, c.res.status, seconds);
      const level = c.res.status >= 500 ? 'warn' : 'info';
      log[level](
        {
          method: c.req.method,
          path: c.req.path,
          route,
          status: c.res.status,
          [durationField]: roundMs(seconds * 1000),
        },
        'request',
      );
    }
  };
}

/** The pattern of the route that answered (e.g. /v1/models/:model/classify); 'other' when none did. */
function routeLabel(c: Context<AppEnv>): string {
  const handler = matchedRoutes(c)
    .filter((r) => r.method !== 'ALL')
    .at(-1);
  return handler?.path ?? 'other';
}
