import { NetlensError } from '../core/errors.js';
import { WORST_DECODE_BYTES_PER_PIXEL } from '../core/image/decode-cost.js';
import {
  type ApiKeySetting,
  type Kind,
  type RateLimitSetting,
  apiKeys,
  cidr,
  decimal,
  flag,
  httpUrl,
  int,
  list,
  modelName,
  oneOf,
  queueUrl,
  rateLimit,
  text,
  webhookSecret,
} from './kinds.js';

/**
 * Every environment variable netlens reads, parsed in this one place with one rule per kind
 * (kinds.ts). Entry points call `readSettings(env, host)` once and hand the typed result to the
 * runtime kit, the registry and the app; nothing else reads `process.env` or a Worker's env.
 * docs/settings.md holds the same table for people (a test keeps the two equal).
 */
export type Runtime = 'node' | 'edge';

/** What defaults depend on: where netlens runs and how many cores the host has. */
export interface Host {
  runtime: Runtime;
  cores: number;
}

/** Where a variable is read: 'all', the Node server and CLI, the Worker, or the Worker's build. */
export type Scope = 'all' | 'node' | 'edge' | 'edge build';

interface Spec<T> {
  readonly env: string;
  readonly kind: Kind<T>;
  /** A fixed default, or one derived from the host and the values resolved before this one. */
  readonly default: T | ((context: DefaultContext) => T);
  /** The default in words, for docs/settings.md. */
  readonly defaultText: string;
  readonly scope: Scope;
  readonly doc: string;
  /** Old names still accepted, with a warning. */
  readonly deprecated?: readonly string[];
}

interface DefaultContext {
  host: Host;
  /** Values of the settings declared above this one (explicit or defaulted). */
  resolved: Partial<Settings>;
  /** Only the values given in the environment. */
  explicit: Partial<Settings>;
}

function spec<T>(s: Spec<T>): Spec<T> {
  return s;
}

export const DEFAULT_MODEL = 'nsfw-mobilenet-v2';

/** The old-generation floor of the server's threads, MiB (NETLENS_THREAD_OLD_SPACE_MIB; node's command line for the HTTP thread). */
export const DEFAULT_THREAD_OLD_SPACE_MIB = 128;

const MIB = 1024 * 1024;
const providerName: Kind<string> = {
  describe: 'an execution provider (cuda, tensorrt, webgpu, dml, coreml, cpu; wasm at the edge)',
  parse: (value) => value.toLowerCase(),
};

/** True when the resolved providers or requireGpu ask for a GPU (batching defaults depend on it). */
function wantsGpu(resolved: Partial<Settings>): boolean {
  return resolved.requireGpu === true || (resolved.providers ?? []).some((p) => p !== 'cpu' && p !== 'wasm');
}

/** Every setting, typed. */
export interface Settings {
  port: number;
  host: string;
  modelsDir: string | undefined;
  models: string[];
  defaultModel: string;
  providers: string[];
  requireGpu: boolean;
  engineWorker: boolean;
  sessions: number;
  concurrency: number;
  threads: number;
  spinning: boolean;
  prepareThreads: number;
  threadOldSpaceMiB: number;
  warmUp: boolean;
  maxBatch: number;
  maxDelayMs: number;
  maxQueue: number;
  maxBodyBytes: number;
  maxImages: number;
  maxPixels: number;
  maxDecoding: number;
  timeoutMs: number;
  corsOrigins: string[];
  apiKeys: ApiKeySetting[];
  rateLimit: RateLimitSetting;
  memoryBudgetMiB: number;
  decodeBudgetMiB: number;
  drainTimeoutMs: number;
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
  authFailureLimit: RateLimitSetting;
  trustedProxies: string[];
  logLevel: LogLevelSetting;
  modelStore: 'assets' | 'r2';
  edgeDebug: boolean;
  webhookSecrets: string[];
  queue: string | undefined;
  jobConcurrency: number;
  jobAttempts: number;
  jobVisibilityMs: number;
  jobRetentionHours: number;
  callbackAttempts: number;
  callbackBackoffMs: number;
  fetchAllow: string[];
  fetchMaxBytes: number;
  fetchTimeoutMs: number;
  fetchConnectTimeoutMs: number;
  r2CallbackUrl: string | undefined;
}

export type SettingName = keyof Settings;

/** The table. Order matters only for derived defaults (a default may read settings above it). */
export const SETTINGS: { readonly [K in SettingName]: Spec<Settings[K]> } = {
  port: spec({
    env: 'PORT',
    kind: int({ min: 0, max: 65535 }),
    default: 8080,
    defaultText: '8080',
    scope: 'node',
    doc: 'TCP port of the HTTP server (0 picks a free one).',
  }),
  host: spec({
    env: 'HOST',
    kind: text,
    default: '127.0.0.1',
    defaultText: '127.0.0.1 (loopback only)',
    scope: 'node',
    doc: 'Interface the HTTP server listens on; 0.0.0.0 or :: to accept other hosts.',
  }),
  modelsDir: spec<string | undefined>({
    env: 'NETLENS_MODELS_DIR',
    kind: text,
    default: undefined,
    defaultText: 'models/onnx of the installation',
    scope: 'node',
    doc: 'Directory of converted models (`<name>.json` manifests beside their `.onnx` files); relative paths are taken from the working directory. Also where build:worker copies edge models from.',
  }),
  models: spec<string[]>({
    env: 'NETLENS_MODELS',
    kind: list(modelName, { nonEmpty: true }),
    default: ({ explicit }) => [explicit.defaultModel ?? DEFAULT_MODEL],
    defaultText: 'NETLENS_MODEL, else nsfw-mobilenet-v2',
    scope: 'edge',
    doc: 'Models the Worker serves: build:worker copies exactly these and the Worker answers for exactly these (one list for build and run: the scripts read it from wrangler.jsonc vars, and pass a different shell value to wrangler with --var).',
    deprecated: ['NETLENS_EDGE_MODELS'],
  }),
  defaultModel: spec<string>({
    env: 'NETLENS_MODEL',
    kind: modelName,
    default: ({ resolved, host }) =>
      (host.runtime === 'edge' ? resolved.models?.[0] : undefined) ?? DEFAULT_MODEL,
    defaultText: 'nsfw-mobilenet-v2 (Worker: the first of NETLENS_MODELS)',
    scope: 'all',
    doc: 'The default model: loaded at start (/readyz waits for it), used by the CLI when --model is not given.',
    deprecated: ['NETLENS_DEFAULT_MODEL'],
  }),
  providers: spec<string[]>({
    env: 'NETLENS_PROVIDERS',
    kind: list(providerName, { nonEmpty: true }),
    default: ({ host }) => (host.runtime === 'edge' ? ['wasm'] : ['cpu']),
    defaultText: 'cpu (Worker: wasm)',
    scope: 'all',
    doc: 'Execution providers in order of preference, e.g. cuda,webgpu,cpu. Each is tried alone; the one that runs is reported, every failure logged (docs/gpu.md).',
  }),
  requireGpu: spec<boolean>({
    env: 'NETLENS_REQUIRE_GPU',
    kind: flag,
    default: false,
    defaultText: 'off',
    scope: 'node',
    doc: 'Refuse to run on the CPU: only GPU providers are tried (cuda, webgpu when none is named) and start-up fails when none works.',
  }),
  engineWorker: spec<boolean>({
    env: 'NETLENS_ENGINE_WORKER',
    kind: flag,
    default: true,
    defaultText: 'on',
    scope: 'node',
    doc: "Run onnxruntime-node in a worker thread (its run() is synchronous and would block the server's event loop for a whole batch).",
  }),
  sessions: spec<number>({
    env: 'NETLENS_SESSIONS',
    kind: int({ min: 1 }),
    default: ({ host, resolved }) =>
      wantsGpu(resolved) || resolved.engineWorker === false ? 1 : Math.min(2, host.cores),
    defaultText: 'min(2, cores); 1 with a GPU provider or without the engine worker',
    scope: 'node',
    doc: 'Sessions of each model run side by side, each in its own inference worker thread with NETLENS_THREADS intra-op threads (memory × sessions; needs NETLENS_ENGINE_WORKER). Several one-thread sessions do more images per CPU second than one session with several threads (docs/performance.md).',
  }),
  concurrency: spec<number>({
    env: 'NETLENS_CONCURRENCY',
    kind: int({ min: 1 }),
    default: ({ host, resolved }) =>
      host.runtime === 'edge' ? 1 : Math.min(2, host.cores) * (resolved.sessions ?? 1),
    defaultText: 'min(2, cores) × NETLENS_SESSIONS (Worker: 1)',
    scope: 'all',
    doc: 'Engine calls in flight per model: 2 per session lets each inference thread start the next batch without waiting for a round trip.',
  }),
  threads: spec<number>({
    env: 'NETLENS_THREADS',
    kind: int({ min: 1 }),
    default: ({ host, resolved }) =>
      resolved.engineWorker === false
        ? Math.max(1, Math.floor(host.cores / (resolved.concurrency ?? 1)))
        : Math.max(1, Math.round((host.cores - 1) / (resolved.sessions ?? 1))),
    defaultText:
      '(cores − 1) ÷ NETLENS_SESSIONS rounded (at least 1) with the worker thread, else cores ÷ NETLENS_CONCURRENCY',
    scope: 'node',
    doc: "onnxruntime's intra-op threads per session (the server leaves a core for decoding and HTTP). The CLI uses every core unless --threads is given.",
  }),
  spinning: spec<boolean>({
    env: 'NETLENS_SPINNING',
    kind: flag,
    default: false,
    defaultText: 'off',
    scope: 'node',
    doc: "Let onnxruntime's intra-op threads spin while they wait for work (session.intra_op.allow_spinning). Off, idle threads sleep and leave the cores to decoding and HTTP (docs/performance.md).",
  }),
  prepareThreads: spec<number>({
    env: 'NETLENS_PREPARE_THREADS',
    kind: int({ min: 0 }),
    default: 1,
    defaultText: '1',
    scope: 'node',
    doc: 'Worker threads of the server that decode and preprocess images, off the HTTP thread; 0 does it on the HTTP thread (docs/performance.md).',
  }),
  threadOldSpaceMiB: spec<number>({
    env: 'NETLENS_THREAD_OLD_SPACE_MIB',
    kind: int({ min: 0, max: 4096 }),
    default: DEFAULT_THREAD_OLD_SPACE_MIB,
    defaultText: String(DEFAULT_THREAD_OLD_SPACE_MIB),
    scope: 'node',
    doc: "MiB of old-generation heap under which V8 skips full garbage collections in the server's worker threads (inference and prepare): V8's initial old-space size, set for the threads the runtime starts (and any thread started after them in the process). Images crossing between threads count against V8's limit, which with its defaults had the prepare thread run a full collection every ~26 images. A threshold, not memory reserved, but dead objects may stay until it is reached: up to this much per thread (under load the server's resident memory settled at 520–567 MB against 466–508 without it). 0 leaves the threads as node was started. The HTTP thread's floor only comes from node's command line: `npm start` and the container images run `node --initial-old-space-size=128`, and `netlens serve` warns when it is missing (docs/performance.md).",
  }),
  warmUp: spec<boolean>({
    env: 'NETLENS_WARM_UP',
    kind: flag,
    default: ({ host }) => host.runtime !== 'edge',
    defaultText: 'on (Worker: off)',
    scope: 'all',
    doc: "Run each model once with zeros when it loads, so the first request does not pay onnxruntime's lazy set-up. Off on the Worker, where the first request waits for the load anyway and a warm-up would only add one inference to it (docs/performance.md).",
  }),
  maxBatch: spec<number>({
    env: 'NETLENS_MAX_BATCH',
    kind: int({ min: 1 }),
    default: ({ host, resolved }) => (host.runtime === 'node' && wantsGpu(resolved) ? 16 : 1),
    defaultText: '1 on the CPU, 16 with a GPU provider (Worker: 1)',
    scope: 'all',
    doc: 'Images run together in one engine call at most; 1 turns batching off. On the CPU a batch runs no faster per image and costs a copy of every input (docs/performance.md).',
  }),
  maxDelayMs: spec<number>({
    env: 'NETLENS_MAX_DELAY_MS',
    kind: decimal({ min: 0 }),
    default: ({ host, resolved }) => (host.runtime === 'node' && wantsGpu(resolved) ? 2 : 0),
    defaultText: '0 on the CPU, 2 with a GPU provider',
    scope: 'all',
    doc: 'How long the first image of a batch waits for others when the engine is idle.',
  }),
  maxQueue: spec<number>({
    env: 'NETLENS_MAX_QUEUE',
    kind: int({ min: 1 }),
    default: 256,
    defaultText: '256',
    scope: 'all',
    doc: 'Images waiting per model before new ones are refused with 503 + Retry-After.',
  }),
  maxBodyBytes: spec<number>({
    env: 'NETLENS_MAX_BODY_BYTES',
    kind: int({ min: 1 }),
    default: ({ host }) => (host.runtime === 'edge' ? 16 * MIB : 32 * MIB),
    defaultText: '32 MiB (Worker: 16 MiB)',
    scope: 'all',
    doc: 'Largest request body in bytes (413 above).',
  }),
  maxImages: spec<number>({
    env: 'NETLENS_MAX_IMAGES',
    kind: int({ min: 1 }),
    default: 64,
    defaultText: '64',
    scope: 'all',
    doc: 'Most images in one request (multipart files or JSON images; 413 above).',
  }),
  maxPixels: spec<number>({
    env: 'NETLENS_MAX_PIXELS',
    kind: int({ min: 1 }),
    default: ({ host }) => (host.runtime === 'edge' ? 6_000_000 : 40_000_000),
    defaultText: '40 000 000 (Worker: 6 000 000, for its 128 MB isolate)',
    scope: 'all',
    doc: 'Largest image in pixels, checked from the header before decoding (422 image_too_large above). 40 MP covers phone cameras; the worst image at the limit (16-bit RGBA) is estimated at 610 MiB to decode, measured +340 MiB of peak RSS and ~1.2 s of decoding CPU for 39.7 MP (docs/api.md, Memory and decoding).',
  }),
  maxDecoding: spec<number>({
    env: 'NETLENS_MAX_DECODING',
    kind: int({ min: 1 }),
    default: ({ host }) => (host.runtime === 'edge' ? 4 : Math.max(2, host.cores)),
    defaultText: 'max(2, cores) (Worker: 4)',
    scope: 'all',
    doc: 'Images decoded and preprocessed at once; the others wait as compressed bytes, in arrival order.',
  }),
  timeoutMs: spec<number>({
    env: 'NETLENS_TIMEOUT_MS',
    kind: int({ min: 1 }),
    default: 30_000,
    defaultText: '30000',
    scope: 'all',
    doc: 'Per-request deadline in ms (504 after it); queued work of a request past it is dropped.',
  }),
  corsOrigins: spec<string[]>({
    env: 'NETLENS_CORS_ORIGINS',
    kind: list(text),
    default: [],
    defaultText: 'none (no CORS headers)',
    scope: 'all',
    doc: 'Origins allowed to call the API from a browser, comma separated; * for any.',
  }),
  apiKeys: spec<ApiKeySetting[]>({
    env: 'NETLENS_API_KEYS',
    kind: apiKeys,
    default: [],
    defaultText: 'none (no key needed)',
    scope: 'all',
    doc: 'When set, /v1/* needs one of these keys (Authorization: Bearer or X-API-Key): name:key, name:sha256:<hex>, key or sha256:<hex>, comma separated. Clear keys are hashed at start and never kept.',
  }),
  rateLimit: spec<RateLimitSetting>({
    env: 'NETLENS_RATE_LIMIT',
    kind: rateLimit,
    default: { perMinute: 600, burst: 60 },
    defaultText: '600/60',
    scope: 'all',
    doc: 'Per-API-key rate limit: requests per minute / burst (429 + Retry-After above).',
  }),
  memoryBudgetMiB: spec<number>({
    env: 'NETLENS_MEMORY_BUDGET_MIB',
    kind: decimal({ positive: true }),
    default: ({ host }) => (host.runtime === 'edge' ? 100 : 2048),
    defaultText: '2048 (Worker: 100, of its 128 MB isolate)',
    scope: 'all',
    doc: 'MiB of loaded models to stay under (least recently used models are unloaded; the default model stays). The Worker also refuses, at build and start, models whose estimated isolate memory exceeds it.',
    deprecated: ['NETLENS_MEMORY_BUDGET_MB'],
  }),
  decodeBudgetMiB: spec<number>({
    env: 'NETLENS_DECODE_BUDGET_MIB',
    kind: decimal({ positive: true }),
    default: ({ host, resolved }) => {
      const oneImage = worstImageMiB(resolved.maxPixels ?? 0);
      return host.runtime === 'edge' ? oneImage : Math.max((resolved.memoryBudgetMiB ?? 2048) / 2, oneImage);
    },
    defaultText:
      'half of NETLENS_MEMORY_BUDGET_MIB (1024), at least one worst-case image at NETLENS_MAX_PIXELS (Worker: that one image, 91.6)',
    scope: 'all',
    doc: 'MiB that the images being decoded and preprocessed may take together, estimated from each header before decoding (width × height × channels × bytes per sample, plus the 8-bit pixels and one preprocessing copy: 16 bytes a pixel for 16-bit RGBA); the others wait as compressed bytes, in arrival order. An image whose estimate alone exceeds it is refused (422 image_too_large).',
  }),
  drainTimeoutMs: spec<number>({
    env: 'NETLENS_DRAIN_TIMEOUT_MS',
    kind: int({ min: 0 }),
    default: 30_000,
    defaultText: '30000',
    scope: 'node',
    doc: 'How long SIGTERM waits for in-flight requests before closing connections.',
  }),
  headersTimeoutMs: spec<number>({
    env: 'NETLENS_HEADERS_TIMEOUT_MS',
    kind: int({ min: 1 }),
    default: 10_000,
    defaultText: '10000',
    scope: 'node',
    doc: "How long a client may take to send a request's headers (Node's headersTimeout; 408 and the connection closed after it). The whole request, body included, is bounded by NETLENS_TIMEOUT_MS + 5 s (Node's requestTimeout) besides the app's own deadline.",
  }),
  keepAliveTimeoutMs: spec<number>({
    env: 'NETLENS_KEEP_ALIVE_TIMEOUT_MS',
    kind: int({ min: 0 }),
    default: 5_000,
    defaultText: '5000',
    scope: 'node',
    doc: "How long an idle keep-alive connection stays open (Node's keepAliveTimeout); behind a load balancer, set it above the balancer's idle timeout.",
  }),
  authFailureLimit: spec<RateLimitSetting>({
    env: 'NETLENS_AUTH_FAILURE_LIMIT',
    kind: rateLimit,
    default: { perMinute: 30, burst: 10 },
    defaultText: '30/10',
    scope: 'all',
    doc: 'Failed API-key checks allowed per client address, per minute / at once, when NETLENS_API_KEYS is set; above it the address gets 429 + Retry-After without its key being checked.',
  }),
  trustedProxies: spec<string[]>({
    env: 'NETLENS_TRUSTED_PROXIES',
    kind: list(cidr),
    default: [],
    defaultText: 'none (the connection address is the client)',
    scope: 'all',
    doc: 'Proxies whose X-Forwarded-For is believed: when the connection comes from one of these addresses, the client is the last X-Forwarded-For address that is not one of them (for the failed-authentication limit). The Worker takes CF-Connecting-IP.',
  }),
  logLevel: spec<LogLevelSetting>({
    env: 'NETLENS_LOG_LEVEL',
    kind: oneOf(['debug', 'info', 'warn', 'error', 'silent'] as const),
    default: 'info',
    defaultText: 'info',
    scope: 'all',
    doc: 'Lowest level of the JSON log lines written (pino format).',
  }),
  modelStore: spec<'assets' | 'r2'>({
    env: 'NETLENS_MODEL_STORE',
    kind: oneOf(['assets', 'r2'] as const),
    default: 'assets',
    defaultText: 'assets',
    scope: 'edge',
    doc: 'Where the Worker reads models: its static assets, or the R2 bucket bound as MODELS (docs/edge.md).',
  }),
  edgeDebug: spec<boolean>({
    env: 'NETLENS_EDGE_DEBUG',
    kind: flag,
    default: false,
    defaultText: 'off',
    scope: 'edge',
    doc: 'Adds the measurement routes /__edge/memory and /__edge/probe/{model} (benchmarks and the conformance test only; never in production).',
  }),
  webhookSecrets: spec<string[]>({
    env: 'NETLENS_WEBHOOK_SECRETS',
    kind: list(webhookSecret),
    default: [],
    defaultText: 'none (webhooks off: /v1/hooks/* and /v1/jobs answer 404)',
    scope: 'all',
    doc: 'Standard Webhooks secrets accepted on POST /v1/hooks/tag, comma separated (several during a rotation); callbacks are signed with the first (docs/webhooks.md).',
  }),
  queue: spec<string | undefined>({
    env: 'NETLENS_QUEUE',
    kind: queueUrl,
    default: undefined,
    defaultText: 'sqlite:<models dir>/../data/jobs.sqlite',
    scope: 'node',
    doc: 'Where webhook jobs are kept: an SQLite file (one host, WAL mode), or a Redis URL shared by several netlens processes (BullMQ). The Worker uses D1 and Queues instead.',
  }),
  jobConcurrency: spec<number>({
    env: 'NETLENS_JOB_CONCURRENCY',
    kind: int({ min: 1 }),
    default: ({ host }) => (host.runtime === 'edge' ? 1 : Math.max(2, host.cores)),
    defaultText: 'max(2, cores) (Worker: 1)',
    scope: 'all',
    doc: 'Jobs this process works on at once (fetch, classify, deliver); their images share the classify batcher.',
  }),
  jobAttempts: spec<number>({
    env: 'NETLENS_JOB_ATTEMPTS',
    kind: int({ min: 1, max: 100 }),
    default: 3,
    defaultText: '3',
    scope: 'all',
    doc: 'Tries of a job whose image fetch or classification failed for a passing reason (timeout, 5xx, model not ready) before it is failed.',
  }),
  jobVisibilityMs: spec<number>({
    env: 'NETLENS_JOB_VISIBILITY_MS',
    kind: int({ min: 1000 }),
    default: 60_000,
    defaultText: '60000',
    scope: 'node',
    doc: 'Lease of a job being worked on: if its process dies, another takes it again this long after it was last renewed.',
  }),
  jobRetentionHours: spec<number>({
    env: 'NETLENS_JOB_RETENTION_HOURS',
    kind: decimal({ min: 0.25 }),
    default: 168,
    defaultText: '168 (7 days)',
    scope: 'all',
    doc: 'Finished jobs (and their webhook-id, the idempotency key) are deleted this long after they finished; at least 0.25 (longer than the 5-minute signature tolerance).',
  }),
  callbackAttempts: spec<number>({
    env: 'NETLENS_CALLBACK_ATTEMPTS',
    kind: int({ min: 1, max: 50 }),
    default: 8,
    defaultText: '8',
    scope: 'all',
    doc: 'Deliveries of a callback tried before the job is marked delivery_failed.',
  }),
  callbackBackoffMs: spec<number>({
    env: 'NETLENS_CALLBACK_BACKOFF_MS',
    kind: int({ min: 1 }),
    default: 2000,
    defaultText: '2000',
    scope: 'all',
    doc: 'First delay between callback tries; it doubles each try (with jitter, at most 1 hour); a Retry-After header wins.',
  }),
  fetchAllow: spec<string[]>({
    env: 'NETLENS_FETCH_ALLOW',
    kind: list(cidr),
    default: [],
    defaultText: 'none (public addresses only)',
    scope: 'all',
    doc: 'Addresses image fetches and callbacks may reach although they are loopback, private or link-local: IPs or CIDR blocks, comma separated (tests, private deployments).',
  }),
  fetchMaxBytes: spec<number>({
    env: 'NETLENS_FETCH_MAX_BYTES',
    kind: int({ min: 1 }),
    default: ({ resolved }) => resolved.maxBodyBytes ?? 32 * MIB,
    defaultText: 'NETLENS_MAX_BODY_BYTES',
    scope: 'all',
    doc: 'Largest image a job fetches, checked from Content-Length before reading and while reading.',
  }),
  fetchTimeoutMs: spec<number>({
    env: 'NETLENS_FETCH_TIMEOUT_MS',
    kind: int({ min: 1 }),
    default: 20_000,
    defaultText: '20000',
    scope: 'all',
    doc: 'Whole-fetch deadline of an image or a callback delivery (redirects included).',
  }),
  fetchConnectTimeoutMs: spec<number>({
    env: 'NETLENS_FETCH_CONNECT_TIMEOUT_MS',
    kind: int({ min: 1 }),
    default: 5000,
    defaultText: '5000',
    scope: 'node',
    doc: 'TCP/TLS connect deadline of an image fetch or callback delivery.',
  }),
  r2CallbackUrl: spec<string | undefined>({
    env: 'NETLENS_R2_CALLBACK_URL',
    kind: httpUrl,
    default: undefined,
    defaultText: 'none (results stay in the job API)',
    scope: 'edge',
    doc: 'Where the Worker POSTs the signed results of jobs started by R2 object-create events (docs/webhooks.md).',
  }),
};

export type LogLevelSetting = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface ReadSettings {
  settings: Settings;
  /** The settings the environment or the overrides gave (the others are defaults). */
  given: ReadonlySet<SettingName>;
  /** Deprecated names used, unknown NETLENS_* variables: for the entry point to log at start. */
  warnings: string[];
}

/**
 * Parses every variable of the table from `env` (Node's process.env, a Worker's env bindings, or a
 * test's record), fills in defaults for `host`, and checks the combinations. Errors are
 * `invalid_argument` naming the variable, the value and what is valid.
 */
export function readSettings(
  env: Readonly<Record<string, unknown>>,
  host: Host,
  overrides: Partial<Settings> = {},
): ReadSettings {
  const warnings: string[] = [];
  const explicit: Partial<Settings> = {};
  const known = new Set<string>();
  for (const [key, s] of Object.entries(SETTINGS) as [SettingName, Spec<unknown>][]) {
    known.add(s.env);
    for (const old of s.deprecated ?? []) known.add(old);
    const raw = rawValue(env, s, warnings);
    if (raw !== undefined) (explicit as Record<string, unknown>)[key] = s.kind.parse(raw.text, raw.name);
  }
  Object.assign(explicit, overrides);
  const resolved: Partial<Settings> = {};
  for (const [key, s] of Object.entries(SETTINGS) as [SettingName, Spec<unknown>][]) {
    const value =
      key in explicit
        ? explicit[key]
        : typeof s.default === 'function'
          ? (s.default as (c: DefaultContext) => unknown)({ host, resolved, explicit })
          : s.default;
    (resolved as Record<string, unknown>)[key] = value;
  }
  for (const name of Object.keys(env)) {
    if (name.startsWith('NETLENS_') && !known.has(name) && !IGNORED.has(name)) {
      warnings.push(`${name} is not a netlens setting and is ignored (docs/settings.md lists them)`);
    }
  }
  const settings = resolved as Settings;
  checkCombinations(settings, host);
  return { settings, given: new Set(Object.keys(explicit) as SettingName[]), warnings };
}

/**
 * Variables with the NETLENS_ prefix that are not settings of the product (tests, benchmarks, and
 * NETLENS_FROM_SOURCE, which makes bin/netlens.js run src/ through tsx in a source checkout).
 */
const IGNORED = new Set(['NETLENS_CONFORMANCE_MODEL', 'NETLENS_TEST_REDIS_URL', 'NETLENS_FROM_SOURCE']);

function rawValue(
  env: Readonly<Record<string, unknown>>,
  s: Spec<unknown>,
  warnings: string[],
): { text: string; name: string } | undefined {
  for (const name of [s.env, ...(s.deprecated ?? [])]) {
    const value = env[name];
    if (typeof value !== 'string' || value.trim() === '') continue;
    if (name !== s.env) warnings.push(`${name} is deprecated: use ${s.env} (same meaning)`);
    return { text: value.trim(), name };
  }
  return undefined;
}

/** MiB one image at `maxPixels` may take to decode in the worst case (16-bit RGBA). */
function worstImageMiB(maxPixels: number): number {
  return Math.ceil(((maxPixels * WORST_DECODE_BYTES_PER_PIXEL) / MIB) * 10) / 10;
}

/** Pairs of settings that can never work together: each is a start-up error naming both. */
function checkCombinations(settings: Settings, host: Host): void {
  if (settings.maxQueue < settings.maxImages) {
    throw new NetlensError(
      'invalid_argument',
      `NETLENS_MAX_QUEUE (${settings.maxQueue}) must be at least NETLENS_MAX_IMAGES (${settings.maxImages}): a request enters the queue whole, so one with more images than the queue holds would get 503 forever; raise NETLENS_MAX_QUEUE or lower NETLENS_MAX_IMAGES`,
      { details: { NETLENS_MAX_QUEUE: settings.maxQueue, NETLENS_MAX_IMAGES: settings.maxImages } },
    );
  }
  if (host.runtime === 'node' && settings.sessions > 1 && !settings.engineWorker) {
    throw new NetlensError(
      'invalid_argument',
      `NETLENS_SESSIONS (${settings.sessions}) needs NETLENS_ENGINE_WORKER on: sessions side by side run in worker threads; turn NETLENS_ENGINE_WORKER on or set NETLENS_SESSIONS=1`,
      { details: { NETLENS_SESSIONS: settings.sessions, NETLENS_ENGINE_WORKER: settings.engineWorker } },
    );
  }
  const oneImage = worstImageMiB(settings.maxPixels);
  if (settings.decodeBudgetMiB < oneImage) {
    throw new NetlensError(
      'invalid_argument',
      `NETLENS_DECODE_BUDGET_MIB (${settings.decodeBudgetMiB}) is less than one image at NETLENS_MAX_PIXELS (${settings.maxPixels}) may need to decode (${oneImage} MiB for 16-bit RGBA, ${WORST_DECODE_BYTES_PER_PIXEL} bytes a pixel): such images would pass the pixel limit and still be refused; raise NETLENS_DECODE_BUDGET_MIB to at least ${oneImage} or lower NETLENS_MAX_PIXELS to at most ${Math.floor((settings.decodeBudgetMiB * MIB) / WORST_DECODE_BYTES_PER_PIXEL)}`,
      {
        details: {
          NETLENS_DECODE_BUDGET_MIB: settings.decodeBudgetMiB,
          NETLENS_MAX_PIXELS: settings.maxPixels,
          neededMiB: oneImage,
        },
      },
    );
  }
  if (host.runtime === 'edge' && !settings.models.includes(settings.defaultModel)) {
    throw new NetlensError(
      'invalid_argument',
      `NETLENS_MODEL '${settings.defaultModel}' is not one of NETLENS_MODELS (${settings.models.join(', ')}): the Worker serves only those`,
      { details: { defaultModel: settings.defaultModel, models: settings.models } },
    );
  }
  if (host.runtime === 'edge' && settings.memoryBudgetMiB > 128) {
    throw new NetlensError(
      'invalid_argument',
      `NETLENS_MEMORY_BUDGET_MIB must be at most 128 in a Worker (its isolate limit); got ${settings.memoryBudgetMiB}`,
    );
  }
}

/** The table as markdown rows (docs/settings.md embeds it; a test keeps them equal). */
export function settingsTable(): string {
  const rows = (Object.values(SETTINGS) as Spec<unknown>[]).map((s) => {
    const old = (s.deprecated ?? []).map((d) => ` (old name: \`${d}\`)`).join('');
    const names = `\`${s.env}\`${old}`;
    return `| ${names} | ${s.scope} | ${s.kind.describe} | ${s.defaultText} | ${s.doc} |`;
  });
  return [
    '| variable | where | value | default | meaning |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}
