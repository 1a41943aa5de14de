import type { Engine, EngineSession, SessionOptions } from '../core/engine.js';
import { NetlensError, isNetlensError, messageOf } from '../core/errors.js';
import type { Manifest } from '../core/manifest.js';
import {
  type ModelSource,
  type StoredModelFile,
  type Variant,
  type VariantFile,
  variantFile,
} from '../core/model-source.js';
import { mib, roundMs } from '../core/units.js';
import { type Logger, silentLogger } from './logger.js';

/**
 * The model registry: which models exist (from a ModelSource), which are loaded, and on which
 * execution provider. Models load lazily on first use with ONE shared pending load per model, are
 * warmed up with a zero batch, and the least recently used are unloaded to stay under a memory budget.
 * The default model is pinned (loaded by start(), never unloaded) because /readyz depends on it.
 * Manifests are cached: a new model name is found on first use, and rescan() (POST /v1/models/rescan,
 * also run by list()) picks up models replaced or removed while running — a replaced model's old
 * session is disposed after its last use and the next use loads the new files.
 */
export type LoadState = 'unloaded' | 'loading' | 'ready' | 'failed';

export interface VariantStatus {
  state: LoadState;
  /** The execution provider that really runs the session (after any fallback). */
  provider?: string;
  fallbacks?: { provider: string; error: string }[];
  /** What the registry charges against its memory budget (2 × the ONNX file size × the engine's replicas). */
  estimatedBytes?: number;
  loadMs?: number;
  warmupMs?: number;
  lastUsedAt?: string;
  /** The last load failure (client-safe summary: never a path). */
  error?: string;
  /** Failed loads in a row, and when the next use may try again (ISO time). */
  attempts?: number;
  retryAt?: string;
}

export interface ModelInfo {
  name: string;
  manifest: Manifest;
  isDefault: boolean;
  variants: { model: VariantStatus; features?: VariantStatus };
}

export interface LoadedModel {
  readonly manifest: Manifest;
  readonly variant: Variant;
  readonly session: EngineSession;
  readonly provider: string;
  /** The output to read: manifest.output.name, or manifest.features.output for 'features'. */
  readonly outputName: string;
  /** Ends this use; an unloaded model's session is disposed after its last use. */
  release(): void;
}

/** What a rescan found, by model name. */
export interface RescanResult {
  /** Every model the source has now. */
  models: string[];
  /** Models this registry had not seen before. */
  added: string[];
  /** Models whose manifest (so files) changed: their loaded sessions are retired. */
  changed: string[];
  /** Models the source no longer has: their loaded sessions are retired. */
  removed: string[];
}

export interface RegistryOptions {
  source: ModelSource;
  engine: Engine;
  defaultModel: string;
  /** Estimated bytes of loaded sessions to stay under (default 2 GiB). */
  memoryBudgetBytes?: number;
  sessionOptions?: SessionOptions;
  logger?: Logger;
  /** How to make a missing default model, for the start-up error (default 'npm run models'). */
  buildHint?: string;
  /** Where the models come from, for messages (e.g. the directory). */
  location?: string;
  /** Milliseconds since the epoch (tests inject a clock). Default Date.now. */
  now?: () => number;
}

interface Entry {
  name: string;
  variant: Variant;
  status: VariantStatus;
  pending?: Promise<void>;
  session?: EngineSession;
  manifest?: Manifest;
  lastUsed: number;
  inUse: number;
  /** Unloaded while in use: dispose at the last release. */
  retired: boolean;
  /** The last failed load: uses before `retryAt` get its error without reading the files again. */
  failure?: { attempts: number; retryAt: number; reason: string };
}

const MEMORY_FACTOR = 2;

/**
 * A model that failed to load or to verify is tried again after 5 s, then 10, 20 … at most 5 minutes
 * (no 90 MB file re-read and re-hashed per request, one error log line per attempt); a rescan that
 * finds its manifest changed forgets the failure.
 */
export const LOAD_RETRY_MS = { first: 5000, max: 300_000 } as const;

function retryDelay(attempts: number): number {
  return Math.min(LOAD_RETRY_MS.max, LOAD_RETRY_MS.first * 2 ** (attempts - 1));
}

export class ModelRegistry {
  readonly defaultModel: string;
  private readonly source: ModelSource;
  private readonly engine: Engine;
  private readonly budget: number;
  private readonly sessionOptions: SessionOptions | undefined;
  private readonly logger: Logger;
  private readonly buildHint: string;
  private readonly location: string | undefined;
  private readonly entries = new Map<string, Entry>();
  private readonly manifests = new Map<string, Manifest>();
  /** Every name the last rescan saw (what 'added' is relative to). */
  private readonly seen = new Set<string>();
  private closed = false;
  private useClock = 0;
  private readonly now: () => number;

  constructor(options: RegistryOptions) {
    this.source = options.source;
    this.engine = options.engine;
    this.defaultModel = options.defaultModel;
    this.budget = options.memoryBudgetBytes ?? 2 * 1024 ** 3;
    this.sessionOptions = options.sessionOptions;
    this.logger = options.logger ?? silentLogger;
    this.buildHint = options.buildHint ?? 'npm run models';
    this.location = options.location;
    this.now = options.now ?? Date.now;
  }

  get engineName(): string {
    return this.engine.name;
  }

  get memoryBudgetBytes(): number {
    return this.budget;
  }

  /** Bytes charged by loaded and loading sessions. */
  get loadedBytes(): number {
    let total = 0;
    for (const e of this.entries.values()) total += e.status.estimatedBytes ?? 0;
    return total;
  }

  /** Checks the default model exists, then loads and warms it. Throws when it is missing. */
  async start(): Promise<void> {
    try {
      await this.source.manifest(this.defaultModel);
    } catch (error) {
      if (isNetlensError(error) && error.code === 'unknown_model') {
        const where = this.location ? ` in ${this.location}` : '';
        throw new NetlensError(
          'unknown_model',
          `the default model '${this.defaultModel}' is not installed${where}; build it with \`${this.buildHint}\``,
          { cause: error, details: { model: this.defaultModel } },
        );
      }
      throw error;
    }
    this.reconcile(await this.source.list()); // what later rescans report changes against
    try {
      (await this.acquire(this.defaultModel, 'model')).release();
    } catch (error) {
      // The operator gets the load failure itself (with its paths), not the client-safe 503.
      // (An engine failure is a plain Error: unwrapped too.)
      throw isNetlensError(error) && error.code === 'model_not_ready' && error.cause !== undefined
        ? error.cause
        : error;
    }
  }

  /** True once the default model is loaded and warmed. */
  isReady(): boolean {
    return !this.closed && this.entries.get(key(this.defaultModel, 'model'))?.status.state === 'ready';
  }

  async manifest(name: string): Promise<Manifest> {
    const cached = this.manifests.get(name);
    if (cached) return cached;
    try {
      const manifest = await this.source.manifest(name);
      this.manifests.set(name, manifest);
      return manifest;
    } catch (error) {
      if (isNetlensError(error) && error.code === 'unknown_model') {
        // The source's message is for operators (it may name directories); clients get the list.
        const models = (await this.source.list()).map((m) => m.name);
        throw new NetlensError(
          'unknown_model',
          `unknown model '${name}'; installed: ${models.length > 0 ? models.join(', ') : 'none'}`,
          { cause: error, details: { model: name, models } },
        );
      }
      throw error;
    }
  }

  /** Every model the source has (rescanned), with its load state. */
  async list(): Promise<ModelInfo[]> {
    const manifests = await this.source.list();
    this.reconcile(manifests);
    return manifests.map((m) => this.describe(m));
  }

  /** Re-reads the source: new models, and models replaced or removed since their manifest was read. */
  async rescan(): Promise<RescanResult> {
    return this.reconcile(await this.source.list());
  }

  private reconcile(manifests: readonly Manifest[]): RescanResult {
    const fresh = new Map(manifests.map((m) => [m.name, m]));
    const known = new Set([...this.seen, ...this.manifests.keys()]);
    const result: RescanResult = {
      models: manifests.map((m) => m.name),
      added: manifests.filter((m) => !known.has(m.name)).map((m) => m.name),
      changed: manifests
        .filter((m) => this.manifests.has(m.name) && !sameManifest(this.manifests.get(m.name)!, m))
        .map((m) => m.name),
      removed: [...known].filter((name) => !fresh.has(name)).sort(),
    };
    for (const name of [...result.changed, ...result.removed]) this.retire(name);
    this.manifests.clear();
    for (const m of manifests) this.manifests.set(m.name, m);
    this.seen.clear();
    for (const name of fresh.keys()) this.seen.add(name);
    if (result.added.length + result.changed.length + result.removed.length > 0) {
      this.logger.info(
        { added: result.added, changed: result.changed, removed: result.removed },
        'models rescanned',
      );
    }
    return result;
  }

  /** Forgets a model's sessions (disposed after their last use); the next use loads it afresh. */
  private retire(name: string): void {
    for (const variant of ['model', 'features'] as const) {
      const entry = this.entries.get(key(name, variant));
      if (entry) this.unload(entry, 'replaced or removed on disk');
    }
  }

  async info(name: string): Promise<ModelInfo> {
    return this.describe(await this.manifest(name));
  }

  private describe(manifest: Manifest): ModelInfo {
    const status = (variant: Variant): VariantStatus => {
      const e = this.entries.get(key(manifest.name, variant));
      return e ? { ...e.status } : { state: 'unloaded' };
    };
    return {
      name: manifest.name,
      manifest,
      isDefault: manifest.name === this.defaultModel,
      variants: { model: status('model'), ...(manifest.features && { features: status('features') }) },
    };
  }

  /** A variant's stored file size in bytes, undefined when the source cannot tell. */
  fileSize(manifest: Manifest, variant: Variant): Promise<number | undefined> {
    return this.source.fileSize(manifest, variant);
  }

  /**
   * A model file streamed for a client that runs it itself, when `sha256` is its current hash;
   * not_found naming the current URL's hash otherwise (the file was replaced, or the URL is wrong).
   */
  async openModelFile(
    name: string,
    variant: Variant,
    sha256: string,
  ): Promise<{ file: VariantFile; stored: StoredModelFile }> {
    const manifest = await this.manifest(name);
    if (variant === 'features' && !manifest.features) throw await this.noFeatures(name);
    const file = variantFile(manifest, variant);
    if (file.sha256 !== sha256) {
      throw new NetlensError(
        'not_found',
        `model '${name}' has no ${variant} file with sha256 ${sha256}; its current one is ${file.sha256}`,
        { details: { model: name, variant, sha256: file.sha256 } },
      );
    }
    return { file, stored: await this.source.openModelFile(manifest, variant) };
  }

  /** Throws not_found (listing the models that have one) unless `manifest` has a features variant. */
  async requireFeatures(manifest: Manifest): Promise<void> {
    if (!manifest.features) throw await this.noFeatures(manifest.name);
  }

  private async noFeatures(name: string): Promise<NetlensError> {
    const models = (await this.list()).filter((m) => m.manifest.features).map((m) => m.name);
    return new NetlensError('not_found', `model '${name}' has no features variant (embeddings)`, {
      details: { model: name, modelsWithFeatures: models },
    });
  }

  /** Loaded sessions (no source scan: cheap enough for every /metrics scrape). */
  loaded(): { name: string; variant: Variant; provider: string }[] {
    return [...this.entries.values()]
      .filter((e) => e.status.state === 'ready')
      .map((e) => ({ name: e.name, variant: e.variant, provider: e.status.provider ?? 'unknown' }))
      .sort((a, b) => a.name.localeCompare(b.name) || a.variant.localeCompare(b.variant));
  }

  /** The loaded session of a model (loading it first if needed). Call release() when done. */
  async acquire(name: string, variant: Variant = 'model'): Promise<LoadedModel> {
    for (;;) {
      // Read each round: a rescan during a load replaces the manifest and retires that load.
      const manifest = await this.manifest(name);
      if (variant === 'features' && !manifest.features) throw await this.noFeatures(name);
      if (this.closed) throw new NetlensError('model_not_ready', 'the server is shutting down');
      const k = key(name, variant);
      let entry = this.entries.get(k);
      if (!entry) {
        entry = { name, variant, status: { state: 'unloaded' }, lastUsed: 0, inUse: 0, retired: false };
        this.entries.set(k, entry);
      }
      if (entry.status.state === 'ready' && entry.session && entry.manifest) {
        return this.use(entry, entry.session, entry.manifest);
      }
      const failed = entry.pending === undefined ? entry.failure : undefined;
      if (failed && failed.retryAt > this.now()) throw this.unavailable(entry, failed);
      entry.pending ??= this.load(entry, manifest);
      await entry.pending;
    }
  }

  private use(entry: Entry, session: EngineSession, manifest: Manifest): LoadedModel {
    entry.inUse++;
    entry.lastUsed = ++this.useClock;
    entry.status.lastUsedAt = new Date().toISOString();
    let released = false;
    return {
      manifest,
      variant: entry.variant,
      session,
      provider: session.provider,
      outputName: variantFile(manifest, entry.variant).output,
      release: () => {
        if (released) return;
        released = true;
        entry.inUse--;
        if (entry.retired && entry.inUse === 0) void this.dispose(entry, session);
      },
    };
  }

  private async load(entry: Entry, manifest: Manifest): Promise<void> {
    const started = performance.now();
    entry.status = { state: 'loading' };
    const log = this.logger.child({ model: entry.name, variant: entry.variant });
    try {
      // The source checks the manifest's sha256 before handing out the bytes.
      const bytes = await this.source.modelBytes(manifest, entry.variant);
      const estimatedBytes = bytes.byteLength * MEMORY_FACTOR * (this.engine.replicas ?? 1);
      this.makeRoom(entry, estimatedBytes);
      entry.status.estimatedBytes = estimatedBytes;
      // The engine warms the session up (core/session.ts) and reports how long that took.
      const session = await this.engine.createSession(bytes, this.sessionOptions);
      const loadMs = performance.now() - started;
      const warmupMs = session.warmUpMs;
      if (this.closed) {
        await session.dispose();
        throw new NetlensError('model_not_ready', 'the server is shutting down');
      }
      if (entry.retired) {
        // Replaced while it loaded: acquire() loops and loads the new files.
        await session.dispose();
        return;
      }
      entry.session = session;
      entry.manifest = manifest;
      entry.status = {
        state: 'ready',
        provider: session.provider,
        fallbacks: session.fallbacks.map((f) => ({ ...f })),
        estimatedBytes,
        loadMs: roundMs(loadMs),
        ...(warmupMs !== undefined && { warmupMs: roundMs(warmupMs) }),
      };
      log.info(
        {
          provider: session.provider,
          fallbacks: session.fallbacks,
          loadMs: roundMs(loadMs),
          warmupMs,
          estimatedBytes,
        },
        'model loaded',
      );
    } catch (error) {
      if (this.closed || entry.retired) throw error;
      const attempts = (entry.failure?.attempts ?? 0) + 1;
      const failure = { attempts, retryAt: this.now() + retryDelay(attempts), reason: loadFailure(error) };
      entry.failure = failure;
      entry.status = {
        state: 'failed',
        error: failure.reason,
        attempts,
        retryAt: new Date(failure.retryAt).toISOString(),
      };
      log.error(
        { err: error, attempts, retryInMs: failure.retryAt - this.now() },
        `model failed to load: ${messageOf(error)}`,
      );
      throw this.unavailable(entry, failure, error);
    } finally {
      entry.pending = undefined;
    }
  }

  /** 503 model_not_ready with Retry-After until the next attempt; the reason never names a path. */
  private unavailable(entry: Entry, failure: NonNullable<Entry['failure']>, cause?: unknown): NetlensError {
    const seconds = Math.max(1, Math.ceil((failure.retryAt - this.now()) / 1000));
    return new NetlensError(
      'model_not_ready',
      `model '${entry.name}' could not be loaded (${failure.reason}); it is tried again in ${seconds} s`,
      {
        ...(cause !== undefined && { cause }),
        details: {
          model: entry.name,
          variant: entry.variant,
          reason: failure.reason,
          attempts: failure.attempts,
          retryAfterSeconds: seconds,
        },
      },
    );
  }

  /** Unloads least recently used models (never the default, never the one loading) until `bytes` fit. */
  private makeRoom(loading: Entry, bytes: number): void {
    const pinned = this.entries.get(key(this.defaultModel, 'model'));
    const pinnedBytes = pinned && pinned !== loading ? (pinned.status.estimatedBytes ?? 0) : 0;
    if (bytes + pinnedBytes > this.budget) {
      throw new NetlensError(
        'model_not_ready',
        `model '${loading.name}' needs about ${mib(bytes)}, more than the memory budget of ${mib(this.budget)} allows`,
        { details: { model: loading.name, estimatedBytes: bytes, memoryBudgetBytes: this.budget } },
      );
    }
    while (this.loadedBytes + bytes > this.budget) {
      const victim = [...this.entries.values()]
        .filter((e) => e !== loading && e !== pinned && e.status.state === 'ready')
        .sort((a, b) => a.lastUsed - b.lastUsed)[0];
      if (!victim) {
        this.logger.warn(
          { model: loading.name, loadedBytes: this.loadedBytes, bytes, budget: this.budget },
          'over the memory budget: the other models are loading',
        );
        return;
      }
      this.unload(victim, 'least recently used');
    }
  }

  private unload(entry: Entry, reason: string): void {
    const session = entry.session;
    this.entries.delete(key(entry.name, entry.variant));
    entry.status = { state: 'unloaded' };
    entry.session = undefined;
    entry.retired = true;
    this.logger.info({ model: entry.name, variant: entry.variant }, `model unloaded (${reason})`);
    if (session && entry.inUse === 0) void this.dispose(entry, session);
  }

  private async dispose(entry: Entry, session: EngineSession): Promise<void> {
    try {
      await session.dispose();
    } catch (error) {
      this.logger.warn({ err: error, model: entry.name }, 'session dispose failed');
    }
  }

  /** Disposes every session (after the server has drained). */
  async close(): Promise<void> {
    this.closed = true;
    const sessions = [...this.entries.values()].flatMap((e) => (e.session ? [e.session] : []));
    this.entries.clear();
    await Promise.all(sessions.map((s) => s.dispose().catch(() => undefined)));
  }
}

function sameManifest(a: Manifest, b: Manifest): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function key(name: string, variant: Variant): string {
  return `${name}\u0000${variant}`;
}

/** What a client may be told about a failed load: the kind of failure, never a file path. */
function loadFailure(error: unknown): string {
  if (!isNetlensError(error)) return 'the engine could not create a session; the error is in the server log';
  if (error.code === 'integrity_error') {
    return error.details.missing === true
      ? 'its ONNX file is missing'
      : "its ONNX file does not match the manifest's sha256: it was changed or only partly written";
  }
  if (error.code === 'model_not_ready') return error.message; // the memory budget: sizes, no paths
  return `${error.code.replaceAll('_', ' ')}; the error is in the server log`;
}
