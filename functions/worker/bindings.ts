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

/** A D1 database (only what the SQL job store uses). */
export interface D1Like {
  prepare(sql: string): { bind(...values: unknown[]): { all<T>(): Promise<{ results: T[] }> } };
}

/** A Cloudflare Queues producer. */
export interface QueueLike {
  send(body: unknown, options?: { delaySeconds?: number }): Promise<void>;
}

/** One message of a queue() batch. */
export interface QueueMessageLike {
  readonly id: string;
  readonly body: unknown;
  readonly attempts: number;
  ack(): void;
  retry(options?: { delaySeconds?: number }): void;
}

export interface QueueBatchLike {
  readonly queue: string;
  readonly messages: readonly QueueMessageLike[];
}

export interface WorkerEnv {
  ASSETS?: AssetsBinding;
  MODELS?: R2BucketLike;
  /** Webhook jobs (wrangler env "jobs"): job state, the work queue, R2 event notifications, uploads. */
  JOBS_DB?: D1Like;
  JOBS_QUEUE?: QueueLike;
  R2_EVENTS?: QueueLike;
  UPLOADS?: R2BucketLike;
  /** NETLENS_* variables (wrangler.jsonc vars): read by src/settings, listed in docs/settings.md. */
  [name: string]: unknown;
}
