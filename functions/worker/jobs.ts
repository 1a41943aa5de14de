/**
 * Webhook jobs on Cloudflare: job state in D1 (the same SQL store as SQLite on Node), the work in a
 * Queue (netlens-jobs, with a dead-letter queue), images by URL (the job URL rules without DNS, see
 * src/jobs/web-fetch.ts), inline, or from the UPLOADS R2 bucket for R2 object-create event
 * notifications (queue netlens-r2-events). Wired in wrangler.jsonc's "jobs" environment.
 */
import type { JobsRuntime } from '../../src/app/jobs.js';
import { decodeBase64 } from '../../src/core/base64.js';
import { NetlensError } from '../../src/core/errors.js';
import { SqlJobStore, type SqlDatabase } from '../../src/jobs/sql-store.js';
import type { UrlPolicy } from '../../src/jobs/url-policy.js';
import { createWebFetch } from '../../src/jobs/web-fetch.js';
import type { Settings } from '../../src/settings/index.js';
import type { D1Like, QueueLike, WorkerEnv } from './bindings.js';

/** Queue names of wrangler.jsonc's "jobs" environment (the queue() handler dispatches on them). */
export const JOB_QUEUES = {
  work: 'netlens-jobs',
  r2Events: 'netlens-r2-events',
  deadLetters: 'netlens-jobs-dlq',
};

/** Workers Queues delay at most 12 hours. */
const MAX_DELAY_SECONDS = 12 * 3600;

export function delaySeconds(dueAt: number, now = Date.now()): number {
  return Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil((dueAt - now) / 1000)));
}

function d1Database(db: D1Like): SqlDatabase {
  return {
    query: async <T>(sql: string, params: readonly unknown[] = []) =>
      (
        await db
          .prepare(sql)
          .bind(...params)
          .all<T>()
      ).results,
    close: async () => undefined,
  };
}

/** The job runtime when the Worker has the D1 and Queue bindings; undefined otherwise (jobs off). */
export function workerJobsRuntime(
  env: WorkerEnv,
  settings: Pick<Settings, 'fetchMaxBytes' | 'fetchTimeoutMs'>,
): JobsRuntime | undefined {
  const { JOBS_DB, JOBS_QUEUE } = env;
  if (!JOBS_DB || !JOBS_QUEUE) return undefined;
  const fetchers = new WeakMap<UrlPolicy, ReturnType<typeof createWebFetch>>();
  const http = (policy: UrlPolicy) => {
    let found = fetchers.get(policy);
    if (!found) {
      found = createWebFetch({
        policy,
        maxBytes: settings.fetchMaxBytes,
        timeoutMs: settings.fetchTimeoutMs,
      });
      fetchers.set(policy, found);
    }
    return found;
  };
  return {
    store: new SqlJobStore(d1Database(JOBS_DB), 'd1:JOBS_DB'),
    queue: queueOf(JOBS_QUEUE),
    owner: `isolate:${crypto.randomUUID().slice(0, 8)}`,
    async loadImage(request, policy) {
      if (request.base64 !== undefined) return decodeBase64(request.base64, 'base64');
      if (request.imageUrl !== undefined) return http(policy).image(request.imageUrl);
      if (request.r2 !== undefined) return readUpload(env, request.r2.key, settings.fetchMaxBytes);
      throw new NetlensError('invalid_argument', 'the job has no image source', {
        details: { permanent: true },
      });
    },
    post: (url, body, headers, policy) => http(policy).post(url, body, headers),
  };
}

function queueOf(queue: QueueLike) {
  return {
    push: (id: string, dueAt: number) => queue.send({ id }, { delaySeconds: delaySeconds(dueAt) }),
  };
}

async function readUpload(env: WorkerEnv, key: string, maxBytes: number): Promise<Uint8Array> {
  if (!env.UPLOADS)
    throw new NetlensError('invalid_argument', 'no UPLOADS R2 binding', { details: { permanent: true } });
  const object = await env.UPLOADS.get(key);
  if (!object) {
    throw new NetlensError('fetch_failed', `R2 object '${key}' does not exist (deleted after the event?)`, {
      details: { permanent: true },
    });
  }
  if (object.size > maxBytes) {
    throw new NetlensError(
      'payload_too_large',
      `R2 object '${key}' is ${object.size} bytes; the limit is ${maxBytes}`,
    );
  }
  return new Uint8Array(await object.arrayBuffer());
}
