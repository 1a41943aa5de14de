import { afterEach, describe, expect, it, vi } from 'vitest';
import { NetlensError } from '../core/errors.js';
import { type CreateAppOptions, createApp } from './app.js';
import type { AppConfigInput } from './config.js';
import { createRouter } from './env.js';
import type { Logger } from './logger.js';
import { ModelRegistry } from './registry.js';
import {
  FakeEngine,
  FakeSource,
  expectedScores,
  fakeDecoder,
  fakeImage,
  fakeManifest,
} from '../../test/support/fakes.js';

/** Parsed JSON answers, inspected loosely by the assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

interface LogEntry {
  level: string;
  fields: Record<string, unknown>;
  message?: string;
}

function captureLogger(entries: LogEntry[], bindings: Record<string, unknown> = {}): Logger {
  const at =
    (level: string) =>
    (fields: Record<string, unknown>, message?: string): void => {
      entries.push({ level, fields: { ...bindings, ...fields }, ...(message !== undefined && { message }) });
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => captureLogger(entries, { ...bindings, ...more }),
  };
}

async function setup(
  config: AppConfigInput = {},
  options: { start?: boolean; budget?: number; routes?: CreateAppOptions['routes'] } = {},
) {
  const card = {
    summary: 'A fake model for tests.',
    intendedUse: 'Only tests.',
    classes: { cat: 'a small feline' },
  };
  const source = new FakeSource()
    .add(fakeManifest('alpha', { features: true, card }))
    .add(fakeManifest('beta'));
  const engine = new FakeEngine();
  const logs: LogEntry[] = [];
  const logger = captureLogger(logs);
  const registry = new ModelRegistry({
    source,
    engine,
    defaultModel: 'alpha',
    logger,
    ...(options.budget !== undefined && { memoryBudgetBytes: options.budget }),
  });
  if (options.start !== false) await registry.start();
  const app = createApp({
    registry,
    decodeImage: fakeDecoder,
    config: { batching: { maxDelayMs: 0 }, ...config },
    logger,
    ...(options.routes && { routes: options.routes }),
    assets: {
      async get(path) {
        if (path === 'index.html') return { body: '<!doctype html><title>demo</title>' };
        if (path === 'page.js') return { body: 'console.log(1)', size: 14 };
        return undefined;
      },
    },
  });
  return { app, engine, source, registry, logs };
}

function post(path: string, body: BodyInit, type?: string, init: RequestInit = {}): Request {
  return new Request(`http://localhost${path}`, {
    method: 'POST',
    body,
    ...(type !== undefined && { headers: { 'content-type': type } }),
    ...init,
  });
}

async function problemOf(response: Response) {
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  return (await response.json()) as Record<string, unknown> & {
    type: string;
    status: number;
    detail: string;
  };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

afterEach(() => {
  vi.useRealTimers();
});

describe('operations', () => {
  it('healthz is alive; readyz waits for the default model', async () => {
    const { app, registry } = await setup({}, { start: false });
    expect((await app.request('/healthz')).status).toBe(200);
    const notReady = await app.request('/readyz');
    expect(notReady.status).toBe(503);
    expect((await problemOf(notReady)).type).toBe('/problems/model-not-ready');
    await registry.start();
    const ready = await app.request('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', model: 'alpha' });
  });

  it('refuses to start without the default model, naming the command that builds it', async () => {
    const registry = new ModelRegistry({
      source: new FakeSource().add(fakeManifest('beta')),
      engine: new FakeEngine(),
      defaultModel: 'nsfw-mobilenet-v2',
      location: 'models/onnx',
    });
    await expect(registry.start()).rejects.toThrow(
      "the default model 'nsfw-mobilenet-v2' is not installed in models/onnx; build it with `npm run models`",
    );
  });

  it('serves an OpenAPI document describing every route', async () => {
    const { app } = await setup();
    const doc = (await (await app.request('/openapi.json')).json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/v1/models',
      '/v1/models/rescan',
      '/v1/models/{model}',
      '/v1/models/{model}/classify',
      '/v1/models/{model}/embed',
      '/v1/models/{model}/files/{variant}',
      '/v1/models/{model}/files/{variant}/{sha256}',
    ]);
    const classify = doc.paths['/v1/models/{model}/classify']!.post as {
      requestBody: { content: Record<string, unknown> };
      responses: Record<string, unknown>;
    };
    expect(Object.keys(classify.requestBody.content)).toEqual([
      'image/*',
      'application/octet-stream',
      'multipart/form-data',
      'application/json',
    ]);
    expect(Object.keys(classify.responses)).toEqual(
      expect.arrayContaining(['200', '404', '413', '415', '422', '503', '504']),
    );
  });

  it('serves problem type descriptions', async () => {
    const { app } = await setup();
    const res = await app.request('/problems/queue-full');
    expect(await res.json()).toMatchObject({
      type: '/problems/queue-full',
      status: 503,
      title: 'Queue full',
    });
    expect((await app.request('/problems/nope')).status).toBe(404);
  });

  it('answers unknown routes with a 404 problem', async () => {
    const { app } = await setup();
    const res = await app.request('/nowhere');
    expect(res.status).toBe(404);
    expect(await problemOf(res)).toMatchObject({
      type: '/problems/not-found',
      status: 404,
      instance: '/nowhere',
    });
  });

  it('gives every answer one X-Request-Id: the client’s when well formed, the one it logged', async () => {
    const { app, logs } = await setup();
    const answers = {
      // JSON (c.json), a streamed file (c.body), problems (the error path), the page
      classify: await app.request(post('/v1/models/alpha/classify', fakeImage(1), 'image/png')),
      file: await app.request(`/v1/models/alpha/files/model/${'a'.repeat(64)}`),
      problem: await app.request(post('/v1/models/alpha/classify', new Uint8Array(0), 'image/png')),
      notFound: await app.request('/nowhere'),
      page: await app.request('/'),
    };
    expect(Object.values(answers).map((res) => res.status)).toEqual([200, 200, 400, 404, 200]);
    for (const [name, res] of Object.entries(answers)) {
      const id = res.headers.get('x-request-id');
      expect(id, name).toMatch(/^[0-9a-f-]{36}$/);
      const logged = logs.filter((l) => l.fields.reqId === id && l.message === 'request');
      expect(logged, name).toHaveLength(1);
    }
    const ids = Object.values(answers).map((res) => res.headers.get('x-request-id'));
    expect(new Set(ids).size).toBe(ids.length);

    const mine = await app.request(
      post('/v1/models/alpha/classify', fakeImage(1), 'image/png', {
        headers: { 'content-type': 'image/png', 'x-request-id': 'client-7' },
      }),
    );
    expect(mine.headers.get('x-request-id')).toBe('client-7');
    const odd = await app.request('/nowhere', { headers: { 'x-request-id': 'no spaces allowed' } });
    expect(odd.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sends an answer as its route built it: the request id does not make Hono rebuild it', async () => {
    // A header set on a finished answer makes Hono wrap it in a new Response around its body stream,
    // which @hono/node-server then streams instead of writing in one piece.
    const made: Response[] = [];
    const route = () => {
      const router = createRouter();
      router.get('/made', (c) => {
        const answer = c.json({ ok: true });
        made.push(answer);
        return answer;
      });
      return router;
    };
    const { app } = await setup({}, { routes: [route] });
    const res = await app.request('/made');
    expect(res).toBe(made[0]);
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves the demo page with COOP/COEP, and its static files', async () => {
    const { app } = await setup();
    const page = await app.request('/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(page.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const script = await app.request('/static/page.js');
    expect(await script.text()).toBe('console.log(1)');
    // Static files have content-addressed names: cached for good.
    expect(script.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(script.headers.get('content-length')).toBe('14');
    expect((await app.request('/static/missing.js')).status).toBe(404);
    expect((await app.request('/static/index.html')).status).toBe(404);
    expect((await app.request('/static/../secret')).status).toBe(404);
  });
});

describe('webhook routes without a body', () => {
  it('answers GET and HEAD on /v1/hooks/* with a problem, never a 500', async () => {
    const { app } = await setup();
    for (const method of ['GET', 'HEAD']) {
      const res = await app.request('/v1/hooks/tag', { method });
      expect(res.status, method).toBeLessThan(500);
      if (method === 'GET') expect(res.headers.get('content-type')).toMatch(/problem\+json/);
    }
  });
});

describe('models', () => {
  it('lists models with their load state and provider', async () => {
    const { app } = await setup();
    const body = (await (await app.request('/v1/models')).json()) as {
      default: string;
      engine: string;
      models: Record<string, unknown>[];
    };
    expect(body.default).toBe('alpha');
    expect(body.engine).toBe('fake-engine 1.0');
    expect(body.models).toEqual([
      expect.objectContaining({
        name: 'alpha',
        default: true,
        classes: 5,
        embed: true,
        state: 'ready',
        provider: 'cpu',
      }),
      expect.objectContaining({ name: 'beta', default: false, embed: false, state: 'unloaded' }),
    ]);
  });

  it('describes one model with its manifest and load state', async () => {
    const { app } = await setup();
    const body = (await (await app.request('/v1/models/alpha')).json()) as Json;
    expect(body.manifest.labels[1]).toEqual({ id: 'c1', label: 'dog' });
    expect(body.load.model).toMatchObject({ state: 'ready', provider: 'cpu', fallbacks: [] });
    expect(body.load.features).toEqual({ state: 'unloaded' });
  });

  it('answers an unknown model with 404 listing the installed models', async () => {
    const { app } = await setup();
    for (const res of [
      await app.request('/v1/models/gamma'),
      await app.request(post('/v1/models/gamma/classify', fakeImage(1), 'image/png')),
    ]) {
      expect(res.status).toBe(404);
      expect(await problemOf(res)).toMatchObject({
        type: '/problems/unknown-model',
        code: 'unknown_model',
        models: ['alpha', 'beta'],
      });
    }
  });

  it('serves the ONNX file at its content-addressed URL: immutable, streamed with its length', async () => {
    const { app } = await setup();
    const url = `/v1/models/alpha/files/model/${'a'.repeat(64)}`;
    const res = await app.request(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe(`"${'a'.repeat(64)}"`);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('content-length')).toBe('1000');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="alpha.onnx"');
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(bytes.length).toBe(1000);
    expect(new TextDecoder().decode(bytes.slice(0, 8))).toBe('{"name":');
    const again = await app.request(url, { headers: { 'if-none-match': `"${'a'.repeat(64)}"` } });
    expect(again.status).toBe(304);

    // The old, changing URL redirects (never cached) to the current one.
    const current = await app.request('/v1/models/alpha/files/model');
    expect(current.status).toBe(302);
    expect(current.headers.get('location')).toBe(url);
    expect(current.headers.get('cache-control')).toBe('no-cache');
    const features = await app.request('/v1/models/alpha/files/features');
    expect(features.headers.get('location')).toBe(`/v1/models/alpha/files/features/${'b'.repeat(64)}`);

    // A stale or wrong hash is not found, naming the current one.
    const stale = await app.request(`/v1/models/alpha/files/model/${'c'.repeat(64)}`);
    expect(stale.status).toBe(404);
    expect((await problemOf(stale)).detail).toBe(
      `model 'alpha' has no model file with sha256 ${'c'.repeat(64)}; its current one is ${'a'.repeat(64)}`,
    );
    expect((await app.request(`/v1/models/alpha/files/model/abc`)).status).toBe(400);
    expect((await app.request('/v1/models/beta/files/features')).status).toBe(404);
    expect((await app.request('/v1/models/beta/files/weights')).status).toBe(400);
  });

  it('does not serve model files when exposeModelFiles is off (and the card has no URLs)', async () => {
    const { app } = await setup({ exposeModelFiles: false });
    expect((await app.request(`/v1/models/alpha/files/model/${'a'.repeat(64)}`)).status).toBe(404);
    const body = (await (await app.request('/v1/models/alpha')).json()) as Json;
    expect(body.files.model).toEqual({ sha256: 'a'.repeat(64), bytes: 1000 });
  });

  it('gives each model a card: meaning of the classes, input, preprocessing, provenance, sizes', async () => {
    const { app } = await setup();
    const detail = (await (await app.request('/v1/models/alpha')).json()) as Json;
    expect(detail.card).toEqual({
      summary: 'A fake model for tests.',
      intendedUse: 'Only tests.',
      classes: [
        { index: 0, id: 'c0', label: 'cat', meaning: 'a small feline' },
        { index: 1, id: 'c1', label: 'dog' },
        { index: 2, id: 'c2', label: 'car' },
        { index: 3, id: 'c3', label: 'boat' },
        { index: 4, id: 'c4', label: 'tree' },
      ],
      input: "4×4 RGB (NHWC float32, input 'input')",
      preprocessing:
        'EXIF orientation applied; converted to RGB; resized to 4×4 by nearest neighbour (PIL NEAREST, Keras load_img default); pixel × 1/255.',
      provenance: {
        source: 'test',
        format: 'fake',
        converter: 'test',
        convertedAt: '2026-01-01',
        parameters: 0,
        verification: null,
        verified: 'not verified (converted without --verify)',
      },
    });
    expect(detail.files).toEqual({
      model: { sha256: 'a'.repeat(64), bytes: 1000, url: `/v1/models/alpha/files/model/${'a'.repeat(64)}` },
      features: {
        sha256: 'b'.repeat(64),
        bytes: 1000,
        url: `/v1/models/alpha/files/features/${'b'.repeat(64)}`,
      },
    });
    const list = (await (await app.request('/v1/models')).json()) as Json;
    expect(list.models[0].card.summary).toBe('A fake model for tests.');
    expect(list.models[0].card.classes).toBeUndefined(); // 1000 ImageNet classes stay in the detail
    expect(list.models[1].card.summary).toBeUndefined();
    expect(list.models[1].files.model.url).toBe(`/v1/models/beta/files/model/${'a'.repeat(64)}`);
  });
});

describe('classify: body formats', () => {
  it('classifies a raw image body (image/*, application/octet-stream, or any type: the bytes decide)', async () => {
    const { app } = await setup();
    for (const type of ['image/png', 'application/octet-stream', 'text/plain', undefined]) {
      const res = await app.request(post('/v1/models/alpha/classify', fakeImage(51), type));
      expect(res.status, String(type)).toBe(200);
      const body = (await res.json()) as Json;
      expect(body.model).toBe('alpha');
      expect(body.provider).toBe('cpu');
      expect(body.results).toHaveLength(1);
      const [result] = body.results;
      expect(result).toMatchObject({ name: 'image', format: 'png', width: 6, height: 5 });
      // m = 0.2: scores [0.1, 0.4, 0.2, 0.2, 0.1] → dog, car, boat (ties keep index order), cat, tree
      expect(result.predictions.map((p: { label: string }) => p.label)).toEqual([
        'dog',
        'car',
        'boat',
        'cat',
        'tree',
      ]);
      expect(result.predictions[0]).toEqual({
        index: 1,
        id: 'c1',
        label: 'dog',
        score: expect.closeTo(0.4, 6),
      });
      expect(result.timings.clock).toBe('wall');
      expect(Object.keys(result.timings).sort()).toEqual([
        'batchSize',
        'clock',
        'decodeMs',
        'inferenceMs',
        'preprocessMs',
        'queueMs',
        'totalMs',
      ]);
    }
  });

  it('classifies every file of a multipart body, honouring a top field', async () => {
    const { app } = await setup();
    const form = new FormData();
    form.append('file', new Blob([fakeImage(255)]), 'white.png');
    form.append('file', new Blob([fakeImage(0, 'jpeg')]), 'black.jpg');
    form.append('other', new Blob([fakeImage(51, 'gif')]), 'grey.gif');
    form.append('top', '2');
    const res = await app.request(post('/v1/models/alpha/classify', form));
    expect(res.status).toBe(200);
    const body = (await res.json()) as Json;
    expect(body.results.map((r: { name: string; format: string }) => [r.name, r.format])).toEqual([
      ['white.png', 'png'],
      ['black.jpg', 'jpeg'],
      ['grey.gif', 'gif'],
    ]);
    expect(body.results.map((r: { predictions: unknown[] }) => r.predictions.length)).toEqual([2, 2, 2]);
    expect(body.results[0].predictions[0].label).toBe('cat');
    expect(body.results[1].predictions[0].label).toBe('dog');
  });

  it('classifies JSON base64 images (data: URLs too) with top from the body or the query', async () => {
    const { app } = await setup();
    const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
    const json = JSON.stringify({
      images: [
        { base64: b64(fakeImage(255)), name: 'a' },
        { base64: `data:image/png;base64,${b64(fakeImage(0))}` },
      ],
      top: 1,
    });
    const res = await app.request(post('/v1/models/alpha/classify?top=3', json, 'application/json'));
    expect(res.status).toBe(200);
    const body = (await res.json()) as Json;
    expect(
      body.results.map((r: { name: string; predictions: { label: string }[] }) => [
        r.name,
        r.predictions.map((p) => p.label),
      ]),
    ).toEqual([
      ['a', ['cat']],
      ['images[1]', ['dog']],
    ]);
    const queryTop = await app.request(
      post(
        '/v1/models/alpha/classify?top=3',
        JSON.stringify({ images: [{ base64: b64(fakeImage(0)) }] }),
        'application/json',
      ),
    );
    expect(((await queryTop.json()) as Json).results[0].predictions).toHaveLength(3);
  });

  it('gives the same predictions through all three body formats', async () => {
    const { app } = await setup();
    const image = fakeImage(200);
    const form = new FormData();
    form.append('file', new Blob([image]), 'x.png');
    const answers = await Promise.all(
      [
        post('/v1/models/alpha/classify', image, 'image/png'),
        post('/v1/models/alpha/classify', form),
        post(
          '/v1/models/alpha/classify',
          JSON.stringify({ images: [{ base64: btoa(String.fromCharCode(...image)) }] }),
          'application/json',
        ),
      ].map(async (req) => ((await (await app.request(req)).json()) as Json).results[0].predictions),
    );
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
    const scores = expectedScores(200);
    expect(answers[0][0].score).toBeCloseTo(Math.max(...scores), 6);
  });
});

describe('classify: client mistakes are 4xx problems', () => {
  const cases: [string, () => Request, number, string][] = [
    [
      'random bytes',
      () => post('/v1/models/alpha/classify', new TextEncoder().encode('hello, world'), 'image/png'),
      415,
      'unsupported-media-type',
    ],
    [
      'a corrupt image',
      () => post('/v1/models/alpha/classify', fakeImage(1, 'png', 'CORRUPT'), 'image/png'),
      422,
      'bad-image',
    ],
    [
      'a decoder crash',
      () => post('/v1/models/alpha/classify', fakeImage(1, 'png', 'CRASH'), 'image/png'),
      422,
      'bad-image',
    ],
    [
      'too many pixels',
      () => post('/v1/models/alpha/classify', fakeImage(1, 'png', 'HUGE'), 'image/png'),
      422,
      'image-too-large',
    ],
    [
      'an empty body',
      () => post('/v1/models/alpha/classify', new Uint8Array(0), 'image/png'),
      400,
      'invalid-argument',
    ],
    [
      'invalid JSON',
      () => post('/v1/models/alpha/classify', '{"images":', 'application/json'),
      400,
      'invalid-argument',
    ],
    [
      'JSON without images',
      () => post('/v1/models/alpha/classify', '{"images":[]}', 'application/json'),
      400,
      'invalid-argument',
    ],
    [
      'bad base64',
      () => post('/v1/models/alpha/classify', '{"images":[{"base64":"@@@"}]}', 'application/json'),
      400,
      'invalid-argument',
    ],
    [
      'top=0',
      () => post('/v1/models/alpha/classify?top=0', fakeImage(1), 'image/png'),
      400,
      'invalid-argument',
    ],
    [
      'top=abc',
      () => post('/v1/models/alpha/classify?top=abc', fakeImage(1), 'image/png'),
      400,
      'invalid-argument',
    ],
    [
      'top over the class count',
      () => post('/v1/models/alpha/classify?top=6', fakeImage(1), 'image/png'),
      400,
      'invalid-argument',
    ],
    [
      'a broken multipart body',
      () => post('/v1/models/alpha/classify', '--x\r\nbroken', 'multipart/form-data; boundary=y'),
      400,
      'invalid-argument',
    ],
    ['a GET on classify', () => new Request('http://localhost/v1/models/alpha/classify'), 404, 'not-found'],
  ];
  it.each(cases)('%s', async (_name, request, status, type) => {
    const { app, logs } = await setup();
    const res = await app.request(request());
    expect(res.status).toBe(status);
    const problem = await problemOf(res);
    expect(problem).toMatchObject({ type: `/problems/${type}`, status });
    expect(problem.detail).toBeTruthy();
    expect(problem.requestId).toBe(res.headers.get('x-request-id'));
    expect(logs.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('names the image that failed in a multi-image request', async () => {
    const { app } = await setup();
    const form = new FormData();
    form.append('file', new Blob([fakeImage(1)]), 'ok.png');
    form.append('file', new Blob([new TextEncoder().encode('not an image')]), 'notes.txt');
    const problem = await problemOf(await app.request(post('/v1/models/alpha/classify', form)));
    expect(problem).toMatchObject({ status: 415, image: 'notes.txt' });
    expect(problem.detail).toMatch(/^notes\.txt: /);
  });

  it('refuses formats outside config.formats (415) even when decodable', async () => {
    const { app } = await setup({ formats: ['jpeg', 'png', 'webp'] });
    const problem = await problemOf(
      await app.request(post('/v1/models/alpha/classify', fakeImage(1, 'gif'), 'image/gif')),
    );
    expect(problem).toMatchObject({ status: 415, detected: 'gif', accepted: ['jpeg', 'png', 'webp'] });
  });

  it('refuses bodies over the size limit (413), with or without Content-Length', async () => {
    const { app } = await setup({ maxBodyBytes: 100 });
    const big = new Uint8Array(101);
    big.set(fakeImage(1));
    const withLength = await app.request(
      post('/v1/models/alpha/classify', big, 'image/png', {
        headers: { 'content-length': '101', 'content-type': 'image/png' },
      }),
    );
    expect(withLength.status).toBe(413);
    expect(await problemOf(withLength)).toMatchObject({ type: '/problems/payload-too-large', limit: 100 });
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(big.subarray(0, 60));
        controller.enqueue(big.subarray(60));
        controller.close();
      },
    });
    const chunked = await app.request(
      post('/v1/models/alpha/classify', stream, 'image/png', { duplex: 'half' } as RequestInit),
    );
    expect(chunked.status).toBe(413);
    expect((await app.request(post('/v1/models/alpha/classify', fakeImage(1), 'image/png'))).status).toBe(
      200,
    );
  });

  it('refuses too many images in one request (413)', async () => {
    const { app } = await setup({ maxImagesPerRequest: 2 });
    const form = new FormData();
    for (let i = 0; i < 3; i++) form.append('file', new Blob([fakeImage(i)]), `${i}.png`);
    const problem = await problemOf(await app.request(post('/v1/models/alpha/classify', form)));
    expect(problem).toMatchObject({ status: 413, limit: 2, images: 3 });
  });
});

describe('unexpected failures', () => {
  it('answers 500 without internals and logs the error with the request id', async () => {
    const { app, engine, logs } = await setup();
    engine.failNext = new Error('CUDA went up in smoke at /secret/path');
    const res = await app.request(
      post('/v1/models/alpha/classify', fakeImage(1), 'image/png', {
        headers: { 'x-request-id': 'req-42', 'content-type': 'image/png' },
      }),
    );
    expect(res.status).toBe(500);
    const problem = await problemOf(res);
    expect(problem).toMatchObject({ type: '/problems/internal', status: 500, requestId: 'req-42' });
    expect(JSON.stringify(problem)).not.toContain('smoke');
    expect(JSON.stringify(problem)).not.toContain('secret');
    const logged = logs.find((l) => l.level === 'error');
    expect(logged?.fields.reqId).toBe('req-42');
    expect(logged?.message).toContain('CUDA went up in smoke');
    // The server keeps working.
    expect((await app.request(post('/v1/models/alpha/classify', fakeImage(1), 'image/png'))).status).toBe(
      200,
    );
  });
});

describe('dynamic batching', () => {
  it('runs requests that arrive while the engine is busy as one batch, up to maxBatch', async () => {
    const { app, engine } = await setup({ batching: { maxBatch: 3, maxDelayMs: 0 } });
    engine.hold();
    const blocked = engine.blocked();
    const first = app.request(post('/v1/models/alpha/classify', fakeImage(10), 'image/png'));
    await blocked;
    const rest = Array.from({ length: 5 }, (_, i) =>
      app.request(post('/v1/models/alpha/classify', fakeImage(20 + i), 'image/png')),
    );
    for (let i = 0; i < 20; i++) await tick(); // let the 5 requests decode and queue
    engine.release();
    const answers = await Promise.all(
      [first, ...rest].map(async (r) => ((await (await r).json()) as Json).results[0]),
    );
    expect(engine.batches.filter((b) => b.model === 'alpha').map((b) => b.size)).toEqual([1, 1, 3, 2]); // warm-up, first, then 5 in batches of ≤ 3
    expect(answers.map((a) => a.timings.batchSize)).toEqual([1, 3, 3, 3, 2, 2]);
    // Each image got its own row of the batch.
    answers.forEach((a, i) => {
      const v = i === 0 ? 10 : 20 + i - 1;
      expect(a.predictions[0].score).toBeCloseTo(Math.max(...expectedScores(v)), 6);
    });
  });

  it('waits maxDelayMs for company when the engine is idle', async () => {
    const { app, engine } = await setup({ batching: { maxBatch: 8, maxDelayMs: 30 } });
    const answers = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        app.request(post('/v1/models/alpha/classify', fakeImage(i), 'image/png')),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    expect(engine.batches.slice(1).map((b) => b.size)).toEqual([4]);
  });

  it('runs one image per engine call with batching off (maxBatch 1)', async () => {
    const { app, engine } = await setup({ batching: { maxBatch: 1, maxDelayMs: 0 } });
    await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        app.request(post('/v1/models/alpha/classify', fakeImage(i), 'image/png')),
      ),
    );
    expect(engine.batches.slice(1).map((b) => b.size)).toEqual([1, 1, 1, 1]);
  });

  it('answers 503 with Retry-After when the queue is full', async () => {
    const { app, engine } = await setup({ batching: { maxBatch: 1, maxDelayMs: 0, maxQueue: 2 } });
    engine.hold();
    const blocked = engine.blocked();
    const running = app.request(post('/v1/models/alpha/classify', fakeImage(1), 'image/png'));
    await blocked;
    const queued = [1, 2].map(() =>
      app.request(post('/v1/models/alpha/classify', fakeImage(1), 'image/png')),
    );
    for (let i = 0; i < 20; i++) await tick();
    const rejected = await app.request(post('/v1/models/alpha/classify', fakeImage(1), 'image/png'));
    expect(rejected.status).toBe(503);
    expect(Number(rejected.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await problemOf(rejected)).toMatchObject({
      type: '/problems/queue-full',
      queueDepth: 2,
      maxQueue: 2,
    });
    engine.release();
    expect((await Promise.all([running, ...queued])).map((r) => r.status)).toEqual([200, 200, 200]);
  });

  it('answers 504 after the request timeout and drops the queued work', async () => {
    const { app, engine } = await setup({ requestTimeoutMs: 50, batching: { maxBatch: 4, maxDelayMs: 0 } });
    engine.hold();
    const blocked = engine.blocked();
    const first = app.request(post('/v1/models/alpha/classify', fakeImage(1), 'image/png'));
    await blocked;
    const second = await app.request(post('/v1/models/alpha/classify', fakeImage(2), 'image/png'));
    expect(second.status).toBe(504);
    expect(await problemOf(second)).toMatchObject({ type: '/problems/timeout', limitMs: 50 });
    expect((await first).status).toBe(504);
    engine.release();
    await tick();
    // The timed-out second request never reached the engine.
    expect(engine.batches.slice(1).map((b) => b.size)).toEqual([1]);
  });

  it('drops the queued work of a client that disconnected', async () => {
    const { app, engine, logs } = await setup({ batching: { maxBatch: 4, maxDelayMs: 0 } });
    engine.hold();
    const blocked = engine.blocked();
    const first = app.request(post('/v1/models/alpha/classify', fakeImage(1), 'image/png'));
    await blocked;
    const client = new AbortController();
    const gone = app.request(
      post('/v1/models/alpha/classify', fakeImage(2), 'image/png', { signal: client.signal }),
    );
    const stays = app.request(post('/v1/models/alpha/classify', fakeImage(3), 'image/png'));
    for (let i = 0; i < 20; i++) await tick();
    client.abort();
    const answer = await gone;
    expect(answer.status).toBe(499);
    // Built by the error path once the client left: it carries the request id like every answer.
    expect(answer.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    engine.release();
    expect((await first).status).toBe(200);
    const kept = (await (await stays).json()) as Json;
    expect(kept.results[0].timings.batchSize).toBe(1);
    expect(engine.batches.slice(1).map((b) => b.size)).toEqual([1, 1]);
    expect(logs.some((l) => l.message?.includes('client closed'))).toBe(true);
  });
});

describe('embed', () => {
  it('returns the features variant output per image', async () => {
    const { app, engine } = await setup();
    const form = new FormData();
    form.append('file', new Blob([fakeImage(51)]), 'a.png');
    form.append('file', new Blob([fakeImage(102)]), 'b.png');
    const res = await app.request(post('/v1/models/alpha/embed', form));
    expect(res.status).toBe(200);
    const body = (await res.json()) as Json;
    expect(body.size).toBe(3);
    expect(body.results[0].embedding.map((v: number) => Math.round(v * 1000) / 1000)).toEqual([
      0.2, 0.4, 0.6,
    ]);
    expect(body.results[1].name).toBe('b.png');
    expect(engine.batches.find((b) => b.variant === 'features')).toBeDefined();
  });

  it('answers 404 for a model without a features variant, listing those that have one', async () => {
    const { app } = await setup();
    const res = await app.request(post('/v1/models/beta/embed', fakeImage(1), 'image/png'));
    expect(res.status).toBe(404);
    expect(await problemOf(res)).toMatchObject({
      type: '/problems/not-found',
      modelsWithFeatures: ['alpha'],
    });
  });
});

describe('security', () => {
  const KEY = 'correct horse battery staple';
  const sha = async (text: string) =>
    Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))), (b) =>
      b.toString(16).padStart(2, '0'),
    ).join('');

  it('requires an API key on /v1 when keys are configured (Bearer or X-API-Key)', async () => {
    const { app } = await setup({ apiKeys: [{ name: 'ci', sha256: await sha(KEY) }] });
    const missing = await app.request('/v1/models');
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toContain('Bearer');
    expect(await problemOf(missing)).toMatchObject({ type: '/problems/unauthorized' });
    expect((await app.request('/v1/models', { headers: { authorization: 'Bearer wrong' } })).status).toBe(
      401,
    );
    expect((await app.request('/v1/models', { headers: { authorization: `Bearer ${KEY}` } })).status).toBe(
      200,
    );
    expect((await app.request('/v1/models', { headers: { 'x-api-key': KEY } })).status).toBe(200);
    expect((await app.request('/healthz')).status).toBe(200);
    expect((await app.request('/metrics')).status).toBe(200);
  });

  it('rate-limits per key (429 with Retry-After)', async () => {
    const { app } = await setup({
      apiKeys: [
        { name: 'small', sha256: await sha('k1'), rateLimit: { perMinute: 60, burst: 2 } },
        { name: 'big', sha256: await sha('k2') },
      ],
    });
    const call = (key: string) => app.request('/v1/models', { headers: { 'x-api-key': key } });
    expect([(await call('k1')).status, (await call('k1')).status]).toEqual([200, 200]);
    const limited = await call('k1');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(await problemOf(limited)).toMatchObject({
      type: '/problems/rate-limited',
      limit: { perMinute: 60, burst: 2 },
    });
    expect((await call('k2')).status).toBe(200);
  });

  it('sends CORS headers only for configured origins', async () => {
    const { app } = await setup({ cors: { origins: ['https://a.example'] } });
    const preflight = await app.request('/v1/models/alpha/classify', {
      method: 'OPTIONS',
      headers: { origin: 'https://a.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://a.example');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('Authorization');
    const other = await app.request('/v1/models', { headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const { app: closed } = await setup();
    expect(
      (await closed.request('/v1/models', { headers: { origin: 'https://a.example' } })).headers.get(
        'access-control-allow-origin',
      ),
    ).toBeNull();
  });

  it('keeps CORS headers on error answers', async () => {
    const { app } = await setup({ cors: { origins: ['*'] } });
    const res = await app.request('/v1/models/nope', { headers: { origin: 'https://a.example' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('answers an error thrown after an answer was made with a problem that keeps its headers', async () => {
    const route = () => {
      const router = createRouter();
      router.use('/late', async (_, next) => {
        await next();
        throw new NetlensError('store_unavailable', 'failed after answering');
      });
      router.get('/late', (c) => {
        c.header('x-kept', 'yes');
        return c.json({ ok: true });
      });
      return router;
    };
    const { app } = await setup({}, { routes: [route] });
    const res = await app.request('/late');
    expect(res.status).toBe(503);
    expect(res.headers.get('x-kept')).toBe('yes');
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(await problemOf(res)).toMatchObject({ status: 503, detail: 'failed after answering' });
  });
});

describe('metrics', () => {
  it('exposes requests, latency, batch sizes, queue depth, images/s and the provider', async () => {
    const { app } = await setup();
    await app.request(post('/v1/models/alpha/classify', fakeImage(1), 'image/png'));
    await app.request(post('/v1/models/alpha/classify', new TextEncoder().encode('nope'), 'image/png'));
    await app.request('/v1/models/zzz');
    const res = await app.request('/metrics');
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    expect(text).toContain(
      'netlens_http_requests_total{method="POST",route="/v1/models/:model/classify",status="200"} 1',
    );
    expect(text).toContain(
      'netlens_http_requests_total{method="POST",route="/v1/models/:model/classify",status="415"} 1',
    );
    expect(text).toContain(
      'netlens_http_requests_total{method="GET",route="/v1/models/:model",status="404"} 1',
    );
    expect(text).toContain('# TYPE netlens_http_request_duration_seconds histogram');
    expect(text).toMatch(
      /netlens_http_request_duration_seconds_bucket\{route="\/v1\/models\/:model\/classify",le="\+Inf"\} 2/,
    );
    expect(text).toContain('netlens_batch_size_bucket{model="alpha",variant="model",le="1"} 1');
    expect(text).toContain('netlens_queue_depth{model="alpha",variant="model"} 0');
    expect(text).toMatch(/netlens_images_per_second\{model="alpha"\} 0\.1/);
    expect(text).toContain('netlens_images_total{model="alpha",variant="model"} 1');
    // The fake decoder names itself; the refused body (415) was never decoded.
    expect(text).toContain('netlens_decoded_images_total{decoder="fake",format="png"} 1');
    expect(text).toContain('netlens_model_loaded{model="alpha",provider="cpu",variant="model"} 1');
    expect(text).toContain('netlens_ready 1');
    expect(text).toContain('netlens_decoding{state="waiting"} 0');
    expect(text).toContain('netlens_clock_measures_cpu 1');
  });

  it("on a runtime whose clock stands still during CPU work (clock 'io'), marks CPU timings as not measured", async () => {
    const { app, logs } = await setup({ clock: 'io' });
    const answer = (await (
      await app.request(post('/v1/models/alpha/classify', fakeImage(1), 'image/png'))
    ).json()) as Json;
    expect(answer.results[0].timings).toEqual({
      decodeMs: null,
      preprocessMs: null,
      queueMs: null,
      inferenceMs: null,
      batchSize: 1,
      totalMs: expect.any(Number),
      clock: 'io',
    });
    const text = await (await app.request('/metrics')).text();
    expect(text).not.toContain('netlens_http_request_duration_seconds');
    expect(text).not.toContain('netlens_inference_duration_seconds');
    expect(text).toContain('netlens_clock_measures_cpu 0');
    expect(text).toContain('netlens_batch_size_bucket{model="alpha",variant="model",le="1"} 1');
    const request = logs.find((l) => l.message === 'request')!;
    expect(request.fields).toMatchObject({ status: 200, ioWaitMs: expect.any(Number) });
    expect(request.fields).not.toHaveProperty('ms');
  });
});

describe('draining', () => {
  it('finishes in-flight requests, refuses new /v1 work and reports not ready', async () => {
    const { app, engine } = await setup();
    engine.hold();
    const blocked = engine.blocked();
    const inflight = app.request(post('/v1/models/alpha/classify', fakeImage(1), 'image/png'));
    await blocked;
    const drained = app.control.drain(5_000);
    expect((await app.request('/readyz')).status).toBe(503);
    const refused = await app.request(post('/v1/models/alpha/classify', fakeImage(1), 'image/png'));
    expect(refused.status).toBe(503);
    expect(refused.headers.get('connection')).toBe('close');
    engine.release();
    expect((await inflight).status).toBe(200);
    expect(await drained).toEqual({ drained: true, inFlight: 0 });
    await app.control.close();
    expect(engine.disposed).toContain('alpha:model');
  });
});

describe('registry', () => {
  it('loads a model once for concurrent first uses (one shared pending load) and warms it up', async () => {
    const { registry, engine, source } = await setup({}, { start: false });
    const handles = await Promise.all([
      registry.acquire('beta'),
      registry.acquire('beta'),
      registry.acquire('beta'),
    ]);
    handles.forEach((h) => h.release());
    expect(engine.sessionsCreated).toBe(1);
    expect(source.byteReads).toBe(1);
    expect(engine.batches).toEqual([{ model: 'beta', variant: 'model', size: 1 }]);
    expect((await registry.info('beta')).variants.model).toMatchObject({
      state: 'ready',
      provider: 'cpu',
      estimatedBytes: 2000,
    });
  });

  it('unloads the least recently used model to stay under the memory budget, never the default', async () => {
    const source = new FakeSource()
      .add(fakeManifest('d'), 1000)
      .add(fakeManifest('x'), 1000)
      .add(fakeManifest('y'), 1000)
      .add(fakeManifest('z'), 1000);
    const engine = new FakeEngine();
    const registry = new ModelRegistry({ source, engine, defaultModel: 'd', memoryBudgetBytes: 6000 });
    await registry.start();
    (await registry.acquire('x')).release();
    (await registry.acquire('y')).release(); // d + x + y = 6000: full
    (await registry.acquire('x')).release(); // x is now more recent than y
    (await registry.acquire('z')).release(); // evicts y
    const states = Object.fromEntries((await registry.list()).map((m) => [m.name, m.variants.model.state]));
    expect(states).toEqual({ d: 'ready', x: 'ready', y: 'unloaded', z: 'ready' });
    expect(engine.disposed).toEqual(['y:model']);
    expect(registry.loadedBytes).toBe(6000);
  });

  it('charges every copy of a model an engine keeps side by side', async () => {
    const budget = async (replicas: number) => {
      const source = new FakeSource().add(fakeManifest('d'), 1000).add(fakeManifest('x'), 1000);
      const engine = new FakeEngine();
      engine.replicas = replicas;
      const registry = new ModelRegistry({ source, engine, defaultModel: 'd', memoryBudgetBytes: 6000 });
      await registry.start();
      const loaded = registry.loadedBytes;
      const x = await registry.acquire('x').then(
        (lease) => (lease.release(), 'ready'),
        (error: NetlensError) => error.code,
      );
      return { loaded, x };
    };
    // 1000 bytes × 2 (the session's working memory) × copies; d is the pinned default model.
    expect(await budget(1)).toEqual({ loaded: 2000, x: 'ready' });
    expect(await budget(2)).toEqual({ loaded: 4000, x: 'model_not_ready' });
  });

  it('disposes an unloaded model only after its last use ends', async () => {
    const source = new FakeSource()
      .add(fakeManifest('d'), 1000)
      .add(fakeManifest('x'), 1000)
      .add(fakeManifest('y'), 1000);
    const engine = new FakeEngine();
    const registry = new ModelRegistry({ source, engine, defaultModel: 'd', memoryBudgetBytes: 4000 });
    await registry.start();
    const x = await registry.acquire('x');
    (await registry.acquire('y')).release(); // x is unloaded but still in use
    expect(engine.disposed).toEqual([]);
    x.release();
    await tick();
    expect(engine.disposed).toEqual(['x:model']);
  });

  it('refuses a model larger than the budget with a clear 503', async () => {
    const source = new FakeSource().add(fakeManifest('d'), 1000).add(fakeManifest('big'), 10_000);
    const registry = new ModelRegistry({
      source,
      engine: new FakeEngine(),
      defaultModel: 'd',
      memoryBudgetBytes: 5000,
    });
    await registry.start();
    await expect(registry.acquire('big')).rejects.toMatchObject({
      code: 'model_not_ready',
      message: expect.stringContaining('memory budget'),
    });
    expect((await registry.info('big')).variants.model.state).toBe('failed');
  });

  it('reports load failures in the model state and retries on a use after the backoff', async () => {
    const source = new FakeSource().add(fakeManifest('d'));
    const engine = new FakeEngine();
    let now = 1_000_000;
    const registry = new ModelRegistry({ source, engine, defaultModel: 'd', now: () => now });
    const original = source.modelBytes.bind(source);
    source.modelBytes = async () => {
      throw new (await import('../core/errors.js')).NetlensError(
        'integrity_error',
        'sha256 mismatch for d.onnx',
      );
    };
    await expect(registry.start()).rejects.toThrow('sha256 mismatch');
    expect((await registry.info('d')).variants.model).toMatchObject({
      state: 'failed',
      error: "its ONNX file does not match the manifest's sha256: it was changed or only partly written",
    });
    source.modelBytes = original;
    now += 5000;
    await registry.start();
    expect(registry.isReady()).toBe(true);
  });
});
