/**
 * Webhook jobs through the app (app.request) with the fake engine, a real SQLite store and the real
 * SSRF-safe HTTP to loopback servers: signatures (valid, unsigned, bad, expired, replayed, rotated),
 * idempotency, the job API, callback retries, metrics and readiness.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type NodeJobBackend, openJobBackend } from '../jobs/node/backend.js';
import { FakeEngine, FakeSource, fakeDecoder, fakeImage, fakeManifest } from '../../test/support/fakes.js';
import {
  OLD_SECRET,
  OTHER_SECRET,
  type Receiver,
  SECRET,
  signedHeaders,
  startReceiver,
  waitFor,
} from '../../test/support/webhooks.js';
import { createApp } from './app.js';
import type { AppConfigInput } from './config.js';
import { silentLogger } from './logger.js';
import { ModelRegistry } from './registry.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(jobs: AppConfigInput['jobs'] = {}, withStore = true) {
  const dir = await mkdtemp(join(tmpdir(), 'netlens-jobs-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const registry = new ModelRegistry({
    source: new FakeSource().add(fakeManifest('alpha')).add(fakeManifest('beta')),
    engine: new FakeEngine(),
    defaultModel: 'alpha',
    logger: silentLogger,
  });
  await registry.start();
  const settings = {
    queue: `sqlite:${join(dir, 'jobs.sqlite')}`,
    jobConcurrency: 2,
    jobVisibilityMs: 5000,
    fetchMaxBytes: 1 << 20,
    fetchTimeoutMs: 5000,
    fetchConnectTimeoutMs: 2000,
  };
  const backend: NodeJobBackend | undefined = withStore
    ? await openJobBackend(settings, dir, { owner: 'test:1' })
    : undefined;
  const app = createApp({
    registry,
    decodeImage: fakeDecoder,
    logger: silentLogger,
    config: {
      batching: { maxDelayMs: 0 },
      jobs: { webhookSecrets: [SECRET], callbackBackoffMs: 20, fetchAllow: ['127.0.0.1/32'], ...jobs },
    },
    ...(backend && { jobs: backend }),
  });
  const errors: unknown[] = [];
  if (backend && app.control.jobs) {
    await backend.startWorkers({ ...app.control.jobs, onError: (e) => errors.push(e) });
  }
  cleanups.push(async () => {
    await backend?.close();
    await app.control.close();
  });
  const hook = (body: unknown, headers: Record<string, string> = signedHeaders(JSON.stringify(body))) =>
    app.request('/v1/hooks/tag', { method: 'POST', body: JSON.stringify(body), headers });
  const job = async (id: string): Promise<Json> => (await app.request(`/v1/jobs/${id}`)).json();
  const until = (id: string, state: string) =>
    waitFor(
      () => job(id),
      (j: Json) => j.state === state,
    );
  return { app, hook, job, until, errors, backend: backend! };
}

const image64 = (v: number) => Buffer.from(fakeImage(v)).toString('base64');

async function receiver(secret = SECRET): Promise<Receiver> {
  const r = await startReceiver(secret);
  cleanups.push(() => r.close());
  return r;
}

describe('POST /v1/hooks/tag', () => {
  it('accepts a signed hook (202 once stored), classifies it like /classify and keeps the tags', async () => {
    const { hook, until } = await setup();
    const answer = await hook({ base64: image64(255), threshold: 0.45, metadata: { asset: 42 } });
    expect(answer.status).toBe(202);
    const accepted = (await answer.json()) as Json;
    expect(accepted).toEqual({ jobId: expect.stringMatching(/^job_[0-9a-f]{32}$/), status: 'queued' });
    const done = await until(accepted.jobId, 'succeeded');
    // Value 255 → mean 1 → probabilities [0.5, 0, 0.2, 0.2, 0.1] on the fake model.
    expect(done.result.predictions.map((p: Json) => p.label)).toEqual(['cat', 'car', 'boat', 'tree', 'dog']);
    expect(done.result.predictions[0].score).toBeCloseTo(0.5, 6);
    expect(done.result.tags).toEqual(['cat']);
    expect(done.result.image).toEqual({ format: 'png', width: 6, height: 5, bytes: 9 });
    expect(done).toMatchObject({
      attempts: 1,
      worker: 'test:1',
      request: { metadata: { asset: 42 }, base64Chars: 12 },
    });
    expect(done.nextAttemptAt).toBeNull();
  });

  it('refuses unsigned, badly signed, expired and replayed hooks with 401 problems', async () => {
    const { hook, app } = await setup();
    const body = { base64: image64(1) };
    const text = JSON.stringify(body);
    const problem = async (headers: Record<string, string>) => {
      const answer = await hook(body, headers);
      expect(answer.status).toBe(401);
      expect(answer.headers.get('content-type')).toBe('application/problem+json');
      return (await answer.json()) as Json;
    };
    expect((await problem({ 'content-type': 'application/json' })).type).toBe('/problems/webhook-unsigned');
    const good = signedHeaders(text);
    expect((await problem({ ...good, 'webhook-signature': 'v1,AAAA' })).type).toBe(
      '/problems/webhook-signature-invalid',
    );
    expect((await problem(signedHeaders(text, { secret: OTHER_SECRET }))).type).toBe(
      '/problems/webhook-signature-invalid',
    );
    // A body changed after signing.
    const tampered = await app.request('/v1/hooks/tag', {
      method: 'POST',
      body: text.replace('}', ' }'),
      headers: good,
    });
    expect(tampered.status).toBe(401);
    const old = await problem(signedHeaders(text, { at: Date.now() - 6 * 60_000 }));
    expect(old).toMatchObject({ type: '/problems/webhook-expired', toleranceSeconds: 300 });
    expect((await problem(signedHeaders(text, { at: Date.now() + 6 * 60_000 }))).type).toBe(
      '/problems/webhook-expired',
    );
    // An id used for one body cannot carry another (even correctly signed).
    expect((await hook(body, signedHeaders(text, { id: 'msg_once' }))).status).toBe(202);
    const other = JSON.stringify({ base64: image64(2) });
    const replay = await app.request('/v1/hooks/tag', {
      method: 'POST',
      body: other,
      headers: signedHeaders(other, { id: 'msg_once' }),
    });
    expect(replay.status).toBe(401);
    expect(((await replay.json()) as Json).type).toBe('/problems/webhook-replayed');
    const described = (await (await app.request('/problems/webhook-replayed')).json()) as Json;
    expect(described).toMatchObject({ status: 401, title: 'Webhook id replayed' });
  });

  it('answers a repeated webhook-id with the same job (200), re-signed or byte for byte', async () => {
    const { hook, app } = await setup();
    const body = { base64: image64(7) };
    const text = JSON.stringify(body);
    const headers = signedHeaders(text, { id: 'msg_repeat' });
    const first = (await (await hook(body, headers)).json()) as Json;
    const again = await hook(body, headers);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ jobId: first.jobId, status: expect.any(String) });
    const resigned = await hook(body, signedHeaders(text, { id: 'msg_repeat', at: Date.now() - 1000 }));
    expect(resigned.status).toBe(200);
    expect(((await resigned.json()) as Json).jobId).toBe(first.jobId);
    const list = (await (await app.request('/v1/jobs')).json()) as Json;
    expect(list.jobs.map((j: Json) => j.id)).toEqual([first.jobId]);
  });

  it('accepts every active secret during a rotation and signs callbacks with the first', async () => {
    const r = await receiver(SECRET);
    const { app, until } = await setup({ webhookSecrets: [SECRET, OLD_SECRET] });
    const send = (secret: string) => {
      const text = JSON.stringify({ base64: image64(3), callbackUrl: r.url });
      return app.request('/v1/hooks/tag', {
        method: 'POST',
        body: text,
        headers: signedHeaders(text, { secret }),
      });
    };
    const withOld = await send(OLD_SECRET);
    const withNew = await send(SECRET);
    expect([withOld.status, withNew.status]).toEqual([202, 202]);
    expect((await send(OTHER_SECRET)).status).toBe(401);
    await until(((await withOld.json()) as Json).jobId, 'delivered');
    await until(((await withNew.json()) as Json).jobId, 'delivered');
    expect(r.successes().every((d) => d.verified)).toBe(true);
    expect(r.successes()).toHaveLength(2);
  });

  it('validates the body and the URLs after the signature, before storing', async () => {
    const { hook } = await setup();
    const status = async (body: unknown) => {
      const answer = await hook(body);
      return [answer.status, ((await answer.json()) as Json).code];
    };
    expect(await status({ base64: image64(1), imageUrl: 'http://example.com/a.png' })).toEqual([
      400,
      'invalid_argument',
    ]);
    expect(await status({})).toEqual([400, 'invalid_argument']);
    expect(await status({ base64: '%%%' })).toEqual([400, 'invalid_argument']);
    expect(await status({ base64: image64(1), surprise: 1 })).toEqual([400, 'invalid_argument']);
    expect(await status({ imageUrl: 'http://10.0.0.8/cat.jpg' })).toEqual([422, 'url_refused']);
    expect(await status({ imageUrl: 'http://[::1]/cat.jpg' })).toEqual([422, 'url_refused']);
    expect(await status({ base64: image64(1), callbackUrl: 'http://169.254.169.254/latest' })).toEqual([
      422,
      'url_refused',
    ]);
    expect(await status({ base64: image64(1), model: 'nope' })).toEqual([404, 'unknown_model']);
    expect(await status({ base64: image64(1), top: 6 })).toEqual([400, 'invalid_argument']);
  });

  it('says how to turn jobs on when no secret is set', async () => {
    const { app } = await setup({ webhookSecrets: [] });
    const answer = await app.request('/v1/hooks/tag', { method: 'POST', body: '{}' });
    expect(answer.status).toBe(404);
    expect(((await answer.json()) as Json).detail).toMatch(/NETLENS_WEBHOOK_SECRETS/);
    expect((await app.request('/v1/jobs')).status).toBe(404);
  });
});

describe('jobs', () => {
  it('fetches the image from a URL (loopback allowed explicitly) and fails permanently on a refused one', async () => {
    const server: Server = createServer((req, res) => {
      if (req.url === '/cat.png') res.writeHead(200).end(Buffer.from(fakeImage(255)));
      else res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data' }).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => server.close(r)));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { hook, until } = await setup();
    const ok = (await (await hook({ imageUrl: `${base}/cat.png` })).json()) as Json;
    expect((await until(ok.jobId, 'succeeded')).result.tags).toEqual(['cat']);
    const bad = (await (await hook({ imageUrl: `${base}/redirect` })).json()) as Json;
    const failed = await until(bad.jobId, 'failed');
    expect(failed).toMatchObject({ attempts: 1, lastError: { code: 'url_refused' }, result: null });
    expect(failed.lastError.message).toMatch(/169\.254\.169\.254 is a cloud metadata address/);
  });

  it('retries a failing callback with backoff: one success recorded, attempts counted, one webhook-id', async () => {
    const r = await receiver();
    r.failNext(3, 503, '0');
    const { hook, until } = await setup();
    const { jobId } = (await (
      await hook({ base64: image64(255), callbackUrl: r.url, metadata: { n: 1 } })
    ).json()) as Json;
    const done = await until(jobId, 'delivered');
    expect(done).toMatchObject({
      deliveryAttempts: 4,
      lastError: null,
      deliveryError: { code: 'callback_failed' },
    });
    expect(r.deliveries.map((d) => d.status)).toEqual([503, 503, 503, 204]);
    expect(r.successes()).toHaveLength(1);
    expect(new Set(r.deliveries.map((d) => d.webhookId))).toEqual(new Set([done.deliveryId]));
    expect(r.successes()[0]!.body).toMatchObject({
      type: 'tagging.succeeded',
      data: { jobId, status: 'succeeded', tags: ['cat'], metadata: { n: 1 } },
    });
  });

  it('marks delivery_failed after the last try; retry delivers again under a new webhook-id', async () => {
    const r = await receiver();
    r.failNext(3);
    const { hook, until, app } = await setup({ callbackAttempts: 3 });
    const { jobId } = (await (await hook({ base64: image64(9), callbackUrl: r.url })).json()) as Json;
    const failed = await until(jobId, 'delivery_failed');
    expect(failed.deliveryAttempts).toBe(3);
    expect((await app.request(`/v1/jobs/${jobId}/retry`, { method: 'POST' })).status).toBe(202);
    const done = await until(jobId, 'delivered');
    expect(done.deliveryId).not.toBe(failed.deliveryId);
    expect(r.successes().map((d) => d.webhookId)).toEqual([done.deliveryId]);
    const conflict = await app.request(`/v1/jobs/${jobId}/retry`, { method: 'POST' });
    expect(conflict.status).toBe(409);
    expect(((await conflict.json()) as Json).state).toBe('delivered');
    expect((await app.request('/v1/jobs/job_nope')).status).toBe(404);
  });

  it('delivers failures too, and retry runs a failed job again', async () => {
    const r = await receiver();
    const { hook, until, app } = await setup();
    const corrupt = Buffer.from(fakeImage(1, 'png', 'CORRUPT')).toString('base64');
    const { jobId } = (await (await hook({ base64: corrupt, callbackUrl: r.url })).json()) as Json;
    const done = await until(jobId, 'delivered');
    expect(done).toMatchObject({ lastError: { code: 'bad_image' }, deliveryError: null, result: null });
    expect(r.successes()[0]!.body).toMatchObject({
      type: 'tagging.failed',
      data: { status: 'failed', error: { code: 'bad_image' } },
    });
    const plain = (await (await hook({ base64: corrupt })).json()) as Json;
    await until(plain.jobId, 'failed');
    expect((await app.request(`/v1/jobs/${plain.jobId}/retry`, { method: 'POST' })).status).toBe(202);
    expect((await until(plain.jobId, 'failed')).attempts).toBe(1);
  });

  it('lists newest first with a status filter and cursors', async () => {
    const { hook, app, until } = await setup();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(((await (await hook({ base64: image64(i) })).json()) as Json).jobId);
    for (const id of ids) await until(id, 'succeeded');
    const first = (await (await app.request('/v1/jobs?limit=2&status=succeeded')).json()) as Json;
    expect(first.jobs.map((j: Json) => j.id)).toEqual([ids[4], ids[3]]);
    const second = (await (
      await app.request(`/v1/jobs?limit=2&status=succeeded&cursor=${first.next}`)
    ).json()) as Json;
    const third = (await (
      await app.request(`/v1/jobs?limit=2&status=succeeded&cursor=${second.next}`)
    ).json()) as Json;
    expect([...second.jobs, ...third.jobs].map((j: Json) => j.id)).toEqual([ids[2], ids[1], ids[0]]);
    expect(third.next).toBeUndefined();
    expect(((await (await app.request('/v1/jobs?status=failed')).json()) as Json).jobs).toEqual([]);
    expect((await app.request('/v1/jobs?status=lost')).status).toBe(400);
    expect((await app.request('/v1/jobs?cursor=zzz')).status).toBe(400);
  });

  it('reports jobs in /metrics and the store in /readyz', async () => {
    const r = await receiver();
    r.failNext(1, 500);
    const { hook, until, app } = await setup();
    const { jobId } = (await (await hook({ base64: image64(200), callbackUrl: r.url })).json()) as Json;
    await until(jobId, 'delivered');
    const metrics = await (await app.request('/metrics')).text();
    expect(metrics).toContain('netlens_jobs{state="delivered"} 1');
    expect(metrics).toContain('netlens_jobs{state="queued"} 0');
    expect(metrics).toContain('netlens_job_queue_depth 0');
    expect(metrics).toContain('netlens_job_oldest_queued_age_seconds 0');
    expect(metrics).toContain('netlens_job_retries_total{phase="deliver"} 1');
    expect(metrics).toMatch(/netlens_job_phase_duration_seconds_count\{outcome="ok",phase="classify"\} 1/);
    expect(metrics).toMatch(/netlens_job_phase_duration_seconds_count\{outcome="error",phase="deliver"\} 1/);
    const ready = (await (await app.request('/readyz')).json()) as Json;
    expect(ready.jobs).toEqual({ store: expect.stringMatching(/^sqlite:.*jobs\.sqlite$/), ok: true });
  });
});
