/**
 * Scale-out: two server processes share one Redis (BullMQ queue + Redis job store) and work off 200
 * webhook jobs together: each job is classified once and delivered once, and both processes did work.
 * Redis is NETLENS_TEST_REDIS_URL (CI) or a redis-server child on loopback; none is a failure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ImageServer, sendHooks, startImageServer } from './support/job-load.js';
import { type TestRedis, testRedis } from './support/redis.js';
import { type Receiver, SECRET, startReceiver, waitFor } from './support/webhooks.js';
import { type ServerProcess, ensureDefaultModel, startServerProcess } from './server-process.js';

const JOBS = 200;

interface ListedJob {
  id: string;
  state: string;
  attempts: number;
  deliveryAttempts: number;
  worker: string;
}

describe('two servers sharing one Redis', () => {
  let redis: TestRedis;
  let images: ImageServer;
  let receiver: Receiver;
  let servers: ServerProcess[] = [];

  beforeAll(async () => {
    await ensureDefaultModel();
    redis = await testRedis();
    images = await startImageServer();
    receiver = await startReceiver();
    const queue = `${redis.url}/0?prefix=scale-${crypto.randomUUID()}`;
    const env = {
      NETLENS_WEBHOOK_SECRETS: SECRET,
      NETLENS_QUEUE: queue,
      NETLENS_FETCH_ALLOW: '127.0.0.1',
      NETLENS_JOB_CONCURRENCY: '2',
    };
    servers = await Promise.all([startServerProcess([], env), startServerProcess([], env)]);
  }, 600_000);

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await images?.close();
    await receiver?.close();
    await redis?.stop();
  });

  it('processes 200 jobs once each, with both processes doing work', async () => {
    const t0 = performance.now();
    let turn = 0;
    const ids = await sendHooks(
      () => servers[turn++ % 2]!.url,
      JOBS,
      (i) => ({ imageUrl: images.url(i), callbackUrl: receiver.url }),
    );
    await waitFor(
      async () => new Set(receiver.successes().map((d) => d.body.data.jobId)).size,
      (n) => n >= JOBS,
      300_000,
    );
    const { jobs } = (await (await fetch(`${servers[1]!.url}/v1/jobs?limit=500`)).json()) as {
      jobs: ListedJob[];
    };
    expect(jobs.map((j) => j.id).sort()).toEqual([...ids].sort());
    expect(jobs.every((j) => j.state === 'delivered' && j.attempts === 1 && j.deliveryAttempts === 1)).toBe(
      true,
    );
    expect(receiver.successes()).toHaveLength(JOBS);
    expect(images.requests()).toBe(JOBS);
    const byWorker = new Map<string, number>();
    for (const j of jobs) byWorker.set(j.worker, (byWorker.get(j.worker) ?? 0) + 1);
    expect(byWorker.size).toBe(2);
    console.log(
      `scale-out: ${JOBS} jobs over one Redis in ${Math.round(performance.now() - t0)} ms; per process: ${[...byWorker.values()].join(' + ')}`,
    );
    const ready = (await (await fetch(`${servers[0]!.url}/readyz`)).json()) as { jobs: { store: string } };
    expect(ready.jobs.store).toMatch(/^redis:127\.0\.0\.1:\d+\/0 \(prefix scale-/);
  }, 600_000);
});
