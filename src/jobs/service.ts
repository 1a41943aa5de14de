import { decodeBase64 } from '../core/base64.js';
import { NetlensError } from '../core/errors.js';
import { sha256OfText } from '../core/hash.js';
import { jobRequestOf, parseHookBody } from './request.js';
import type { WebhookSigner } from './signature.js';
import type { Job, JobListQuery, JobStats, JobStore } from './types.js';
import type { UrlPolicy } from './url-policy.js';

/** Tells the workers that a job is due (SQLite: wakes the local poller; BullMQ; Cloudflare Queues). */
export interface JobQueue {
  push(id: string, dueAt: number): Promise<void>;
}

export interface JobServiceOptions {
  store: JobStore;
  queue: JobQueue;
  signer: WebhookSigner;
  policy: UrlPolicy;
  defaults: { model: string; top: number };
  retentionMs: number;
  /** Checks a signed request before it is stored (the model exists and can classify). */
  checkRequest?: (request: Job['request']) => Promise<void>;
  now?: () => number;
}

/**
 * The job API's logic, runtime-free: accepting a signed hook (verify → validate → store durably →
 * enqueue), reading jobs, manual retries, statistics and retention. Routes, the CLI and the Worker's
 * R2-event consumer all go through it.
 */
export class JobService {
  readonly store: JobStore;
  private readonly now: () => number;

  constructor(private readonly options: JobServiceOptions) {
    this.store = options.store;
    this.now = options.now ?? (() => Date.now());
  }

  /**
   * A signed hook: verified against the active secrets, then stored under its webhook-id. A repeat of
   * the same id and body answers the existing job (`created: false`); the same id with another body is
   * a replay (401).
   */
  async accept(body: string, headers: Headers): Promise<{ job: Job; created: boolean }> {
    const message = this.options.signer.verify(body, headers, this.now());
    const request = jobRequestOf(parseHookBody(body), this.options.defaults);
    for (const url of [request.imageUrl, request.callbackUrl]) {
      if (url !== undefined) this.options.policy.checkUrl(url);
    }
    if (request.base64 !== undefined) decodeBase64(request.base64, 'base64');
    await this.options.checkRequest?.(request);
    return this.create(message.id, await sha256OfText(body), request);
  }

  /** Stores a job under an idempotency key (hooks: the webhook-id; R2 events: bucket/key/eTag). */
  async create(
    key: string,
    bodyHash: string,
    request: Job['request'],
  ): Promise<{ job: Job; created: boolean }> {
    const now = this.now();
    const id = `job_${crypto.randomUUID().replaceAll('-', '')}`;
    const { job, created } = await this.options.store.insert({ id, webhookId: key, bodyHash, request, now });
    if (!created && job.bodyHash !== bodyHash) {
      throw new NetlensError(
        'webhook_replayed',
        `webhook-id '${key}' was already used for a different body (job ${job.id}); every message needs its own id`,
        { details: { webhookId: key } },
      );
    }
    // A repeat re-announces an unfinished job too: it heals a notification lost in a crash.
    if (job.dueAt !== null) await this.options.queue.push(job.id, job.dueAt);
    return { job, created };
  }

  async get(id: string): Promise<Job> {
    const job = await this.options.store.get(id);
    if (!job)
      throw new NetlensError('not_found', `no job '${id}' (finished jobs are kept for the retention period)`);
    return job;
  }

  list(query: JobListQuery): Promise<{ jobs: Job[]; next?: string }> {
    return this.options.store.list(query);
  }

  /**
   * Runs again what failed: the processing of a failed job, the delivery (under a new webhook-id) of a
   * delivery_failed one. Other states are a conflict (409).
   */
  async retry(id: string): Promise<Job> {
    const job = await this.get(id);
    const now = this.now();
    const update =
      job.state === 'failed'
        ? {
            state: 'queued' as const,
            attempts: 0,
            result: null,
            lastError: null,
            finishedAt: null,
            deliveryId: null,
            deliveryAttempts: 0,
          }
        : job.state === 'delivery_failed'
          ? {
              state: job.result ? ('succeeded' as const) : ('failed' as const),
              deliveryId: null,
              deliveryAttempts: 0,
            }
          : undefined;
    const saved =
      update && (await this.options.store.transition(id, [job.state], { ...update, dueAt: now }, now));
    if (!saved) {
      throw new NetlensError(
        'job_conflict',
        `job ${id} is ${job.state}: only failed and delivery_failed jobs can be retried`,
        {
          details: { state: job.state },
        },
      );
    }
    await this.options.queue.push(saved.id, now);
    return saved;
  }

  stats(): Promise<JobStats> {
    return this.options.store.stats(this.now());
  }

  /** Deletes jobs finished longer than the retention period ago. */
  purge(): Promise<number> {
    return this.options.store.purge(this.now() - this.options.retentionMs);
  }
}
