/**
 * The Lambda handler in-process with real event shapes (HTTP API v2, REST v1, Function URL, ALB with
 * single- and multi-value headers): classify with raw, JSON base64 and multipart bodies gives the same
 * predictions as the Node app answering app.request(); errors are problem+json; /healthz; a response
 * over Lambda's 6 MB limit is a 413 response_too_large problem; the settings are tuned for Lambda.
 */
import { availableParallelism } from 'node:os';
import { readFileSync, readdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Prediction } from '../../src/core/decode.js';
import { isNetlensError } from '../../src/core/errors.js';
import { type NodeApp, createNodeApp } from '../../src/runtime/node/server.js';
import { readNodeSettings } from '../../src/runtime/node/runtime.js';
import { DEFAULT_MODEL, MODELS_DIR, PHOTOS_DIR, ensureDefaultModel } from '../../test/server-process.js';
import {
  EVENT_KINDS,
  type EventKind,
  type HttpRequestSpec,
  decodeResult,
  lambdaEvent,
  multipartBody,
} from '../../test/support/lambda-events.js';
import {
  LAMBDA_RESPONSE_LIMIT_BYTES,
  type LambdaApp,
  createLambdaApp,
  fitResponseLimit,
  readLambdaSettings,
} from './lambda-app.js';

const TYPES: Record<string, string> = { '.jpg': 'image/jpeg', '.png': 'image/png' };
const photos = readdirSync(PHOTOS_DIR)
  .filter((f) => TYPES[extname(f)])
  .sort()
  .map((name) => ({
    name,
    type: TYPES[extname(name)]!,
    bytes: new Uint8Array(readFileSync(join(PHOTOS_DIR, name))),
  }));
const CLASSIFY = `/v1/models/${DEFAULT_MODEL}/classify?top=5`;
const silent = pino({ level: 'silent' });

interface Answer {
  model: string;
  results: { name?: string; predictions: Prediction[] }[];
}

function expectSamePredictions(actual: Prediction[], expected: Prediction[], where: string): void {
  expect(
    actual.map((p) => [p.index, p.id, p.label]),
    where,
  ).toEqual(expected.map((p) => [p.index, p.id, p.label]));
  actual.forEach((p, i) =>
    expect(Math.abs(p.score - expected[i]!.score), `${where} #${i}`).toBeLessThan(1e-6),
  );
}

describe('the Lambda handler with the default model', () => {
  let lambda: LambdaApp;
  let node: NodeApp;
  /** Top-5 of each photo from the Node app (app.request, raw body). */
  const expected = new Map<string, Prediction[]>();

  let file: { path: string; fileBytes: number } | undefined;
  /** The model file's content-addressed path and size, from the Node app (once). */
  const modelFile = async (): Promise<{ path: string; fileBytes: number }> => {
    if (file) return file;
    const redirect = await node.app.request(`/v1/models/${DEFAULT_MODEL}/files/model`);
    expect(redirect.status).toBe(302);
    const path = redirect.headers.get('location')!;
    const direct = await node.app.request(path);
    expect(direct.status).toBe(200);
    const fileBytes = (await direct.arrayBuffer()).byteLength;
    expect(fileBytes).toBeGreaterThan(LAMBDA_RESPONSE_LIMIT_BYTES);
    expect(Number(direct.headers.get('content-length'))).toBe(fileBytes);
    return (file = { path, fileBytes });
  };

  const invoke = async (kind: EventKind, spec: HttpRequestSpec) =>
    decodeResult(await lambda.handler(lambdaEvent(kind, spec)));

  /** A 200 answering every photo, in order, with the Node app's top-5. */
  const expectEveryPhoto = (res: { status: number; text: string }, where: string): void => {
    expect(res.status, res.text).toBe(200);
    const answer = JSON.parse(res.text) as Answer;
    expect(answer.results.map((r) => r.name)).toEqual(photos.map((p) => p.name));
    answer.results.forEach((r, i) =>
      expectSamePredictions(r.predictions, expected.get(photos[i]!.name)!, `${where} ${photos[i]!.name}`),
    );
  };

  beforeAll(async () => {
    await ensureDefaultModel();
    lambda = await createLambdaApp({ env: { NETLENS_MODELS_DIR: MODELS_DIR }, logger: silent });
    const { settings } = readNodeSettings({ NETLENS_MODELS_DIR: MODELS_DIR });
    node = await createNodeApp({ settings, logger: silent, assets: false });
    for (const photo of photos) {
      const res = await node.app.request(CLASSIFY, {
        method: 'POST',
        headers: { 'content-type': photo.type },
        body: photo.bytes,
      });
      expect(res.status, photo.name).toBe(200);
      expected.set(photo.name, ((await res.json()) as Answer).results[0]!.predictions);
    }
  }, 600_000);

  afterAll(async () => {
    await lambda?.node.close();
    await node?.close();
  });

  it('has the shared photos', () => {
    expect(photos.length).toBeGreaterThanOrEqual(8);
    expect(expected.size).toBe(photos.length);
  });

  it.each(EVENT_KINDS)(
    '%s: classifies a raw body (base64 from the platform) like the Node app',
    async (kind) => {
      for (const photo of photos.slice(0, 3)) {
        const res = await invoke(kind, {
          method: 'POST',
          path: CLASSIFY,
          headers: { 'content-type': photo.type },
          body: photo.bytes,
        });
        expect(res.status, `${kind} ${photo.name}: ${res.text}`).toBe(200);
        expect(res.isBase64Encoded).toBe(false);
        const answer = JSON.parse(res.text) as Answer;
        expect(answer.model).toBe(DEFAULT_MODEL);
        expectSamePredictions(
          answer.results[0]!.predictions,
          expected.get(photo.name)!,
          `${kind} ${photo.name}`,
        );
      }
    },
  );

  it.each(EVENT_KINDS)(
    '%s: classifies every photo as JSON base64 (a text body) like the Node app',
    async (kind) => {
      const body = JSON.stringify({
        images: photos.map((p) => ({ name: p.name, base64: Buffer.from(p.bytes).toString('base64') })),
      });
      const res = await invoke(kind, {
        method: 'POST',
        path: CLASSIFY,
        headers: { 'content-type': 'application/json' },
        body,
      });
      expectEveryPhoto(res, `${kind} json`);
    },
  );

  it.each(EVENT_KINDS)('%s: classifies every photo in one multipart body like the Node app', async (kind) => {
    const { body, contentType } = await multipartBody(photos);
    const res = await invoke(kind, {
      method: 'POST',
      path: CLASSIFY,
      headers: { 'content-type': contentType },
      body,
    });
    expectEveryPhoto(res, `${kind} multipart`);
  });

  it.each(EVENT_KINDS)('%s: answers /healthz', async (kind) => {
    const res = await invoke(kind, { method: 'GET', path: '/healthz' });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({ status: 'ok' });
  });

  it.each(EVENT_KINDS)('%s: an unknown model is a 404 problem listing the installed models', async (kind) => {
    const res = await invoke(kind, {
      method: 'POST',
      path: '/v1/models/no-such-model/classify',
      headers: { 'content-type': 'image/jpeg' },
      body: photos[0]!.bytes,
    });
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toBe('application/problem+json');
    const problem = JSON.parse(res.text) as { type: string; models: string[]; instance: string };
    expect(problem.type).toBe('/problems/unknown-model');
    expect(problem.models).toContain(DEFAULT_MODEL);
    expect(problem.instance).toBe('/v1/models/no-such-model/classify');
  });

  it.each(EVENT_KINDS)('%s: a truncated image is a 422 bad-image problem', async (kind) => {
    const jpeg = photos.find((p) => p.type === 'image/jpeg')!;
    const res = await invoke(kind, {
      method: 'POST',
      path: CLASSIFY,
      headers: { 'content-type': 'image/jpeg' },
      body: jpeg.bytes.subarray(0, 600),
    });
    expect(res.status, res.text).toBe(422);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(res.text)).toMatchObject({ type: '/problems/bad-image', status: 422 });
  });

  it.each(EVENT_KINDS)('%s: a model file over 6 MB is a 413 response-too-large problem', async (kind) => {
    const { path, fileBytes } = await modelFile();
    const res = await invoke(kind, { method: 'GET', path, headers: { 'x-request-id': 'req-over-limit' } });
    expect(res.status).toBe(413);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.headers['x-request-id']).toBe('req-over-limit');
    const problem = JSON.parse(res.text) as { type: string; size: number; limit: number; requestId: string };
    expect(problem).toMatchObject({
      type: '/problems/response-too-large',
      status: 413,
      limit: LAMBDA_RESPONSE_LIMIT_BYTES,
      requestId: 'req-over-limit',
    });
    // Refused from the Content-Length, before the body is read: the base64 body alone would be 4/3 of it.
    expect(problem.size).toBe(Math.ceil(fileBytes / 3) * 4);
  });

  it("limits failed authentication per caller address (the event's sourceIp)", async () => {
    const keyed = await createLambdaApp({
      env: {
        NETLENS_MODELS_DIR: MODELS_DIR,
        NETLENS_API_KEYS: 'ci:right',
        NETLENS_AUTH_FAILURE_LIMIT: '60/2',
      },
      logger: silent,
    });
    try {
      const call = async (sourceIp: string, key: string) => {
        const event = lambdaEvent('http-api-v2', {
          method: 'GET',
          path: '/v1/models',
          headers: { 'x-api-key': key },
        }) as unknown as { requestContext: { http: { sourceIp: string } } };
        event.requestContext.http.sourceIp = sourceIp;
        return decodeResult(await keyed.handler(event as never)).status;
      };
      const first = [await call('192.0.2.1', 'wrong'), await call('192.0.2.1', 'wrong')];
      // Past the limit a wrong key gets 429; a valid key from the same address still passes.
      expect([...first, await call('192.0.2.1', 'wrong'), await call('192.0.2.1', 'right')]).toEqual([
        401, 401, 429, 200,
      ]);
      expect([await call('198.51.100.7', 'right'), await call('198.51.100.7', 'wrong')]).toEqual([200, 401]);
    } finally {
      await keyed.node.close();
    }
  }, 120_000);

  it('passes an answer of exactly the limit and refuses one byte more', async () => {
    const event = lambdaEvent('http-api-v2', { method: 'GET', path: '/healthz' });
    const result = await lambda.handler(event);
    const size = Buffer.byteLength(JSON.stringify(result));
    expect(await fitResponseLimit(event, undefined, result, size)).toBe(result);
    const refused = decodeResult(await fitResponseLimit(event, undefined, result, size - 1));
    expect(refused.status).toBe(413);
    expect(JSON.parse(refused.text)).toMatchObject({ size, limit: size - 1 });
  });

  it('is tuned for one request per instance: engine in-process, one engine call, every core', () => {
    expect(lambda.settings).toMatchObject({
      engineWorker: false,
      concurrency: 1,
      threads: availableParallelism(),
      modelsDir: MODELS_DIR,
    });
  });
});

describe('readLambdaSettings', () => {
  it('lets the environment win over the Lambda defaults and the zip models', () => {
    const { settings } = readLambdaSettings(
      { NETLENS_ENGINE_WORKER: 'on', NETLENS_CONCURRENCY: '2', NETLENS_MODELS_DIR: '/mnt/efs/models' },
      '/var/task/models',
    );
    expect(settings).toMatchObject({ engineWorker: true, concurrency: 2, modelsDir: '/mnt/efs/models' });
  });

  it('uses the zip models when NETLENS_MODELS_DIR is not set', () => {
    expect(readLambdaSettings({}, '/var/task/models').settings.modelsDir).toBe('/var/task/models');
    expect(readLambdaSettings({}).settings.modelsDir).toBeUndefined();
  });

  it('refuses webhook secrets (jobs need a process that outlives the request)', () => {
    let caught: unknown;
    try {
      readLambdaSettings({ NETLENS_WEBHOOK_SECRETS: `whsec_${Buffer.alloc(24, 7).toString('base64')}` });
    } catch (error) {
      caught = error;
    }
    expect(isNetlensError(caught) && caught.code).toBe('invalid_argument');
    expect((caught as Error).message).toMatch(/NETLENS_WEBHOOK_SECRETS.*Lambda freezes/);
  });
});
