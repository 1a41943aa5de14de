import type { Job } from './types.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** A job as the API shows it: times as ISO strings, an inline image summarised by its size. */
export function jobView(job: Job): Record<string, unknown> {
  const { base64, ...request } = job.request;
  return {
    id: job.id,
    state: job.state,
    webhookId: job.webhookId,
    request: { ...request, ...(base64 !== undefined && { base64Chars: base64.length }) },
    attempts: job.attempts,
    deliveryAttempts: job.deliveryAttempts,
    nextAttemptAt: iso(job.dueAt),
    leaseUntil: iso(job.leaseUntil),
    lastError: job.lastError,
    deliveryError: job.deliveryError,
    result: job.result,
    deliveryId: job.deliveryId,
    worker: job.worker,
    createdAt: iso(job.createdAt),
    updatedAt: iso(job.updatedAt),
    startedAt: iso(job.startedAt),
    finishedAt: iso(job.finishedAt),
    deliveredAt: iso(job.deliveredAt),
  };
}
