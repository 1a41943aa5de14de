/**
 * The few Cloudflare binding shapes the Worker uses (structural, so no @cloudflare/workers-types
 * dependency): a static-assets Fetcher and an R2 bucket.
 */
export interface AssetsBinding {
  fetch(input: Request | string, init?: RequestInit): Promise<Response>;
}

export interface R2ObjectBodyLike {
  size: number;
  body: ReadableStream<Uint8Array>;
  arrayBuffer(): Promise<ArrayBuffer>;
}

export interface R2BucketLike {
  get(key: string): Promise<R2ObjectBodyLike | null>;
  head(key: string): Promise<{ size: number } | null>;
}

export interface WorkerEnv {
  ASSETS?: AssetsBinding;
  MODELS?: R2BucketLike;
  /** NETLENS_* variables (wrangler.jsonc vars): read by src/settings, listed in docs/settings.md. */
  [name: string]: unknown;
}
