/** `netlens jobs list|show|retry` against the SQLite store a server would use (NETLENS_QUEUE). */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../src/jobs/node/sqlite.js';
import { netlens } from './cli-helpers.js';

describe('netlens jobs', () => {
  let dir: string;
  let env: Record<string, string>;
  const ids = ['job_' + 'a'.repeat(32), 'job_' + 'b'.repeat(32)];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'netlens-cli-jobs-'));
    env = { NETLENS_QUEUE: `sqlite:${join(dir, 'jobs.sqlite')}` };
    const store = openSqliteStore(join(dir, 'jobs.sqlite'));
    const request = { imageUrl: 'https://images.example/cat.jpg', model: 'm', top: 5, threshold: 0.5 };
    for (const [i, id] of ids.entries()) {
      await store.insert({ id, webhookId: `msg_${i}`, bodyHash: 'h', request, now: 1_800_000_000_000 + i });
      await store.lease(id, 'w', 1_800_000_000_100, 1000);
    }
    await store.release(
      ids[0]!,
      'w',
      { state: 'failed', dueAt: null, lastError: { code: 'fetch_failed', message: '404' } },
      1_800_000_000_200,
    );
    await store.close();
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('lists jobs newest first, filtered by state', async () => {
    const all = await netlens(['jobs', 'list'], env);
    expect(all.code, all.stderr).toBe(0);
    const lines = all.stdout.trim().split('\n');
    expect(lines.map((l) => l.split(/\s+/).slice(0, 2))).toEqual([
      [ids[1], 'running'],
      [ids[0], 'failed'],
    ]);
    expect(lines[1]).toContain('error=fetch_failed');
    const failed = await netlens(['jobs', 'list', '--status', 'failed', '--json'], env);
    expect((JSON.parse(failed.stdout) as { jobs: { id: string }[] }).jobs.map((j) => j.id)).toEqual([ids[0]]);
    const bad = await netlens(['jobs', 'list', '--status', 'lost'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/one of queued, running/);
  });

  it('shows one job and retries a failed one; other states and unknown ids are errors', async () => {
    const shown = await netlens(['jobs', 'show', ids[0]!], env);
    expect(JSON.parse(shown.stdout)).toMatchObject({
      id: ids[0],
      state: 'failed',
      lastError: { code: 'fetch_failed' },
    });
    const retried = await netlens(['jobs', 'retry', ids[0]!], env);
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.stdout).toMatch(new RegExp(`^${ids[0]}\\s+queued`));
    const conflict = await netlens(['jobs', 'retry', ids[1]!], env);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toMatch(/job_conflict: job .* is running/);
    const missing = await netlens(['jobs', 'show', 'job_nope'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/not_found: no job 'job_nope'/);
  });
});
