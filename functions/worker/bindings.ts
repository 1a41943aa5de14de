/**
 * The few Cloudflare binding shapes the Worker uses (structural, so no @cloudflare/workers-types
 * dependency): a static-assets Fetcher and an R2 bucket.
 */
export interface AssetsBinding {
  fetch(input: Request | string, init?: RequestInit): Promise<Response>;
}

export interface R2ObjectBodyLike {
  size: number;
  arrayBuffer(): Promise<ArrayBuffer>;
}

export interface R2BucketLike {
  get(key: string): Promise<R2ObjectBodyLike | null>;
  head(key: string): Promise<{ size: number } | null>;
}

export interface WorkerEnv {
  ASSETS?: AssetsBinding;
  MODELS?: R2BucketLike;
  /** 'assets' (default) or 'r2'. */
  NETLENS_MODEL_STORE?: string;
  /** Comma-separated model names served by this Worker; the first is the default. */
  NETLENS_MODELS?: string;
  NETLENS_DEFAULT_MODEL?: string;
  /** Isolate memory budget in MiB (default 100). */
  NETLENS_MEMORY_BUDGET_MIB?: string;
  /** '1' adds GET /__edge/memory (WASM memory sizes) for bench/edge.ts; never enable in production. */
  NETLENS_EDGE_DEBUG?: string;
  [name: string]: unknown;
}
