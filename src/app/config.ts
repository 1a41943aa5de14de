import { z } from 'zod';
import { NetlensError } from '../core/errors.js';
import type { ImageFormat } from '../core/image-types.js';
import { sha256Hex } from '../core/model-source.js';

export const IMAGE_FORMATS = [
  'jpeg',
  'png',
  'webp',
  'gif',
  'avif',
  'tiff',
  'bmp',
] as const satisfies readonly ImageFormat[];

const RateLimitSchema = z.object({
  /** Sustained requests per minute. */
  perMinute: z.number().positive(),
  /** Requests allowed at once before the sustained rate applies (token bucket size). */
  burst: z.number().int().positive(),
});

const ApiKeySchema = z.object({
  /** Shown in logs and metrics instead of the key. */
  name: z.string().min(1),
  /** Lowercase hex sha256 of the key: keys are never kept in clear. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex sha256'),
  rateLimit: RateLimitSchema.optional(),
});

export const AppConfigSchema = z.object({
  /** Largest request body in bytes (413 above). */
  maxBodyBytes: z
    .number()
    .int()
    .positive()
    .default(32 * 1024 * 1024),
  /** Most images in one request (multipart files or JSON images; 413 above). */
  maxImagesPerRequest: z.number().int().positive().default(64),
  /** Largest image in pixels, checked from the header before decoding (422 image_too_large above). */
  maxPixels: z.number().int().positive().default(40_000_000),
  /**
   * Images decoded and preprocessed at once (first come, first served); the others wait as compressed
   * bytes, which bounds memory and keeps the order under a burst.
   */
  maxDecoding: z.number().int().positive().default(4),
  /** Image formats accepted, detected from the bytes (415 for others). */
  formats: z.array(z.enum(IMAGE_FORMATS)).default([...IMAGE_FORMATS]),
  batching: z
    .object({
      /** Images run together in one engine call at most. 1 turns batching off. */
      maxBatch: z.number().int().positive().default(16),
      /** How long the first image of a batch waits for others when the engine is idle. */
      maxDelayMs: z.number().nonnegative().default(2),
      /** Images waiting per model before new ones get 503 + Retry-After. */
      maxQueue: z.number().int().positive().default(256),
      /** Engine calls in flight per model (1 lets the engine use every core for one batch). */
      concurrency: z.number().int().positive().default(1),
    })
    .prefault({}),
  /** Per-request deadline (504 after it); queued work of a request past it is dropped. */
  requestTimeoutMs: z.number().int().positive().default(30_000),
  /** When non-empty, /v1/* needs one of these keys. */
  apiKeys: z.array(ApiKeySchema).default([]),
  /** Default per-key rate limit (keys may set their own). */
  rateLimit: RateLimitSchema.default({ perMinute: 600, burst: 60 }),
  cors: z
    .object({
      /** Allowed origins; ['*'] for any. Empty: no CORS headers. */
      origins: z.array(z.string()).default([]),
      maxAgeSeconds: z.number().int().nonnegative().default(600),
    })
    .prefault({}),
  /** Serve the demo page with COOP/COEP so browsers allow WASM threads (SharedArrayBuffer). */
  crossOriginIsolation: z.boolean().default(true),
  /** GET /v1/models/{model}/files/{variant}: the ONNX bytes, for the page's in-browser mode. */
  exposeModelFiles: z.boolean().default(true),
  /** Default `top`. */
  defaultTop: z.number().int().min(1).max(1000).default(5),
});

export type AppConfig = z.output<typeof AppConfigSchema>;
export type AppConfigInput = z.input<typeof AppConfigSchema>;
export type RateLimit = z.output<typeof RateLimitSchema>;
export type ApiKeyConfig = z.output<typeof ApiKeySchema>;

export function parseAppConfig(input: AppConfigInput = {}): AppConfig {
  const result = AppConfigSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new NetlensError('invalid_argument', `invalid server configuration: ${problems.join('; ')}`, {
      details: { problems },
    });
  }
  return result.data;
}

/**
 * Configuration from environment variables (any runtime passes its env as a plain record):
 * NETLENS_MAX_BODY_BYTES, NETLENS_MAX_IMAGES, NETLENS_MAX_PIXELS, NETLENS_MAX_DECODING, NETLENS_MAX_BATCH, NETLENS_MAX_DELAY_MS,
 * NETLENS_MAX_QUEUE, NETLENS_CONCURRENCY, NETLENS_TIMEOUT_MS, NETLENS_CORS_ORIGINS (comma list),
 * NETLENS_API_KEYS (comma list of `name:key`, `name:sha256:<hex>`, `key` or `sha256:<hex>`),
 * NETLENS_RATE_LIMIT (`<perMinute>[/<burst>]`). Values in `base` win over nothing, env wins over `base`.
 */
export async function configFromEnv(
  env: Record<string, string | undefined>,
  base: AppConfigInput = {},
): Promise<AppConfigInput> {
  const out: AppConfigInput = { ...base, batching: { ...base.batching }, cors: { ...base.cors } };
  const int = (name: string): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    const value = Number(raw);
    if (!Number.isFinite(value)) {
      throw new NetlensError('invalid_argument', `${name} must be a number, got '${raw}'`);
    }
    return value;
  };
  const set = <T>(value: T | undefined, apply: (v: T) => void): void => {
    if (value !== undefined) apply(value);
  };
  set(int('NETLENS_MAX_BODY_BYTES'), (v) => (out.maxBodyBytes = v));
  set(int('NETLENS_MAX_IMAGES'), (v) => (out.maxImagesPerRequest = v));
  set(int('NETLENS_MAX_PIXELS'), (v) => (out.maxPixels = v));
  set(int('NETLENS_MAX_DECODING'), (v) => (out.maxDecoding = v));
  set(int('NETLENS_TIMEOUT_MS'), (v) => (out.requestTimeoutMs = v));
  set(int('NETLENS_MAX_BATCH'), (v) => (out.batching!.maxBatch = v));
  set(int('NETLENS_MAX_DELAY_MS'), (v) => (out.batching!.maxDelayMs = v));
  set(int('NETLENS_MAX_QUEUE'), (v) => (out.batching!.maxQueue = v));
  set(int('NETLENS_CONCURRENCY'), (v) => (out.batching!.concurrency = v));
  if (env.NETLENS_CORS_ORIGINS) out.cors!.origins = splitList(env.NETLENS_CORS_ORIGINS);
  if (env.NETLENS_RATE_LIMIT) {
    const match = /^(\d+(?:\.\d+)?)(?:\/(\d+))?$/.exec(env.NETLENS_RATE_LIMIT.trim());
    if (!match) {
      throw new NetlensError(
        'invalid_argument',
        `NETLENS_RATE_LIMIT must look like '600' or '600/60' (per minute / burst), got '${env.NETLENS_RATE_LIMIT}'`,
      );
    }
    const perMinute = Number(match[1]);
    out.rateLimit = {
      perMinute,
      burst: match[2] ? Number(match[2]) : Math.max(1, Math.ceil(perMinute / 10)),
    };
  }
  if (env.NETLENS_API_KEYS)
    out.apiKeys = [...(base.apiKeys ?? []), ...(await parseApiKeys(env.NETLENS_API_KEYS))];
  return out;
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** `name:key`, `name:sha256:<hex>`, `key` or `sha256:<hex>`, comma separated. Clear keys are hashed at once. */
export async function parseApiKeys(value: string): Promise<ApiKeyConfig[]> {
  const keys: ApiKeyConfig[] = [];
  for (const [i, entry] of splitList(value).entries()) {
    const parts = entry.split(':');
    let name = `key${i + 1}`;
    let rest = parts;
    if (parts.length >= 2 && parts[0] !== 'sha256') {
      name = parts[0]!;
      rest = parts.slice(1);
    }
    const hashed = rest[0] === 'sha256' && rest.length === 2 && /^[0-9a-f]{64}$/.test(rest[1]!);
    const sha256 = hashed ? rest[1]! : await sha256Hex(new TextEncoder().encode(rest.join(':')));
    keys.push({ name, sha256 });
  }
  return keys;
}
