import { isNetlensError, messageOf } from '../core/errors.js';
import { backoffDelay, nextDeliveryDelay } from './backoff.js';
import type { WebhookSigner } from './signature.js';
import type { Job, JobError, JobPrediction, JobRequest, JobResult, JobStore, JobUpdate } from './types.js';

/**
 * What a job needs from its runtime: the image bytes (SSRF-safe fetch, base64, or an R2 object), the
 * app's classify path (decoder → preprocess → batcher → postprocess, the same as POST …/classify), and
 * an HTTP POST for callbacks (through the same URL rules as image fetches).
 */
export interface JobWork {
  loadImage(request: JobRequest): Promise<Uint8Array>;
  classify(
    bytes: Uint8Array,
    model: string,
    top: number,
  ): Promise<{
    provider: string;
    image: { format: string; width: number; height: number };
    predictions: JobPrediction[];
  }>;
  post(
    url: string,
    body: string,
    headers: Record<string, string>,
  ): Promise<{ status: number; retryAfter: string | null }>;
}

/** Events for the app's metrics. */
export interface JobObserver {
  phase(phase: 'fetch' | 'classify' | 'deliver', seconds: number, ok: boolean): void;
  retry(phase: 'process' | 'deliver'): void;
  finished(state: Job['state']): void;
}

export interface RunnerOptions {
  store: JobStore;
  work: JobWork;
  signer: WebhookSigner;
  /** This process (host:pid, or the isolate): recorded on the job and used for leases. */
  owner: string;
  maxAttempts: number;
  callbackAttempts: number;
  callbackBackoffMs: number;
  leaseMs: number;
  observer?: JobObserver;
  now?: () => number;
  random?: () => number;
}

/** Error codes that will not change by trying again (the image or the request is the problem). */
const PERMANENT = new Set([
  'url_refused',
  'unsupported_media_type',
  'bad_image',
  'image_too_large',
  'payload_too_large',
  'unknown_model',
  'invalid_argument',
]);

/**
 * Works on one leased job until it has nothing left to do now: processing (load the image, classify,
 * keep the predictions and the tags above the threshold), then, with a callbackUrl, one delivery try.
 * Each step's outcome is saved before the next starts, so a process that dies repeats at most the step
 * it was in — a callback may then arrive twice, always with the same webhook-id.
 */
export class JobRunner {
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly options: RunnerOptions) {
    this.now = options.now ?? (() => Date.now());
    this.random = options.random ?? Math.random;
  }

  /** Leases job `id` (when due and free) and runs it; undefined when someone else has it or it is done. */
  async runById(id: string): Promise<Job | undefined> {
    const { store, owner, leaseMs } = this.options;
    const job = await store.lease(id, owner, this.now(), leaseMs);
    return job && this.run(job);
  }

  /** Runs a job this runner leased; returns it as saved. */
  async run(leased: Job): Promise<Job | undefined> {
    let job: Job | undefined = leased;
    if (job.state === 'running') {
      job = await this.withLease(job, () => this.process(job!));
      if (!job || job.dueAt === null || job.dueAt > this.now()) return job;
      job = await this.options.store.lease(job.id, this.options.owner, this.now(), this.options.leaseMs);
    }
    if (job && (job.state === 'succeeded' || job.state === 'failed') && job.dueAt !== null) {
      const current = job;
      job = await this.withLease(current, () => this.deliver(current));
    }
    return job;
  }

  private async process(job: Job): Promise<JobUpdate> {
    const { maxAttempts, observer, owner } = this.options;
    if (job.attempts > maxAttempts) {
      return this.failed(job, {
        code: 'internal',
        message: `gave up after ${maxAttempts} tries (the last ones did not finish: their process stopped)`,
      });
    }
    try {
      const result = await this.classify(job);
      observer?.finished('succeeded');
      return {
        state: 'succeeded',
        result,
        worker: owner,
        lastError: null,
        finishedAt: this.now(),
        ...this.afterFinish(job),
      };
    } catch (error) {
      const failure = jobError(error);
      if (isPermanent(error) || job.attempts >= maxAttempts) return this.failed(job, failure);
      observer?.retry('process');
      const delay = backoffDelay(job.attempts, 1000, this.random, 60_000);
      return { state: 'queued', lastError: failure, dueAt: this.now() + delay };
    }
  }

  private async classify(job: Job): Promise<JobResult> {
    const { work, observer } = this.options;
    const { request } = job;
    const timed = async <T>(phase: 'fetch' | 'classify', step: () => Promise<T>): Promise<T> => {
      const start = performance.now();
      let ok = false;
      try {
        const value = await step();
        ok = true;
        return value;
      } finally {
        observer?.phase(phase, (performance.now() - start) / 1000, ok);
      }
    };
    const t0 = performance.now();
    const bytes = await timed('fetch', () => work.loadImage(request));
    const t1 = performance.now();
    const answer = await timed('classify', () => work.classify(bytes, request.model, request.top));
    const t2 = performance.now();
    return {
      model: request.model,
      provider: answer.provider,
      image: { ...answer.image, bytes: bytes.length },
      predictions: answer.predictions,
      tags: answer.predictions.filter((p) => p.score >= request.threshold).map((p) => p.label),
      timings: { fetchMs: Math.round(t1 - t0), classifyMs: Math.round(t2 - t1) },
    };
  }

  private failed(job: Job, error: JobError): JobUpdate {
    this.options.observer?.finished('failed');
    return { state: 'failed', lastError: error, finishedAt: this.now(), ...this.afterFinish(job) };
  }

  /** With a callback the job stays due (delivery next, under one webhook-id); without, it is done. */
  private afterFinish(job: Job): JobUpdate {
    if (job.request.callbackUrl === undefined) return { dueAt: null };
    return { dueAt: this.now(), deliveryId: job.deliveryId ?? newMessageId() };
  }

  private async deliver(job: Job): Promise<JobUpdate> {
    const { work, signer, observer, callbackAttempts, callbackBackoffMs } = this.options;
    const attempt = job.deliveryAttempts + 1;
    const deliveryId = job.deliveryId ?? newMessageId();
    const body = JSON.stringify(callbackBody(job, this.now()));
    const t0 = performance.now();
    let failure: JobError;
    let retryAfter: string | null = null;
    try {
      const answer = await work.post(job.request.callbackUrl!, body, {
        'content-type': 'application/json',
        ...signer.sign(deliveryId, body, this.now()),
      });
      observer?.phase('deliver', (performance.now() - t0) / 1000, answer.status < 300);
      if (answer.status >= 200 && answer.status < 300) {
        observer?.finished('delivered');
        return {
          state: 'delivered',
          deliveryAttempts: attempt,
          deliveryId,
          deliveredAt: this.now(),
          dueAt: null,
        };
      }
      failure = { code: 'callback_failed', message: `the callback answered ${answer.status}` };
      retryAfter = answer.retryAfter;
    } catch (error) {
      observer?.phase('deliver', (performance.now() - t0) / 1000, false);
      failure = { ...jobError(error), message: `callback: ${messageOf(error)}` };
      if (failure.code === 'url_refused') return this.deliveryFailed(attempt, deliveryId, failure);
    }
    if (attempt >= callbackAttempts) return this.deliveryFailed(attempt, deliveryId, failure);
    observer?.retry('deliver');
    const delay = nextDeliveryDelay(attempt, callbackBackoffMs, retryAfter, this.now(), this.random);
    return { deliveryAttempts: attempt, deliveryId, deliveryError: failure, dueAt: this.now() + delay };
  }

  private deliveryFailed(attempt: number, deliveryId: string, error: JobError): JobUpdate {
    this.options.observer?.finished('delivery_failed');
    return {
      state: 'delivery_failed',
      deliveryAttempts: attempt,
      deliveryId,
      deliveryError: error,
      dueAt: null,
    };
  }

  /** Runs one step while renewing the lease, then saves the step's changes and gives the lease back. */
  private async withLease(job: Job, step: () => Promise<JobUpdate>): Promise<Job | undefined> {
    const { store, owner, leaseMs } = this.options;
    const timer = setInterval(
      () => {
        store.renew(job.id, owner, this.now() + leaseMs).catch(() => undefined);
      },
      Math.max(250, leaseMs / 3),
    );
    let update: JobUpdate;
    try {
      update = await step();
    } finally {
      clearInterval(timer);
    }
    return store.release(job.id, owner, update, this.now());
  }
}

/** A fresh webhook-id for one delivery group (kept on the job, so every retry repeats it). */
export function newMessageId(): string {
  return `msg_${crypto.randomUUID().replaceAll('-', '')}`;
}

/** The callback body: Standard Webhooks' recommended {type, timestamp, data} envelope. */
export function callbackBody(job: Job, now: number) {
  const ok = job.result !== null;
  return {
    type: ok ? 'tagging.succeeded' : 'tagging.failed',
    timestamp: new Date(now).toISOString(),
    data: {
      jobId: job.id,
      webhookId: job.webhookId,
      status: ok ? 'succeeded' : 'failed',
      ...(job.result && {
        model: job.result.model,
        tags: job.result.tags,
        predictions: job.result.predictions,
        image: job.result.image,
      }),
      ...(!ok && job.lastError && { error: job.lastError }),
      ...(job.request.metadata && { metadata: job.request.metadata }),
    },
  };
}

/** Failures that trying again cannot fix: the image or the request is the problem. */
function isPermanent(error: unknown): boolean {
  return isNetlensError(error) && (PERMANENT.has(error.code) || error.details.permanent === true);
}

function jobError(error: unknown): JobError {
  if (isNetlensError(error)) return { code: error.code, message: error.message };
  return { code: 'fetch_failed', message: messageOf(error) };
}
