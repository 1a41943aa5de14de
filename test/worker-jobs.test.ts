/**
 * Webhook jobs in the Worker, in local workerd (wrangler dev --env jobs, offline): D1 job state, the
 * Queues work queue, an R2 object-create event read through the UPLOADS binding. The same signature,
 * idempotency and delivery cases as on Node, against loopback image and callback servers.
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWrangler, temporaryWranglerConfig } from '../functions/worker/scripts/offline-env.js';
import type { LocalWorker } from '../functions/worker/scripts/local-worker.js';
import { conformanceModel, startTestWorker } from './conformance-runners.js';
import { PHOTOS_DIR, type ImageServer, startImageServer } from './support/job-load.js';
import {
  OLD_SECRET,
  OTHER_SECRET,
  type Receiver,
  SECRET,
  signedHeaders,
  startReceiver,
  waitFor,
} from './support/webhooks.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

describe('webhook jobs in the Worker (workerd: D1 + Queues + R2 events)', () => {
  let worker: LocalWorker & { assetsDir: string };
  let state: string;
  let images: ImageServer;
  let receiver: Receiver;

  beforeAll(async () => {
    const { manifest, dir } = await conformanceModel();
    state = await mkdtemp(join(tmpdir(), 'netlens-worker-jobs-'));
    images = await startImageServer();
    receiver = await startReceiver();
    worker = await startTestWorker(manifest.name, dir, {
      env: 'jobs',
      persistTo: state,
      vars: {
        NETLENS_WEBHOOK_SECRETS: `${SECRET},${OLD_SECRET}`,
        NETLENS_FETCH_ALLOW: '127.0.0.1',
        NETLENS_CALLBACK_BACKOFF_MS: '1000',
        NETLENS_R2_CALLBACK_URL: receiver.url,
        NETLENS_EDGE_DEBUG: '1',
      },
    });
  }, 600_000);

  afterAll(async () => {
    await worker?.stop();
    await images?.close();
    await receiver?.close();
    await rm(state, { recursive: true, force: true });
  });

  const hook = (body: unknown, headers?: Record<string, string>) => {
    const text = JSON.stringify(body);
    return fetch(`${worker.url}/v1/hooks/tag`, {
      method: 'POST',
      body: text,
      headers: headers ?? signedHeaders(text),
    });
  };
  const job = async (id: string): Promise<Json> => (await fetch(`${worker.url}/v1/jobs/${id}`)).json();
  const until = (id: string, state: string) =>
    waitFor(
      () => job(id),
      (j: Json) => j.state === state,
      60_000,
    );

  it('checks signatures like Node: unsigned, bad, expired, replayed, rotated', async () => {
    const body = { imageUrl: images.url(0) };
    const text = JSON.stringify(body);
    // An answer that is not JSON (wrangler dev's own "Your worker …" pages, seen once in CI) fails with
    // its text and the tail of wrangler's output, which says why the Worker restarted.
    const type = async (answer: Response) => {
      const text = await answer.text();
      try {
        return [answer.status, (JSON.parse(text) as Json).type];
      } catch {
        throw new Error(
          `${answer.status}, not JSON: ${text.slice(0, 300)}\n--- wrangler dev ---\n${worker.output().slice(-3000)}`,
        );
      }
    };
    expect(await type(await hook(body, { 'content-type': 'application/json' }))).toEqual([
      401,
      '/problems/webhook-unsigned',
    ]);
    expect(await type(await hook(body, signedHeaders(text, { secret: OTHER_SECRET })))).toEqual([
      401,
      '/problems/webhook-signature-invalid',
    ]);
    expect(await type(await hook(body, signedHeaders(text, { at: Date.now() - 10 * 60_000 })))).toEqual([
      401,
      '/problems/webhook-expired',
    ]);
    expect(
      (await hook(body, signedHeaders(text, { id: 'msg_worker_once', secret: OLD_SECRET }))).status,
    ).toBe(202);
    const other = JSON.stringify({ imageUrl: images.url(1) });
    const replay = await fetch(`${worker.url}/v1/hooks/tag`, {
      method: 'POST',
      body: other,
      headers: signedHeaders(other, { id: 'msg_worker_once' }),
    });
    expect(await type(replay)).toEqual([401, '/problems/webhook-replayed']);
    expect(await type(await hook({ imageUrl: 'http://169.254.169.254/x' }))).toEqual([
      422,
      '/problems/url-refused',
    ]);
  }, 120_000);

  it('answers a repeat with the same job and delivers through failures: one success, attempts counted', async () => {
    receiver.failNext(2, 503);
    const body = { imageUrl: images.url(1), callbackUrl: receiver.url, metadata: { from: 'worker' } };
    const text = JSON.stringify(body);
    const headers = signedHeaders(text, { id: 'msg_worker_repeat' });
    const first = await hook(body, headers);
    expect(first.status).toBe(202);
    const { jobId } = (await first.json()) as Json;
    const again = await hook(body, signedHeaders(text, { id: 'msg_worker_repeat' }));
    expect(again.status).toBe(200);
    expect(((await again.json()) as Json).jobId).toBe(jobId);
    const done = await until(jobId, 'delivered');
    expect(done).toMatchObject({ attempts: 1, deliveryAttempts: 3, result: { provider: 'wasm' } });
    const mine = receiver.deliveries.filter((d) => d.body.data.jobId === jobId);
    expect(mine.map((d) => d.status)).toEqual([503, 503, 204]);
    expect(new Set(mine.map((d) => d.webhookId))).toEqual(new Set([done.deliveryId]));
    expect(mine.at(-1)!.body.data).toMatchObject({ status: 'succeeded', metadata: { from: 'worker' } });
    expect(mine.at(-1)!.verified).toBe(true);
  }, 120_000);

  it('turns an R2 object-create event into a job that reads the object through the binding', async () => {
    const { dir, config } = temporaryWranglerConfig(worker.assetsDir);
    const photo = join(dir, 'upload.jpg');
    await copyFile(join(PHOTOS_DIR, 'soccer_ball.jpg'), photo);
    const put = await runWrangler([
      'r2',
      'object',
      'put',
      'netlens-uploads/uploads/ball.jpg',
      '--file',
      photo,
      '--local',
      '--persist-to',
      state,
      '-c',
      config,
      '--env',
      'jobs',
    ]);
    await rm(dir, { recursive: true, force: true });
    expect(put.code, put.output).toBe(0);
    const event = {
      account: 'local',
      action: 'PutObject',
      bucket: 'netlens-uploads',
      object: { key: 'uploads/ball.jpg', size: 1, eTag: 'e1' },
      eventTime: new Date().toISOString(),
    };
    const sent = await fetch(`${worker.url}/__edge/r2-event`, {
      method: 'POST',
      body: JSON.stringify(event),
      headers: { 'content-type': 'application/json' },
    });
    expect(sent.status).toBe(202);
    const delivery = await waitFor(
      async () =>
        receiver.successes().find((d) => (d.body.data.metadata as Json)?.key === 'uploads/ball.jpg'),
      (d) => d !== undefined,
      60_000,
    );
    expect(delivery!.body.data).toMatchObject({
      status: 'succeeded',
      metadata: { bucket: 'netlens-uploads' },
    });
    expect((delivery!.body.data.predictions as unknown[]).length).toBe(5);
    const listed = (await (await fetch(`${worker.url}/v1/jobs?status=delivered`)).json()) as Json;
    expect(listed.jobs.find((j: Json) => j.id === delivery!.body.data.jobId).request.r2).toEqual({
      bucket: 'netlens-uploads',
      key: 'uploads/ball.jpg',
    });
  }, 120_000);
});
