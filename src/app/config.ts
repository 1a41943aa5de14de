import { z } from 'zod';
import { NetlensError } from '../core/errors.js';
import type { ImageFormat } from '../core/image-types.js';
import { sha256OfText } from '../core/hash.js';
import type { Settings } from '../settings/index.js';

const IMAGE_FORMATS = [
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
  /**
   * Bytes the images being decoded and preprocessed may take together, estimated from each header
   * (core decodeCost); an image whose estimate alone is larger is refused (image_too_large).
   */
  decodeBudgetBytes: z
    .number()
    .positive()
    .default(1024 * 1024 * 1024),
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
  /** Failed API-key checks per client address (429 + Retry-After above). */
  authFailureLimit: RateLimitSchema.default({ perMinute: 30, burst: 10 }),
  /** Proxies (IPs or CIDR blocks) whose X-Forwarded-For names the client address. */
  trustedProxies: z.array(z.string()).default([]),
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
  /**
   * What the runtime's clock measures (a fact of the runtime kit, never sniffed). 'wall': durations are
   * wall time. 'io': the clock stands still during CPU work and moves only across I/O (Cloudflare
   * Workers, a Spectre mitigation), so the CPU-bound timings are reported as not measured (null) and the
   * latency histograms are left out of /metrics.
   */
  clock: z.enum(['wall', 'io']).default('wall'),
  /** Webhook-triggered jobs (docs/webhooks.md); on when an entry point gives a job store. */
  jobs: z
    .object({
      /** Standard Webhooks secrets (whsec_…): inbound hooks match any, callbacks are signed with the first. */
      webhookSecrets: z.array(z.string()).default([]),
      /** Tries of a job whose fetch or classification failed for a passing reason. */
      attempts: z.number().int().positive().default(3),
      callbackAttempts: z.number().int().positive().default(8),
      callbackBackoffMs: z.number().int().positive().default(2000),
      /** Lease of a job being worked on (a dead process's jobs are taken again after it). */
      leaseMs: z.number().int().positive().default(60_000),
      /** Finished jobs are deleted this long after they finished. */
      retentionMs: z
        .number()
        .int()
        .positive()
        .default(7 * 24 * 3600 * 1000),
      /** CIDR blocks fetches and callbacks may reach although not public. */
      fetchAllow: z.array(z.string()).default([]),
    })
    .prefault({}),
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
 * The app configuration the settings module's values give (runtime facts, such as the formats the
 * decoder reads, come from the runtime kit). Clear API keys are hashed here and never kept.
 */
export async function appConfigFromSettings(
  settings: Settings,
  runtime: { formats: readonly ImageFormat[]; clock: AppConfig['clock'] },
): Promise<AppConfigInput> {
  const apiKeys = await Promise.all(
    settings.apiKeys.map(async (k) => ({
      name: k.name,
      sha256: 'sha256' in k ? k.sha256 : await sha256OfText(k.key),
    })),
  );
  return {
    maxBodyBytes: settings.maxBodyBytes,
    maxImagesPerRequest: settings.maxImages,
    maxPixels: settings.maxPixels,
    maxDecoding: settings.maxDecoding,
    decodeBudgetBytes: Math.floor(settings.decodeBudgetMiB * 1024 * 1024),
    formats: IMAGE_FORMATS.filter((f) => runtime.formats.includes(f)),
    batching: {
      maxBatch: settings.maxBatch,
      maxDelayMs: settings.maxDelayMs,
      maxQueue: settings.maxQueue,
      concurrency: settings.concurrency,
    },
    requestTimeoutMs: settings.timeoutMs,
    apiKeys,
    rateLimit: settings.rateLimit,
    authFailureLimit: settings.authFailureLimit,
    trustedProxies: settings.trustedProxies,
    cors: { origins: settings.corsOrigins },
    clock: runtime.clock,
    jobs: {
      webhookSecrets: settings.webhookSecrets,
      attempts: settings.jobAttempts,
      callbackAttempts: settings.callbackAttempts,
      callbackBackoffMs: settings.callbackBackoffMs,
      leaseMs: settings.jobVisibilityMs,
      retentionMs: Math.round(settings.jobRetentionHours * 3600 * 1000),
      fetchAllow: settings.fetchAllow,
    },
  };
}
