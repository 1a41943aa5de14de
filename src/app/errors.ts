/**
 * The one error path of the app: every failure becomes an RFC 9457 problem document here (problem.ts
 * maps codes to types and statuses), and nowhere else.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode, StatusCode } from 'hono/utils/http-status';
import { type ErrorCode, NetlensError, isNetlensError, messageOf } from '../core/errors.js';
import { ClientClosedRequest } from './client-closed.js';
import type { AppEnv } from './env.js';
import { problemAnswer } from './problem.js';

export { ClientClosedRequest };

/**
 * A NetlensError as the problem+json answer, keeping the headers middleware set before the error
 * (X-Request-Id, WWW-Authenticate, CORS, Connection): c.body() adds them without building the context's
 * own answer first. Reading c.res would build it, and Hono would then rebuild this answer around a body
 * stream when it is assigned. (An error thrown after an answer was made gets that answer's headers from
 * Hono as it assigns this one.)
 */
function problem(c: Context<AppEnv>, error: NetlensError): Response {
  const { body, status, headers } = problemAnswer(error, {
    instance: c.req.path,
    requestId: c.get('requestId'),
  });
  return c.body(body, status as ContentfulStatusCode, headers);
}

/** app.onError: typed errors as problems, Hono's own as their closest code, anything else as 500. */
export function onError(error: Error, c: Context<AppEnv>): Response {
  if (error instanceof ClientClosedRequest) {
    c.get('logger')?.info({}, 'client closed the request; its work was dropped');
    // Through c.body() like every answer, so it carries the headers set before (the request id).
    return c.body(null, 499 as StatusCode);
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
}

/** app.notFound */
export function notFound(c: Context<AppEnv>): Response {
  return problem(c, new NetlensError('not_found', `no route for ${c.req.method} ${c.req.path}`));
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
