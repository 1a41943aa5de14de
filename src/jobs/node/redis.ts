import { DelayedError, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { messageOf } from '../../core/errors.js';
import type { JobQueue } from '../service.js';
import { type JobSettings, type JobWorkers, type NodeJobBackend, startPurge } from './contract.js';
import { RedisJobStore } from './redis-store.js';

const QUEUE = 'netlens-jobs';

/** `redis://host:port/db?prefix=name` → the ioredis URL and the key prefix (default `netlens`). */
export function parseRedisLocation(location: string): { url: string; prefix: string; shown: string } {
  const url = new URL(location);
  const prefix = url.searchParams.get('prefix') ?? 'netlens';
  url.searchParams.delete('prefix');
  const shown = `${url.protocol}//${url.hostname}:${url.port || 6379}${url.pathname}`;
  return {
    url: url.toString(),
    prefix,
    shown: `redis:${shown.slice(url.protocol.length + 2)} (prefix ${prefix})`,
  };
}

/**
 * Scale-out: job records in Redis (redis-store.ts) and the work in a BullMQ queue that every netlens
 * process sharing the Redis consumes. A BullMQ job carries only the job id; the record decides what is
 * left to do, so a job delivered twice (a stalled lock, a sweep) is run at most once per lease. BullMQ's
 * lock is the visibility timeout: a dead process's jobs are moved back and taken by another. A sweep
 * every half visibility re-adds due jobs BullMQ does not hold (lost between the store and the queue).
 */
export async function openRedisBackend(
  location: string,
  settings: JobSettings,
): Promise<Omit<NodeJobBackend, 'owner' | 'loadImage' | 'post'>> {
  const { url, prefix, shown } = parseRedisLocation(location);
  const connect = () => new Redis(url, { maxRetriesPerRequest: null, connectTimeout: 5000 });
  const store = new RedisJobStore(connect(), prefix, shown);
  const connection = connect();
  const bull = new Queue(QUEUE, { connection, prefix: `${prefix}:bull` });
  const queue: JobQueue = {
    async push(id, dueAt) {
      const delay = Math.max(0, dueAt - Date.now());
      await bull.add('job', { id }, { jobId: id, delay, removeOnComplete: true, removeOnFail: true });
    },
  };
  await store.ping();
  let worker: Worker | undefined;
  const timers: ReturnType<typeof setInterval>[] = [];
  return {
    store,
    queue,
    async startWorkers(workers: JobWorkers) {
      worker = bullWorker(prefix, settings, workers, connect);
      worker.on('error', workers.onError);
      const sweep = (): void => {
        sweepDue(store, queue).catch((error: unknown) =>
          workers.onError(new Error(`job sweep: ${messageOf(error)}`)),
        );
      };
      sweep();
      timers.push(
        setInterval(sweep, Math.max(1000, settings.jobVisibilityMs / 2)),
        startPurge(workers.service, workers.onError),
      );
      for (const timer of timers) timer.unref();
    },
    async close() {
      for (const timer of timers) clearInterval(timer);
      await worker?.close();
      await bull.close();
      await connection.quit().catch(() => undefined);
      await store.close();
    },
  };
}

function bullWorker(
  prefix: string,
  settings: JobSettings,
  { runner, service }: JobWorkers,
  connect: () => Redis,
): Worker {
  return new Worker(
    QUEUE,
    async (bullJob, token) => {
      const id = (bullJob.data as { id: string }).id;
      let job = await runner.runById(id);
      if (!job) {
        const current = await service.store.get(id);
        // Finished, or leased by a live worker (which goes on with it): nothing for this one.
        if (!current || current.dueAt === null || (current.leaseUntil ?? 0) >= Date.now()) return;
        job = current;
      }
      if (job.dueAt === null) return;
      await bullJob.moveToDelayed(Math.max(job.dueAt, Date.now()), token);
      throw new DelayedError();
    },
    {
      connection: connect(),
      prefix: `${prefix}:bull`,
      concurrency: settings.jobConcurrency,
      lockDuration: settings.jobVisibilityMs,
      stalledInterval: settings.jobVisibilityMs,
      maxStalledCount: 1000,
    },
  );
}

/** Re-adds due jobs that no BullMQ job holds (adding an id BullMQ already has does nothing). */
async function sweepDue(store: RedisJobStore, queue: JobQueue): Promise<void> {
  const now = Date.now();
  for (const id of await store.dueIds(now - 1000, 500)) await queue.push(id, now);
}
