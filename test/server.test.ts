/**
 * The real server process (functions/node/main.ts) on a free loopback port with the default model:
 * every shared photo through all three body formats gives the same top-5 as in-process classification
 * (the code path of `netlens classify`); start-up refusal; graceful shutdown draining a request.
 */
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classify } from '../src/core/pipeline.js';
import type { Prediction } from '../src/core/decode.js';
import { createSharpImageDecoder } from '../src/runtime/node/decode-image.js';
import { createNodeEngine } from '../src/runtime/node/engine.js';
import { createModelDirectorySource } from '../src/runtime/node/model-dir.js';
import {
  DEFAULT_MODEL,
  MODELS_DIR,
  PHOTOS_DIR,
  type ServerProcess,
  ensureDefaultModel,
  startServerProcess,
} from './server-process.js';

const TYPES: Record<string, string> = { '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png' };

interface Answer {
  model: string;
  provider: string;
  results: { name: string; predictions: Prediction[]; timings: { batchSize: number } }[];
}

const photos = readdirSync(PHOTOS_DIR)
  .filter((f) => TYPES[extname(f)])
  .sort()
  .map((name) => ({ name, bytes: new Uint8Array(readFileSync(join(PHOTOS_DIR, name))) }));

function expectSameTop5(actual: Prediction[], expected: Prediction[], where: string): void {
  expect(
    actual.map((p) => [p.index, p.id, p.label]),
    where,
  ).toEqual(expected.map((p) => [p.index, p.id, p.label]));
  actual.forEach((p, i) =>
    expect(Math.abs(p.score - expected[i]!.score), `${where} #${i + 1}`).toBeLessThan(1e-5),
  );
}

/** POSTs with node:http and resolves with the answer even when the server answers before the upload ends. */
function postEarlyAnswer(url: string, body: Uint8Array): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream', 'content-length': body.length },
      },
      (res) => {
        answered = true;
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    req.end(body);
  });
}

describe('the Node server process with the default model', () => {
  let server: ServerProcess;
  const expected = new Map<string, Prediction[]>();

  beforeAll(async () => {
    await ensureDefaultModel();
    // Limits low enough to test with real bodies: the photos are all under 0.3 MP and 0.5 MB.
    // Batching on (the CPU default is batches of 1), so that one multipart request runs as a batch.
    server = await startServerProcess([], {
      NETLENS_MAX_PIXELS: '1000000',
      NETLENS_MAX_BODY_BYTES: '8000000',
      NETLENS_MAX_BATCH: '8',
      NETLENS_MAX_DELAY_MS: '300',
    });
    // In-process reference: the same engine, decoder and core code the CLI uses, one image at a time.
    const source = createModelDirectorySource(MODELS_DIR);
    const manifest = await source.manifest(DEFAULT_MODEL);
    const session = await createNodeEngine({ providers: ['cpu'] }).createSession(
      await source.modelBytes(manifest),
    );
    const decode = createSharpImageDecoder();
    for (const photo of photos) {
      const [top5] = await classify(
        session,
        manifest,
        [{ decoded: await decode(photo.bytes), bytes: photo.bytes }],
        5,
      );
      expected.set(photo.name, top5!);
    }
    await session.dispose();
  }, 900_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('has shared photos to classify', () => {
    expect(photos.length).toBeGreaterThanOrEqual(8);
  });

  it('is ready and describes the default model', async () => {
    expect(await (await fetch(`${server.url}/readyz`)).json()).toEqual({
      status: 'ready',
      model: DEFAULT_MODEL,
    });
    const models = (await (await fetch(`${server.url}/v1/models`)).json()) as {
      default: string;
      models: { name: string; state: string; provider: string }[];
    };
    expect(models.default).toBe(DEFAULT_MODEL);
    expect(models.models.find((m) => m.name === DEFAULT_MODEL)).toMatchObject({
      state: 'ready',
      provider: 'cpu',
    });
  });

  it('classifies every photo as a raw body with the in-process top-5', async () => {
    for (const photo of photos) {
      const res = await fetch(`${server.url}/v1/models/${DEFAULT_MODEL}/classify`, {
        method: 'POST',
        headers: { 'content-type': TYPES[extname(photo.name)]! },
        body: photo.bytes,
      });
      expect(res.status, photo.name).toBe(200);
      const answer = (await res.json()) as Answer;
      expect(answer).toMatchObject({ model: DEFAULT_MODEL, provider: 'cpu' });
      expectSameTop5(answer.results[0]!.predictions, expected.get(photo.name)!, `raw ${photo.name}`);
    }
  });

  it('classifies every photo in one multipart request (one batch) with the in-process top-5', async () => {
    const form = new FormData();
    for (const photo of photos)
      form.append('file', new Blob([photo.bytes], { type: TYPES[extname(photo.name)] }), photo.name);
    const res = await fetch(`${server.url}/v1/models/${DEFAULT_MODEL}/classify?top=5`, {
      method: 'POST',
      body: form,
    });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as Answer;
    expect(answer.results.map((r) => r.name)).toEqual(photos.map((p) => p.name));
    for (const result of answer.results)
      expectSameTop5(result.predictions, expected.get(result.name)!, `multipart ${result.name}`);
    expect(answer.results[0]!.timings.batchSize).toBeGreaterThan(1);
  });

  it('classifies every photo in one JSON base64 request with the in-process top-5', async () => {
    const body = JSON.stringify({
      images: photos.map((p) => ({ name: p.name, base64: Buffer.from(p.bytes).toString('base64') })),
      top: 5,
    });
    const res = await fetch(`${server.url}/v1/models/${DEFAULT_MODEL}/classify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as Answer;
    for (const result of answer.results)
      expectSameTop5(result.predictions, expected.get(result.name)!, `json ${result.name}`);
  });

  it('answers client mistakes with problem documents, never 500', async () => {
    const cases: [RequestInit & { path?: string }, number][] = [
      [{ body: 'definitely not an image', headers: { 'content-type': 'image/png' } }, 415],
      [
        {
          body: photos.find((p) => p.name.endsWith('.jpg'))!.bytes.subarray(0, 2000),
          headers: { 'content-type': 'image/jpeg' },
        },
        422,
      ],
      [{ body: '{"images":[]}', headers: { 'content-type': 'application/json' } }, 400],
      [{ body: photos[0]!.bytes, path: '/v1/models/no-such-model/classify' }, 404],
    ];
    for (const [init, status] of cases) {
      const res = await fetch(`${server.url}${init.path ?? `/v1/models/${DEFAULT_MODEL}/classify`}`, {
        method: 'POST',
        ...init,
      });
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
    }
  });

  it('enforces the pixel limit (from the header, before decoding) and the body limit', async () => {
    const big = await sharp({ create: { width: 1100, height: 1000, channels: 3, background: '#808080' } })
      .png()
      .toBuffer();
    const tooManyPixels = await fetch(`${server.url}/v1/models/${DEFAULT_MODEL}/classify`, {
      method: 'POST',
      body: big,
    });
    expect(tooManyPixels.status).toBe(422);
    expect(await tooManyPixels.json()).toMatchObject({ type: '/problems/image-too-large' });
    // The 413 comes before the upload ends (from Content-Length): read it as curl does, while still sending.
    const tooLarge = await postEarlyAnswer(
      `${server.url}/v1/models/${DEFAULT_MODEL}/classify`,
      new Uint8Array(8_000_001),
    );
    expect(tooLarge.status).toBe(413);
    expect(JSON.parse(tooLarge.body)).toMatchObject({
      type: '/problems/payload-too-large',
      limit: 8_000_000,
    });
  });

  it('exports Prometheus metrics for the traffic so far', async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toMatch(
      /netlens_http_requests_total\{method="POST",route="\/v1\/models\/:model\/classify",status="200"\} \d+/,
    );
    expect(text).toContain(`netlens_model_loaded{model="${DEFAULT_MODEL}",provider="cpu",variant="model"} 1`);
    expect(text).toMatch(
      new RegExp(`netlens_images_total\\{model="${DEFAULT_MODEL}",variant="model"\\} (\\d+)`),
    );
    expect(text).toContain('netlens_batch_size_bucket');
    // The shared PNGs took the fast path in the prepare threads, the JPEGs sharp.
    expect(text).toMatch(/netlens_decoded_images_total\{decoder="png-fast",format="png"\} [1-9]/);
    expect(text).toMatch(/netlens_decoded_images_total\{decoder="sharp",format="jpeg"\} [1-9]/);
  });
});

describe('the Node server process: start-up and shutdown', () => {
  it('warns at start when node gives the HTTP thread no old-generation floor, and only then', async () => {
    await ensureDefaultModel();
    const warning =
      /"level":40,.*"msg":"the HTTP thread has no old-generation floor: start node with --initial-old-space-size=128/;
    for (const [nodeArgs, warns] of [
      [[], true],
      [['--initial-old-space-size=128'], false],
    ] as const) {
      const server = await startServerProcess([], {}, 120_000, [...nodeArgs]);
      try {
        expect(warning.test(server.stdout()), `node ${nodeArgs.join(' ')}`).toBe(warns);
      } finally {
        await server.stop();
      }
    }
  });

  it('refuses to start without the default model, naming the command that builds it', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'netlens-empty-'));
    await expect(startServerProcess(['--models-dir', empty], {}, 60_000)).rejects.toThrow(
      /exited with 3 before listening.*not installed in .*npm run models/s,
    );
  });

  it('drops the queued work of a client that hangs up, and drains an in-flight request on SIGTERM', async () => {
    await ensureDefaultModel();
    // A long batching delay keeps requests in the queue while the client hangs up or the signal arrives.
    const server = await startServerProcess([], { NETLENS_MAX_DELAY_MS: '1500', NETLENS_MAX_BATCH: '64' });
    const metrics = async () => (await fetch(`${server.url}/metrics`)).text();
    const queueDepth = async () => (await metrics()).match(/netlens_queue_depth\{[^}]*\} (\d+)/)?.[1];
    const classify = (signal?: AbortSignal) =>
      fetch(`${server.url}/v1/models/${DEFAULT_MODEL}/classify`, {
        method: 'POST',
        body: photos[0]!.bytes,
        ...(signal && { signal }),
      });
    try {
      const client = new AbortController();
      const abandoned = classify(client.signal).catch((error: unknown) => error);
      await expect.poll(queueDepth, { timeout: 10_000, interval: 20 }).toBe('1');
      client.abort();
      expect(await abandoned).toBeInstanceOf(Error);
      await expect.poll(queueDepth, { timeout: 5_000, interval: 20 }).toBe('0');
      await expect.poll(metrics, { timeout: 5_000, interval: 50 }).toMatch(/status="499"\} 1/);
      expect(await metrics()).not.toMatch(/netlens_images_total\{/);

      const pending = classify();
      await expect.poll(queueDepth, { timeout: 10_000, interval: 20 }).toBe('1');
      server.child.kill('SIGTERM');
      const res = await pending;
      expect(res.status).toBe(200);
      expect(((await res.json()) as Answer).results[0]!.predictions).toHaveLength(5);
      expect(await server.exited).toBe(0);
      expect(server.stdout()).toContain('shutting down: draining in-flight requests');
      expect(server.stdout()).toMatch(/"drained":true.*"msg":"stopped"/);
    } finally {
      await server.stop('SIGKILL');
    }
  });
});
