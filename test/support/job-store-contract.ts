/**
 * What every job store must do (SQLite, Redis; D1 runs the SQLite code): the same cases against each,
 * with an explicit clock so leases and visibility timeouts are exact.
 */
import { describe, expect, it } from 'vitest';
import type { JobStore, NewJob } from '../../src/jobs/types.js';

const T0 = 1_800_000_000_000;

function newJob(n: number, at = T0): NewJob {
  return {
    id: `job_${String(n).padStart(32, '0')}`,
    webhookId: `msg_${n}`,
    bodyHash: `hash${n}`,
    request: { base64: 'AAAA', model: 'm', top: 5, threshold: 0.5, metadata: { tags: [], n } },
    now: at,
  };
}

export function describeJobStore(
  name: string,
  open: () => Promise<{ store: JobStore; close(): Promise<void> }>,
): void {
  describe(`${name} job store`, () => {
    const withStore = (test: (store: JobStore) => Promise<void>) => async () => {
      const { store, close } = await open();
      try {
        await test(store);
      } finally {
        await close();
      }
    };

    it(
      'stores a job once per webhook-id and keeps JSON fields intact',
      withStore(async (store) => {
        const first = await store.insert(newJob(1));
        expect(first.created).toBe(true);
        expect(first.job).toMatchObject({
          state: 'queued',
          attempts: 0,
          dueAt: T0,
          leaseOwner: null,
          result: null,
        });
        expect(first.job.request.metadata).toEqual({ tags: [], n: 1 });
        const again = await store.insert({ ...newJob(1), id: 'job_other' });
        expect(again).toMatchObject({ created: false, job: { id: first.job.id, bodyHash: 'hash1' } });
        expect(await store.get('job_missing')).toBeUndefined();
      }),
    );

    it(
      'leases a due job to one owner; an expired lease is taken again with one more attempt',
      withStore(async (store) => {
        const { job } = await store.insert(newJob(2));
        expect(await store.lease(job.id, 'a', T0 - 1, 1000)).toBeUndefined(); // not due yet
        const leased = await store.lease(job.id, 'a', T0, 1000);
        expect(leased).toMatchObject({
          state: 'running',
          attempts: 1,
          leaseOwner: 'a',
          leaseUntil: T0 + 1000,
          startedAt: T0,
        });
        expect(await store.lease(job.id, 'b', T0 + 500, 1000)).toBeUndefined();
        expect(await store.leaseNext('b', T0 + 500, 1000)).toBeUndefined();
        expect(await store.renew(job.id, 'a', T0 + 2000)).toBe(true);
        expect(await store.renew(job.id, 'b', T0 + 9000)).toBe(false);
        expect(await store.leaseNext('b', T0 + 1500, 1000)).toBeUndefined();
        expect(await store.dueIds(T0 + 1500, 10)).toEqual([]);
        // Owner a died: after its lease b takes the job, attempt 2; a's late save is refused.
        expect(await store.dueIds(T0 + 2001, 10)).toEqual([job.id]);
        const taken = await store.leaseNext('b', T0 + 2001, 1000);
        expect(taken).toMatchObject({ id: job.id, attempts: 2, leaseOwner: 'b', startedAt: T0 });
        expect(await store.release(job.id, 'a', { state: 'failed' }, T0 + 2002)).toBeUndefined();
        const saved = await store.release(
          job.id,
          'b',
          {
            state: 'succeeded',
            dueAt: null,
            finishedAt: T0 + 2003,
            result: {
              model: 'm',
              provider: 'cpu',
              image: { format: 'png', width: 1, height: 1, bytes: 1 },
              predictions: [],
              tags: [],
              timings: { fetchMs: 0, classifyMs: 0 },
            },
          },
          T0 + 2003,
        );
        expect(saved).toMatchObject({
          state: 'succeeded',
          leaseOwner: null,
          leaseUntil: null,
          dueAt: null,
          updatedAt: T0 + 2003,
        });
        expect(saved?.result?.tags).toEqual([]);
        expect(await store.lease(job.id, 'c', T0 + 9999, 1000)).toBeUndefined(); // finished
      }),
    );

    it(
      'keeps a delivery due without counting processing attempts, and transitions only from the given states',
      withStore(async (store) => {
        const { job } = await store.insert(newJob(3));
        await store.lease(job.id, 'a', T0, 1000);
        await store.release(
          job.id,
          'a',
          { state: 'failed', dueAt: T0 + 100, lastError: { code: 'bad_image', message: 'x' } },
          T0 + 1,
        );
        expect(await store.leaseNext('a', T0 + 50, 1000)).toBeUndefined();
        const delivering = await store.leaseNext('a', T0 + 100, 1000);
        expect(delivering).toMatchObject({ state: 'failed', attempts: 1 });
        await store.release(
          job.id,
          'a',
          { state: 'delivery_failed', dueAt: null, deliveryAttempts: 3 },
          T0 + 200,
        );
        expect(
          await store.transition(job.id, ['failed'], { state: 'queued', dueAt: T0 }, T0 + 300),
        ).toBeUndefined();
        const again = await store.transition(
          job.id,
          ['delivery_failed'],
          { state: 'failed', dueAt: T0 + 300, deliveryAttempts: 0 },
          T0 + 300,
        );
        expect(again).toMatchObject({
          state: 'failed',
          dueAt: T0 + 300,
          deliveryAttempts: 0,
          lastError: { code: 'bad_image' },
        });
      }),
    );

    it(
      'lists newest first by state with cursors, counts states, purges finished jobs past retention',
      withStore(async (store) => {
        for (let n = 10; n < 15; n++) await store.insert(newJob(n, T0 + n));
        const done = newJob(15, T0 + 15);
        await store.insert(done);
        await store.lease(done.id, 'a', T0 + 20, 1000);
        await store.release(done.id, 'a', { state: 'succeeded', dueAt: null }, T0 + 30);
        const page1 = await store.list({ limit: 2, state: 'queued' });
        expect(page1.jobs.map((j) => j.webhookId)).toEqual(['msg_14', 'msg_13']);
        const page2 = await store.list({ limit: 5, state: 'queued', cursor: page1.next! });
        expect(page2.jobs.map((j) => j.webhookId)).toEqual(['msg_12', 'msg_11', 'msg_10']);
        expect(page2.next).toBeUndefined();
        expect((await store.list({ limit: 10 })).jobs).toHaveLength(6);
        const stats = await store.stats(T0 + 100);
        expect(stats).toMatchObject({ waiting: 5, oldestQueuedAt: T0 + 10 });
        expect(stats.byState).toMatchObject({ queued: 5, succeeded: 1, running: 0 });
        expect(await store.purge(T0 + 30)).toBe(0);
        expect(await store.purge(T0 + 31)).toBe(1);
        expect(await store.get(done.id)).toBeUndefined();
        // The webhook-id is free again once its job is purged.
        expect((await store.insert({ ...done, id: 'job_' + 'f'.repeat(32) })).created).toBe(true);
        await store.ping();
      }),
    );
  });
}
