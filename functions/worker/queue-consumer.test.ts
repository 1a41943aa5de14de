/**
 * The Worker's queue() handler logic on the SQL store (better-sqlite3 here, D1 in workerd): work
 * messages are acked when done or left to another lease, retried with the due delay; R2 events become
 * one job per object version; dead letters fail their job.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AppJobs } from '../../src/app/env.js';
import { silentLogger } from '../../src/app/logger.js';
import { openSqliteStore } from '../../src/jobs/node/sqlite.js';
import type { JobRunner } from '../../src/jobs/runner.js';
import { JobService } from '../../src/jobs/service.js';
import { createWebhookSigner } from '../../src/jobs/signature.js';
import type { Job } from '../../src/jobs/types.js';
import { createUrlPolicy } from '../../src/jobs/url-policy.js';
import type { QueueMessageLike } from './bindings.js';
import { JOB_QUEUES } from './jobs.js';
import { consumeBatch } from './queue-consumer.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function setup(run: (id: string) => Promise<Job | undefined> = async () => undefined) {
  const dir = await mkdtemp(join(tmpdir(), 'netlens-consumer-'));
  const store = openSqliteStore(join(dir, 'jobs.sqlite'));
  cleanups.push(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  const pushed: string[] = [];
  const service = new JobService({
    store,
    queue: { push: async (id) => void pushed.push(id) },
    signer: createWebhookSigner([]),
    policy: createUrlPolicy(),
    defaults: { model: 'm', top: 5 },
    retentionMs: 3600_000,
  });
  const jobs = { service, runner: { runById: run } as unknown as JobRunner, owner: 'isolate:me' } as AppJobs;
  return { store, service, jobs, pushed };
}

function message(body: unknown, attempts = 1) {
  const outcome: { acked?: boolean; retry?: number | undefined } = {};
  const msg: QueueMessageLike = {
    id: 'm1',
    body,
    attempts,
    ack: () => void (outcome.acked = true),
    retry: (options) => void (outcome.retry = options?.delaySeconds),
  };
  return { msg, outcome };
}

const settings = { r2CallbackUrl: 'https://app.example/r2', defaultModel: 'm' };
const request = { base64: 'AAAA', model: 'm', top: 5, threshold: 0.5 };

describe('queue consumer', () => {
  it('creates one job per R2 object version and ignores other actions', async () => {
    const { jobs, store, pushed } = await setup();
    const event = { bucket: 'uploads', action: 'PutObject', object: { key: 'a/b.jpg', eTag: 'e1' } };
    for (const body of [event, event, { ...event, action: 'DeleteObject' }]) {
      const { msg, outcome } = message(body);
      await consumeBatch({ queue: JOB_QUEUES.r2Events, messages: [msg] }, jobs, settings, silentLogger);
      expect(outcome.acked).toBe(true);
    }
    const { jobs: listed } = await store.list({ limit: 10 });
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({
      webhookId: 'r2:uploads/a/b.jpg@e1',
      request: { r2: { bucket: 'uploads', key: 'a/b.jpg' }, callbackUrl: 'https://app.example/r2' },
    });
    expect(pushed).toEqual([listed[0]!.id, listed[0]!.id]);
  });

  it('acks finished jobs, retries jobs due later with their delay', async () => {
    const { jobs, service, store } = await setup();
    const { job } = await service.create('k1', 'h', request);
    const later = await store.transition(job.id, ['queued'], { dueAt: Date.now() + 30_000 }, Date.now());
    expect(later?.dueAt).toBeGreaterThan(Date.now());
    const { msg, outcome } = message({ id: job.id });
    await consumeBatch({ queue: JOB_QUEUES.work, messages: [msg] }, jobs, settings, silentLogger);
    expect(outcome.retry).toBeGreaterThanOrEqual(29);
    await store.transition(job.id, ['queued'], { state: 'failed', dueAt: null }, Date.now());
    const done = message({ id: job.id });
    await consumeBatch({ queue: JOB_QUEUES.work, messages: [done.msg] }, jobs, settings, silentLogger);
    expect(done.outcome).toEqual({ acked: true });
  });

  it('fails a dead-lettered job so the API shows it', async () => {
    const { jobs, service, store } = await setup();
    const { job } = await service.create('k2', 'h', request);
    const { msg, outcome } = message({ id: job.id }, 101);
    await consumeBatch({ queue: JOB_QUEUES.deadLetters, messages: [msg] }, jobs, settings, silentLogger);
    expect(outcome.acked).toBe(true);
    expect(await store.get(job.id)).toMatchObject({
      state: 'failed',
      dueAt: null,
      lastError: { code: 'internal', message: 'dead-lettered: its queue message failed 101 times' },
    });
  });

  it('retries a message whose handling threw', async () => {
    const { jobs } = await setup(async () => {
      throw new Error('D1 is down');
    });
    const { msg, outcome } = message({ id: 'job_x' }, 3);
    await consumeBatch({ queue: JOB_QUEUES.work, messages: [msg] }, jobs, settings, silentLogger);
    expect(outcome).toEqual({ retry: 8 });
  });
});
