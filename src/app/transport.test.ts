/**
 * Transport rules of the app, through app.request(): bodies read under the deadline and the limit
 * (chunked ones too), a client gone mid-upload is 499, every 503 has Retry-After, the graceful
 * shutdown cuts what is still running at its timeout with a 503, and failed authentication is limited
 * per client address. (The Node server's own rules — server timeouts, Connection: close on early
 * answers, keep-alive clients — are tested on a real server in test/transport-server.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { FakeEngine, FakeSource, fakeDecoder, fakeImage, fakeManifest } from '../../test/support/fakes.js';
import { type PrepareImage, prepareInThread } from '../core/prepare.js';
import { createApp } from './app.js';
import type { AppConfigInput } from './config.js';
import type { Logger } from './logger.js';
import { ModelRegistry } from './registry.js';
import { RateLimiter, clientAddress, limitKey } from './security.js';

const messages: string[] = [];
const logger: Logger = {
  debug: () => undefined,
  info: (_fields, message) => void messages.push(message ?? ''),
  warn: (_fields, message) => void messages.push(message ?? ''),
  error: (_fields, message) => void messages.push(`error: ${message ?? ''}`),
  child: () => logger,
};

/** Decoding that waits until `open()`: work still running after its request answered. */
function heldDecoding() {
  let open = (): void => undefined;
  const gate = new Promise<void>((resolve) => (open = resolve));
  let started = (): void => undefined;
  const waiting = new Promise<void>((resolve) => (started = resolve));
  const prepare = prepareInThread(fakeDecoder);
  const prepareImage: PrepareImage = async (...args) => {
    started();
    await gate;
    return prepare(...args);
  };
  return { prepareImage, waiting, open: () => open() };
}

async function setup(config: AppConfigInput = {}, start = true, prepareImage?: PrepareImage) {
  const engine = new FakeEngine();
  const source = new FakeSource().add(fakeManifest('alpha')).add(fakeManifest('big'), 10_000);
  const registry = new ModelRegistry({ source, engine, defaultModel: 'alpha', memoryBudgetBytes: 5000 });
  if (start) await registry.start();
  const app = createApp({
    registry,
    decodeImage: fakeDecoder,
    ...(prepareImage && { prepareImage }),
    config: { batching: { maxDelayMs: 0 }, ...config },
    logger,
    // The tests name the connection's peer in a header of their own.
    connectionAddress: (c) => c.req.header('x-test-peer'),
  });
  return { app, engine };
}

const CLASSIFY = '/v1/models/alpha/classify';

function post(body: BodyInit, headers: Record<string, string> = {}, path = CLASSIFY): Request {
  return new Request(`http://localhost${path}`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'image/png', ...headers },
    duplex: 'half',
  } as RequestInit);
}

/** A chunked body that sends `chunk` every `everyMs` until cancelled; `cancelled` tells whether it was. */
function endless(chunk: Uint8Array, everyMs: number) {
  const state = { cancelled: false, sent: 0 };
  let timer: ReturnType<typeof setInterval> | undefined;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      timer = setInterval(() => {
        state.sent += chunk.length;
        controller.enqueue(chunk.slice());
      }, everyMs);
    },
    cancel() {
      state.cancelled = true;
      clearInterval(timer);
    },
  });
  return { stream, state, stop: () => clearInterval(timer) };
}

async function problem(response: Response) {
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  return (await response.json()) as { type: string; status: number; detail: string; limit?: number };
}

describe('request bodies', () => {
  it('answers a never-ending chunked upload with 504 at the deadline and stops reading it', async () => {
    const { app } = await setup({ requestTimeoutMs: 300 });
    const upload = endless(new Uint8Array(10), 20);
    const started = performance.now();
    const res = await app.request(post(upload.stream));
    const elapsed = performance.now() - started;
    upload.stop();
    expect(res.status).toBe(504);
    expect(await problem(res)).toMatchObject({ type: '/problems/timeout' });
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(300 + 400);
    expect(upload.state.cancelled).toBe(true);
  });

  it('answers a chunked body 413 as soon as it passes the limit, without reading the rest', async () => {
    const { app } = await setup({ maxBodyBytes: 1000, requestTimeoutMs: 10_000 });
    const upload = endless(new Uint8Array(300), 5);
    const res = await app.request(post(upload.stream));
    upload.stop();
    expect(res.status).toBe(413);
    expect(await problem(res)).toMatchObject({ type: '/problems/payload-too-large', limit: 1000 });
    expect(upload.state.cancelled).toBe(true);
    expect(upload.state.sent).toBeLessThan(2000);
  });

  it('answers 499 (never 500) when the client goes away mid-upload, and logs no error', async () => {
    const { app } = await setup();
    messages.length = 0;
    const broken = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array(100));
        setTimeout(() => controller.error(Object.assign(new Error('aborted'), { code: 'ECONNRESET' })), 20);
      },
    });
    const res = await app.request(post(broken));
    expect(res.status).toBe(499);
    expect(messages.filter((m) => m.startsWith('error:'))).toEqual([]);
    const json = await app.request(
      post(
        new ReadableStream({
          start: (c) => c.error(new Error('aborted')),
        }),
        { 'content-type': 'application/json' },
      ),
    );
    expect(json.status).toBe(499);
    const metrics = await (await app.request('/metrics')).text();
    expect(metrics).toMatch(/netlens_http_requests_total\{[^}]*status="499"\} 2/);
    expect(metrics).not.toMatch(/status="500"/);
  });

  it('still reads JSON and multipart bodies, chunked or not', async () => {
    const { app } = await setup();
    const json = JSON.stringify({ images: [{ base64: Buffer.from(fakeImage(1)).toString('base64') }] });
    const chunkedJson = new Blob([json]).stream();
    for (const body of [json, chunkedJson]) {
      const res = await app.request(post(body, { 'content-type': 'application/json' }));
      expect(res.status).toBe(200);
    }
    const form = new FormData();
    form.append('file', new Blob([fakeImage(1)]), 'a.png');
    form.append('file', new Blob([fakeImage(2)]), 'b.png');
    const multipart = new Response(form);
    const res = await app.request(
      post(await multipart.arrayBuffer(), { 'content-type': multipart.headers.get('content-type')! }),
    );
    expect(res.status).toBe(200);
    expect(((await res.json()) as { results: { name: string }[] }).results.map((r) => r.name)).toEqual([
      'a.png',
      'b.png',
    ]);
  });
});

describe('Retry-After on every 503', () => {
  it('for a model that cannot load, the not-ready default model, the shutdown refusal and /readyz', async () => {
    const { app } = await setup();
    const tooBig = await app.request(post(fakeImage(1), {}, '/v1/models/big/classify'));
    expect(tooBig.status).toBe(503);
    expect(Number(tooBig.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);

    const notStarted = (await setup({}, false)).app;
    const ready = await notStarted.request('/readyz');
    expect(ready.status).toBe(503);
    expect(Number(ready.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);

    void app.control.drain(1000);
    const refused = await app.request(post(fakeImage(1)));
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.headers.get('connection')).toBe('close');
    expect(await problem(refused)).toMatchObject({ type: '/problems/model-not-ready' });
    const draining = await app.request('/readyz');
    expect([draining.status, draining.headers.get('retry-after')]).toEqual([503, '5']);
  });
});

describe('graceful shutdown', () => {
  it('cuts requests still running at the drain timeout with a 503 + Retry-After, not a lost connection', async () => {
    const { app, engine } = await setup();
    engine.hold();
    const blocked = engine.blocked();
    const running = app.request(post(fakeImage(1)));
    await blocked;
    const drained = app.control.drain(100, 1000);
    const res = await running;
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(res.headers.get('connection')).toBe('close');
    expect(await problem(res)).toMatchObject({ type: '/problems/model-not-ready' });
    expect(await drained).toEqual({ drained: false, inFlight: 1 });
    engine.release();
  });

  it('waits for the work of a request that already answered (its client went away) before closing', async () => {
    const decoding = heldDecoding();
    const { app } = await setup({}, true, decoding.prepareImage);
    const client = new AbortController();
    const gone = app.request(new Request(post(fakeImage(1)), { signal: client.signal }));
    await decoding.waiting;
    client.abort();
    expect((await gone).status).toBe(499);
    expect(app.control.inFlight).toBe(0);
    const drained = app.control.drain(5000);
    let settled = false;
    void drained.then(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(settled).toBe(false);
    decoding.open();
    expect(await drained).toEqual({ drained: true, inFlight: 0 });
  });
});

describe('failed authentication per client address', () => {
  const KEY = 'correct horse battery staple';
  const limited = async (trustedProxies: string[] = []) =>
    (
      await setup({
        apiKeys: [{ name: 'ci', sha256: await sha(KEY) }],
        authFailureLimit: { perMinute: 6, burst: 3 },
        trustedProxies,
      })
    ).app;

  it('answers 429 + Retry-After to failures past the limit; a valid key still passes', async () => {
    const app = await limited();
    const call = (peer: string, key: string) =>
      app.request('/v1/models', { headers: { 'x-test-peer': peer, 'x-api-key': key } });
    for (let i = 0; i < 3; i++) expect((await call('192.0.2.1', 'wrong')).status).toBe(401);
    const refused = await call('192.0.2.1', 'wrong');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('10');
    expect(await problem(refused)).toMatchObject({ type: '/problems/rate-limited' });
    // A valid key from the same (perhaps shared) address passes; other addresses are not limited.
    expect((await call('192.0.2.1', KEY)).status).toBe(200);
    expect((await call('192.0.2.1', 'wrong')).status).toBe(429);
    expect((await call('192.0.2.2', KEY)).status).toBe(200);
    expect((await call('192.0.2.2', 'wrong')).status).toBe(401);
  });

  it('counts an IPv6 client by its /64, and trusts bare proxy addresses as well as blocks', async () => {
    expect(limitKey('2001:db8:1:2:aaaa::1')).toBe(limitKey('2001:db8:1:2:bbbb::9'));
    expect(limitKey('2001:db8:1:2::1')).not.toBe(limitKey('2001:db8:1:3::1'));
    expect(limitKey('192.0.2.1')).toBe('192.0.2.1');
    const headers = new Headers({ 'x-forwarded-for': '203.0.113.7' });
    expect(clientAddress('10.0.0.1', headers, ['10.0.0.1'])).toBe('203.0.113.7');
    expect(clientAddress('10.0.0.2', headers, ['10.0.0.1', 'not an address'])).toBe('10.0.0.2');
  });

  it('never takes the address from X-Forwarded-For unless the peer is a trusted proxy', async () => {
    const app = await limited(['10.0.0.0/8']);
    const call = (peer: string, forwardedFor: string) =>
      app.request('/v1/models', {
        headers: { 'x-test-peer': peer, 'x-forwarded-for': forwardedFor, 'x-api-key': 'wrong' },
      });
    // An untrusted peer cannot dodge the limit by writing a new X-Forwarded-For each time.
    const direct = [];
    for (let i = 0; i < 4; i++) direct.push((await call('192.0.2.9', `198.51.100.${i}`)).status);
    expect(direct).toEqual([401, 401, 401, 429]);
    // Behind the trusted proxy each client has its own bucket.
    const proxied = [];
    for (let i = 0; i < 4; i++) proxied.push((await call('10.1.2.3', `198.51.100.${i}, 10.9.9.9`)).status);
    expect(proxied).toEqual([401, 401, 401, 401]);
  });

  it('picks the client address: the peer, or the last untrusted X-Forwarded-For hop behind trusted proxies', () => {
    const headers = new Headers({ 'x-forwarded-for': '203.0.113.7, 198.51.100.1, 10.0.0.2' });
    expect(clientAddress('192.0.2.1', headers, [])).toBe('192.0.2.1');
    expect(clientAddress('192.0.2.1', headers, ['10.0.0.0/8'])).toBe('192.0.2.1');
    expect(clientAddress('10.0.0.1', headers, ['10.0.0.0/8'])).toBe('198.51.100.1');
    expect(clientAddress('::ffff:10.0.0.1', headers, ['10.0.0.0/8'])).toBe('198.51.100.1');
    expect(clientAddress(undefined, headers, [])).toBe('unknown');
  });

  it('keeps a bounded number of buckets', () => {
    let now = 0;
    const limiter = new RateLimiter({ perMinute: 60, burst: 1 }, () => now, 3);
    for (const key of ['a', 'b', 'c', 'd', 'e']) limiter.spend(key);
    // 'a' and 'b' were forgotten (the oldest), so they start full again; 'e' is still empty.
    expect(() => limiter.check('e')).toThrow(/rate limit/);
    now += 500;
    expect(() => limiter.check('a')).not.toThrow();
  });
});

async function sha(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
