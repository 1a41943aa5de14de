/**
 * The job records of webhook-triggered tagging (docs/webhooks.md) and the one small interface every
 * store implements: SQLite and D1 (sql-store.ts over a SqlDatabase), Redis (node/redis-store.ts).
 *
 *   queued ─▶ running ─▶ succeeded | failed ─▶ delivered | delivery_failed   (with a callbackUrl)
 *
 * A job is *due* while it has work left (`dueAt` set): processing while queued/running, delivery while
 * succeeded/failed with a callback. Whoever works on it first takes a lease (`leaseUntil`); a process
 * that dies simply lets its lease run out, and the job is taken again.
 */
export const JOB_STATES = [
  'queued',
  'running',
  'succeeded',
  'failed',
  'delivered',
  'delivery_failed',
] as const;
export type JobState = (typeof JOB_STATES)[number];

/** What the job fetches and how it classifies (the validated webhook body, defaults filled in). */
export interface JobRequest {
  /** Exactly one source: a URL, the image bytes as base64, or an R2 object (Worker events). */
  imageUrl?: string;
  base64?: string;
  r2?: { bucket: string; key: string };
  model: string;
  top: number;
  /** Labels with score ≥ threshold become `tags`. */
  threshold: number;
  callbackUrl?: string;
  metadata?: Record<string, unknown>;
}

export interface JobPrediction {
  index: number;
  id: string;
  label: string;
  score: number;
}

export interface JobResult {
  model: string;
  provider: string;
  image: { format: string; width: number; height: number; bytes: number };
  predictions: JobPrediction[];
  tags: string[];
  timings: { fetchMs: number; classifyMs: number };
}

export interface JobError {
  code: string;
  message: string;
}

export interface Job {
  id: string;
  /** The inbound webhook-id: the idempotency key. */
  webhookId: string;
  /** sha256 of the inbound body: a webhook-id reused for another body is a replay. */
  bodyHash: string;
  state: JobState;
  request: JobRequest;
  /** Processing tries so far. */
  attempts: number;
  deliveryAttempts: number;
  /** When the job has work left (ms since the epoch); null when it is finished. */
  dueAt: number | null;
  leaseOwner: string | null;
  leaseUntil: number | null;
  /** Why processing last failed (kept after a later delivery). */
  lastError: JobError | null;
  /** Why the last callback delivery failed. */
  deliveryError: JobError | null;
  result: JobResult | null;
  /** The webhook-id of callback deliveries (the same on every retry of one delivery group). */
  deliveryId: string | null;
  /** The process that classified the image (host:pid or isolate). */
  worker: string | null;
  createdAt: number;
  updatedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  deliveredAt: number | null;
}

export interface NewJob {
  id: string;
  webhookId: string;
  bodyHash: string;
  request: JobRequest;
  now: number;
}

export interface JobListQuery {
  state?: JobState;
  limit: number;
  cursor?: string;
}

export interface JobStats {
  byState: Record<JobState, number>;
  /** Jobs due now and not leased: waiting for a worker. */
  waiting: number;
  /** createdAt of the oldest queued job. */
  oldestQueuedAt: number | null;
}

/** The changes a worker saves with `release` (and the lease is given back). */
export type JobUpdate = Partial<
  Pick<
    Job,
    | 'state'
    | 'dueAt'
    | 'lastError'
    | 'deliveryError'
    | 'result'
    | 'deliveryId'
    | 'deliveryAttempts'
    | 'attempts'
    | 'worker'
    | 'startedAt'
    | 'finishedAt'
    | 'deliveredAt'
  >
>;

export interface JobStore {
  /** What /readyz shows: the kind and where (never credentials). */
  readonly description: string;
  /**
   * Stores a new job, or finds the one with the same webhook-id (`created: false`). Resolves only once
   * the job is durable in the store.
   */
  insert(job: NewJob): Promise<{ job: Job; created: boolean }>;
  get(id: string): Promise<Job | undefined>;
  /** Newest first; `next` is the cursor of the following page. */
  list(query: JobListQuery): Promise<{ jobs: Job[]; next?: string }>;
  /**
   * Leases job `id` when it is due and nobody holds a live lease: a queued or running job becomes
   * running with one more attempt. Undefined when it is not (finished, not due yet, leased).
   */
  lease(id: string, owner: string, now: number, leaseMs: number): Promise<Job | undefined>;
  /** Leases the job due the longest (polling workers). */
  leaseNext(owner: string, now: number, leaseMs: number): Promise<Job | undefined>;
  /** Extends a lease still held by `owner`; false when it was lost. */
  renew(id: string, owner: string, until: number): Promise<boolean>;
  /** Saves a leased job's changes and gives the lease back; false when `owner` no longer held it. */
  release(id: string, owner: string, update: JobUpdate, now: number): Promise<Job | undefined>;
  /** Unconditional change (manual retry, dead letters): applied only if the job is in one of `from`. */
  transition(id: string, from: readonly JobState[], update: JobUpdate, now: number): Promise<Job | undefined>;
  /** Ids of jobs due before `before` and not leased (re-enqueueing after a lost queue message). */
  dueIds(before: number, limit: number): Promise<string[]>;
  stats(now: number): Promise<JobStats>;
  /** Deletes finished jobs whose last change is older than `before`; returns how many. */
  purge(before: number): Promise<number>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const FINISHED_STATES: readonly JobState[] = ['succeeded', 'failed', 'delivered', 'delivery_failed'];
