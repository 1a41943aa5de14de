import { ERROR_CODES, type ErrorCode, NetlensError } from '../core/errors.js';

/**
 * RFC 9457 problem documents: the one place NetlensError codes become HTTP answers. Every code has a
 * stable `type` (a relative URI that this app serves as a short description, GET /problems/{code}) and
 * title; `detail` is the error's message and the error's `details` become extension members.
 */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const TITLES: Record<ErrorCode, string> = {
  invalid_argument: 'Invalid argument',
  unauthorized: 'Unauthorized',
  webhook_unsigned: 'Webhook not signed',
  webhook_signature_invalid: 'Webhook signature invalid',
  webhook_expired: 'Webhook timestamp outside the tolerance',
  webhook_replayed: 'Webhook id replayed',
  request_timeout: 'Request headers timed out',
  headers_too_large: 'Request headers too large',
  job_conflict: 'Job state conflict',
  url_refused: 'URL refused',
  fetch_failed: 'Fetch failed',
  store_unavailable: 'Job store unavailable',
  unknown_model: 'Unknown model',
  not_found: 'Not found',
  payload_too_large: 'Payload too large',
  response_too_large: 'Response too large for the platform',
  unsupported_media_type: 'Unsupported media type',
  bad_image: 'Bad image',
  image_too_large: 'Image too large',
  invalid_manifest: 'Invalid manifest',
  invalid_model_file: 'Invalid model file',
  invalid_dataset: 'Invalid data set',
  unsupported_layer: 'Unsupported layer',
  rate_limited: 'Too many requests',
  timeout: 'Timed out',
  queue_full: 'Queue full',
  model_not_ready: 'Model not ready',
  provider_unavailable: 'Execution provider unavailable',
  integrity_error: 'Model integrity check failed',
  internal: 'Internal server error',
};

const DESCRIPTIONS: Record<ErrorCode, string> = {
  invalid_argument: 'A parameter or the JSON body failed validation; `errors` lists each problem.',
  unauthorized: 'An API key is required (Authorization: Bearer <key> or X-API-Key) and was missing or wrong.',
  webhook_unsigned:
    'The webhook has no Standard Webhooks headers (webhook-id, webhook-timestamp, webhook-signature), or the server has no webhook secret configured.',
  webhook_signature_invalid:
    'No v1 signature in webhook-signature matches the body under any active secret (docs/webhooks.md shows how to sign).',
  webhook_expired:
    'webhook-timestamp is more than 5 minutes away from the server clock; sign each attempt with the current time.',
  webhook_replayed:
    'This webhook-id was already used for a different body: an id names one message (a repeat with the same body answers the existing job).',
  request_timeout:
    'The request line and headers did not arrive within NETLENS_HEADERS_TIMEOUT_MS; the connection is closed.',
  headers_too_large:
    "The request's header section is larger than the server's HTTP parser accepts (16 KiB on Node); the connection is closed.",
  job_conflict:
    'The job is not in a state that allows this (e.g. retrying a job that has not failed); `state` says where it is.',
  url_refused:
    'The URL is not fetched: only http(s) to public addresses (no loopback, private, link-local, CGNAT, multicast or metadata addresses unless NETLENS_FETCH_ALLOW lists them).',
  fetch_failed:
    'The image could not be fetched (status, size limit or timeout); `lastError` of the job says which.',
  store_unavailable: 'The job store (SQLite, Redis or D1) did not answer.',
  unknown_model: 'No model of that name is installed; `models` lists the installed ones.',
  not_found: 'No such resource.',
  payload_too_large: 'The body or the number of images is over the limit given in `limit`.',
  response_too_large:
    'The answer is larger than the platform can return (AWS Lambda: 6 MB per synchronous response, `limit`, `size` in bytes); ask for less (fewer images, a smaller `top`) or fetch model files from a server that streams them.',
  unsupported_media_type:
    'The body is not an image this server decodes (the type is taken from the bytes, not the Content-Type header), or the Content-Type is not accepted.',
  bad_image: 'The bytes look like an image but could not be decoded (truncated or corrupt).',
  image_too_large: 'The image has more pixels than the server accepts (`limit`).',
  invalid_manifest: 'A model manifest on the server is invalid.',
  invalid_model_file: 'A model file on the server is invalid.',
  invalid_dataset: 'A training data set has too few labels or images (netlens train).',
  unsupported_layer: 'The model uses a layer the converter does not support.',
  rate_limited:
    'This API key sent more requests than its rate limit allows, or this client address failed authentication too often; retry after `Retry-After` seconds.',
  timeout: 'The request, reading its body included, took longer than the server timeout and was abandoned.',
  queue_full: "The model's queue is full; retry after `Retry-After` seconds.",
  model_not_ready:
    'The model is not loaded yet or could not be loaded, or the server is shutting down; retry after `Retry-After` seconds.',
  provider_unavailable: 'The requested execution provider is not available on this host.',
  integrity_error: "A model file does not match its manifest's sha256.",
  internal: 'An unexpected failure; it was logged with the request id.',
};

export function problemType(code: ErrorCode): string {
  return `/problems/${code.replaceAll('_', '-')}`;
}

export function codeOfProblemSlug(slug: string): ErrorCode | undefined {
  const code = slug.replaceAll('-', '_');
  return code in ERROR_CODES ? (code as ErrorCode) : undefined;
}

export function describeProblem(code: ErrorCode): Record<string, unknown> {
  return {
    type: problemType(code),
    title: TITLES[code],
    status: ERROR_CODES[code],
    description: DESCRIPTIONS[code],
  };
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  requestId?: string;
  code: ErrorCode;
  [extension: string]: unknown;
}

/** Server-side failures keep their message out of the answer (it may name paths or internals). */
const PRIVATE: ReadonlySet<ErrorCode> = new Set(['internal', 'integrity_error', 'invalid_model_file']);

function toProblem(error: NetlensError, instance?: string, requestId?: string): Problem {
  const hidden = PRIVATE.has(error.code);
  const problem: Problem = {
    ...(hidden ? {} : error.details),
    type: problemType(error.code),
    title: TITLES[error.code],
    status: error.status,
    detail: hidden ? 'The server failed to answer this request; the failure was logged.' : error.message,
    code: error.code,
  };
  if (instance !== undefined) problem.instance = instance;
  if (requestId !== undefined) problem.requestId = requestId;
  return problem;
}

/**
 * Seconds in Retry-After of a 503 whose error does not say (`details.retryAfterSeconds` wins): every 503
 * tells the client when to try again — a model still loading or a store that blinked usually answers
 * within seconds.
 */
export const DEFAULT_RETRY_AFTER_SECONDS = 5;

type ProblemOptions = { instance?: string; requestId?: string; headers?: Record<string, string> };

/** The problem document as the parts of an HTTP answer; every 503 carries Retry-After. */
export function problemAnswer(
  error: NetlensError,
  options: ProblemOptions = {},
): { body: string; status: number; headers: Record<string, string> } {
  const problem = toProblem(error, options.instance, options.requestId);
  const headers: Record<string, string> = { 'content-type': PROBLEM_CONTENT_TYPE, ...options.headers };
  const retry = error.details.retryAfterSeconds;
  if (typeof retry === 'number') headers['retry-after'] = String(retry);
  else if (problem.status === 503) headers['retry-after'] = String(DEFAULT_RETRY_AFTER_SECONDS);
  return { body: JSON.stringify(problem), status: problem.status, headers };
}

/** The problem document as an HTTP answer (problemAnswer's parts in a Response). */
export function problemResponse(error: NetlensError, options: ProblemOptions = {}): Response {
  const { body, status, headers } = problemAnswer(error, options);
  return new Response(body, { status, headers });
}
