/**
 * Crash test with real processes: 200 webhook jobs (fetch from a loopback image server, classify with
 * the default model, deliver to a loopback receiver) while the server is killed with SIGKILL three
 * times and restarted on the same SQLite file. Afterwards every job has exactly one distinct successful
 * callback message (0 lost); duplicate deliveries, if any, repeat the same webhook-id and are counted.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ImageServer, sendHooks, startImageServer } from './support/job-load.js';
import { type Receiver, SECRET, startReceiver, waitFor } from './support/webhooks.js';
import { type ServerProcess, ensureDefaultModel, startServerProcess } from './server-process.js';

const JOBS = 200;
const KILLS = [30, 90, 150];

describe('webhook jobs survive SIGKILL', () => {
  let dir: string;
  let images: ImageServer;
  let receiver: Receiver;
  let server: ServerProcess | undefined;

  beforeAll(async () => {
    await ensureDefaultModel();
    dir = await mkdtemp(join(tmpdir(), 'netlens-crash-'));
    images = await startImageServer();
    receiver = await startReceiver();
  }, 600_000);

  afterAll(async () => {
    await server?.stop('SIGKILL');
    await images?.close();
    await receiver?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const start = () =>
    startServerProcess([], {
      NETLENS_WEBHOOK_SECRETS: SECRET,
      NETLENS_QUEUE: `sqlite:${join(dir, 'jobs.sqlite')}`,
      NETLENS_FETCH_ALLOW: '127.0.0.1',
      NETLENS_JOB_VISIBILITY_MS: '2000',
      NETLENS_JOB_ATTEMPTS: '10',
      NETLENS_CALLBACK_BACKOFF_MS: '100',
      NETLENS_LOG_LEVEL: 'info',
    });

  it('delivers every job exactly once as a message after three SIGKILLs', async () => {
    const t0 = performance.now();
    server = await start();
    const ids = await sendHooks(
      () => server!.url,
      JOBS,
      (i) => ({ imageUrl: images.url(i), callbackUrl: receiver.url, metadata: { i } }),
    );
    expect(new Set(ids).size).toBe(JOBS);
    const distinct = () => new Set(receiver.successes().map((d) => d.body.data.jobId)).size;
    const killedAt: number[] = [];
    for (const threshold of KILLS) {
      await waitFor(
        async () => distinct(),
        (n) => n >= threshold,
        120_000,
      );
      const delivered = distinct();
      await server.stop('SIGKILL');
      killedAt.push(delivered);
      server = await start();
    }
    await waitFor(
      async () => distinct(),
      (n) => n >= JOBS,
      180_000,
    );

    const byJob = new Map<string, string[]>();
    for (const d of receiver.successes())
      byJob.set(d.body.data.jobId, [...(byJob.get(d.body.data.jobId) ?? []), d.webhookId]);
    expect([...byJob.keys()].sort()).toEqual([...ids].sort());
    const duplicates = receiver.successes().length - JOBS;
    for (const [, webhookIds] of byJob) expect(new Set(webhookIds).size).toBe(1);
    expect(receiver.successes().every((d) => d.verified && d.body.data.status === 'succeeded')).toBe(true);
    expect(receiver.successes().every((d) => (d.body.data.predictions as unknown[]).length === 5)).toBe(true);

    // The store agrees: every job delivered, none left due.
    const listed = await waitFor(
      async () =>
        (await (await fetch(`${server!.url}/v1/jobs?status=delivered&limit=500`)).json()) as {
          jobs: { id: string; attempts: number }[];
        },
      (page) => page.jobs.length === JOBS,
    );
    const retried = listed.jobs.filter((j) => j.attempts > 1).length;
    console.log(
      `crash test: ${JOBS} jobs, SIGKILL after ${killedAt.join(', ')} delivered; 0 lost; ` +
        `${duplicates} duplicate deliveries (same webhook-id); ${retried} jobs processed again after a kill; ` +
        `${Math.round(performance.now() - t0)} ms`,
    );
  }, 600_000);
});
