/**
 * One error type for the whole product. Core code throws NetlensError with a stable `code`;
 * adapters map codes to exit statuses (CLI) or RFC 9457 problem documents (HTTP) in one place.
 */
export const ERROR_CODES = {
  invalid_argument: 400,
  unauthorized: 401,
  webhook_unsigned: 401,
  webhook_signature_invalid: 401,
  webhook_expired: 401,
  webhook_replayed: 401,
  unknown_model: 404,
  not_found: 404,
  /** The request's headers did not arrive within NETLENS_HEADERS_TIMEOUT_MS (the Node server). */
  request_timeout: 408,
  job_conflict: 409,
  payload_too_large: 413,
  response_too_large: 413,
  unsupported_media_type: 415,
  bad_image: 422,
  image_too_large: 422,
  invalid_manifest: 422,
  invalid_model_file: 422,
  /** A training data set netlens cannot learn from (too few labels or images). */
  invalid_dataset: 422,
  unsupported_layer: 422,
  url_refused: 422,
  rate_limited: 429,
  /** The request's header section is over the HTTP parser's limit (the Node server: 16 KiB). */
  headers_too_large: 431,
  fetch_failed: 502,
  timeout: 504,
  queue_full: 503,
  model_not_ready: 503,
  provider_unavailable: 503,
  store_unavailable: 503,
  integrity_error: 500,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface NetlensErrorOptions {
  cause?: unknown;
  /** Structured facts for the client (valid values, limits, the file concerned). Never internals. */
  details?: Record<string, unknown>;
}

export class NetlensError extends Error {
  override readonly name = 'NetlensError';
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: NetlensErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
  }

  get status(): number {
    return ERROR_CODES[this.code];
  }
}

export function isNetlensError(value: unknown): value is NetlensError {
  return value instanceof NetlensError;
}

/** The message of anything thrown, for logs and collected failure lists. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
