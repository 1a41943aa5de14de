import { messageOf } from '../../core/errors.js';
import type { Settings } from '../../settings/index.js';
import type { JobRunner } from '../runner.js';
import type { JobQueue, JobService } from '../service.js';
import type { JobRequest, JobStore } from '../types.js';
import type { UrlPolicy } from '../url-policy.js';

/** A started job system's handles (what `startWorkers` needs from the app). */
export interface JobWorkers {
  service: JobService;
  runner: JobRunner;
  onError(error: unknown): void;
}

/** The Node side of webhook jobs: a store and its queue, the HTTP jobs use, and the worker loop. */
export interface NodeJobBackend {
  readonly store: JobStore;
  readonly queue: JobQueue;
  readonly owner: string;
  loadImage(request: JobRequest, policy: UrlPolicy): Promise<Uint8Array>;
  post(
    url: string,
    body: string,
    headers: Record<string, string>,
    policy: UrlPolicy,
  ): Promise<{ status: number; retryAfter: string | null }>;
  /** Starts taking jobs (and the hourly retention purge). */
  startWorkers(workers: JobWorkers): Promise<void>;
  /** Stops taking jobs, waits for the running ones, closes the store. */
  close(): Promise<void>;
}

export type JobSettings = Pick<
  Settings,
  | 'queue'
  | 'jobConcurrency'
  | 'jobVisibilityMs'
  | 'fetchMaxBytes'
  | 'fetchTimeoutMs'
  | 'fetchConnectTimeoutMs'
>;

/** Deletes finished jobs past the retention period now and every 10 minutes. */
export function startPurge(
  service: JobService,
  onError: (error: unknown) => void,
): ReturnType<typeof setInterval> {
  const run = (): void => {
    service.purge().catch((error: unknown) => onError(new Error(`job purge: ${messageOf(error)}`)));
  };
  run();
  const timer = setInterval(run, 10 * 60 * 1000);
  timer.unref();
  return timer;
}
