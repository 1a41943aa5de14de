/**
 * The Node server's transport rules on a real server (startServer, loopback, the default model): a
 * never-ending chunked upload and a trickling Content-Length body end at the request deadline with a
 * problem document; Node's own timeouts come from the settings; early answers (before the body was
 * read) reach keep-alive clients — undici's fetch and curl — for consecutive requests; a graceful
 * shutdown with requests in flight answers every one of them (200, or the shutdown 503 with
 * Retry-After), never a decoder failure or a lost connection.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../src/app/logger.js';
import { readNodeSettings } from '../src/runtime/node/runtime.js';
import { type RunningServer, serverTimeouts, startServer } from '../src/runtime/node/server.js';
import { DEFAULT_MODEL, PHOTOS_DIR, ensureDefaultModel } from './server-process.js';

const DEADLINE_MS = 1500;
const CLASSIFY = `/v1/models/${DEFAULT_MODEL}/classify`;

function capturingLogger(lines: { level: string; message: string; fields: object }[]): Logger {
  const at = (level: string) => (fields: object, message?: string) =>
    void lines.push({ level, message: message ?? '', fields });
  const logger: Logger = {
    debug: () => undefined,
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: () => logger,
  };
  return logger;
}

async function start(env: Record<string, string>, logs: Parameters<typeof capturingLogger>[0] = []) {
  const { settings } = readNodeSettings(env, { port: 0, host: '127.0.0.1' });
  return startServer({ settings, assets: false, logger: capturingLogger(logs) });
}

/**
 * A raw HTTP/1.1 POST whose body trickles forever (chunked, or short of its Content-Length): the answer
 * as text, how long it took, and whether the server closed the connection.
 */
async function trickle(url: string, headers: string, piece: string) {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  let text = '';
  socket.setEncoding('latin1').on('data', (data: string) => (text += data));
  const started = performance.now();
  let answeredMs = Number.NaN;
  socket.write(`POST ${CLASSIFY} HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: image/png\r\n${headers}\r\n`);
  const timer = setInterval(() => {
    if (Number.isNaN(answeredMs) && text.includes('\r\n\r\n')) answeredMs = performance.now() - started;
    if (!socket.destroyed) socket.write(piece);
  }, 50);
  const closed = await new Promise<boolean>((resolve) => {
    socket.once('close', () => resolve(true));
    setTimeout(() => resolve(false), DEADLINE_MS + 5000);
  });
  clearInterval(timer);
  socket.destroy();
  if (Number.isNaN(answeredMs)) answeredMs = performance.now() - started;
  const [head = '', body = ''] = text.split('\r\n\r\n');
  return { head, body, answeredMs, closed };
}

describe('the Node server: bodies, timeouts and keep-alive', () => {
  let server: RunningServer;
  const big = new Uint8Array(432_000);

  beforeAll(async () => {
    await ensureDefaultModel();
    server = await start({
      NETLENS_TIMEOUT_MS: String(DEADLINE_MS),
      NETLENS_MAX_BODY_BYTES: '1000000',
      NETLENS_LOG_LEVEL: 'warn',
    });
  }, 300_000);

  afterAll(async () => {
    await server?.close();
  });

  it.each([
    ['a never-ending chunked upload', 'Transfer-Encoding: chunked\r\n', '1\r\nA\r\n'],
    ['a trickling Content-Length body', 'Content-Length: 100000\r\n', 'A'],
  ])('answers %s with a 504 problem at the deadline and closes the connection', async (_, headers, piece) => {
    const { head, body, answeredMs, closed } = await trickle(server.url, headers, piece);
    expect(head).toMatch(/^HTTP\/1\.1 504 /);
    expect(head.toLowerCase()).toContain('content-type: application/problem+json');
    expect(head.toLowerCase()).toContain('connection: close');
    expect(JSON.parse(body)).toMatchObject({ type: '/problems/timeout', status: 504 });
    expect(answeredMs).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
    expect(answeredMs).toBeLessThan(DEADLINE_MS + 1000);
    expect(closed).toBe(true);
  });

  it("sets Node's server timeouts from the settings, well under Node's 300 s", () => {
    const { settings } = readNodeSettings({});
    expect(serverTimeouts(settings)).toEqual({
      headersTimeout: 10_000,
      requestTimeout: 35_000,
      keepAliveTimeout: 5_000,
      connectionsCheckingInterval: 1_000,
    });
    const custom = readNodeSettings({
      NETLENS_HEADERS_TIMEOUT_MS: '4000',
      NETLENS_KEEP_ALIVE_TIMEOUT_MS: '65000',
      NETLENS_TIMEOUT_MS: '2000',
    }).settings;
    expect(serverTimeouts(custom)).toMatchObject({
      headersTimeout: 4000,
      requestTimeout: 7000,
      keepAliveTimeout: 65_000,
    });
  });

  it('closes a connection whose headers never end after NETLENS_HEADERS_TIMEOUT_MS (408)', async () => {
    const quick = await start({ NETLENS_HEADERS_TIMEOUT_MS: '1000', NETLENS_LOG_LEVEL: 'warn' });
    try {
      const { port } = new URL(quick.url);
      const socket = connect(Number(port), '127.0.0.1');
      let text = '';
      socket.setEncoding('latin1').on('data', (data: string) => (text += data));
      socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
      const timer = setInterval(() => socket.write('X-Slow: 1\r\n'), 100);
      const started = performance.now();
      await new Promise((resolve) => socket.once('close', resolve));
      clearInterval(timer);
      expect(text).toMatch(/^HTTP\/1\.1 408 /);
      expect(text).toMatch(/\r\ncontent-type: application\/problem\+json\r\n/i);
      expect(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4))).toMatchObject({
        type: '/problems/request-timeout',
        status: 408,
      });
      expect(performance.now() - started).toBeLessThan(1000 + 2500);
    } finally {
      await quick.close();
    }
  });

  it('answers what the HTTP parser refuses with a problem document: 431 for huge headers, 400 for garbage', async () => {
    const { port } = new URL(server.url);
    const exchange = (request: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(Number(port), '127.0.0.1');
        let text = '';
        socket.setEncoding('latin1').on('data', (data: string) => (text += data));
        socket.on('error', reject).on('close', () => resolve(text));
        socket.end(request);
      });
    const body = (text: string) => JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4));
    const huge = await exchange(
      `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`,
    );
    expect(huge).toMatch(/^HTTP\/1\.1 431 /);
    expect(huge).toMatch(/\r\nconnection: close\r\n/i);
    expect(body(huge)).toMatchObject({ type: '/problems/headers-too-large', status: 431 });
    const garbage = await exchange('NOT HTTP AT ALL\r\n\r\n');
    expect(garbage).toMatch(/^HTTP\/1\.1 400 /);
    expect(body(garbage)).toMatchObject({ type: '/problems/invalid-argument', status: 400 });
  });

  it('delivers consecutive early answers to a keep-alive fetch (undici), closing after each', async () => {
    const cases: [string, RequestInit, number, string][] = [
      ['/v1/models/no-such-model/classify', { body: big }, 404, '/problems/unknown-model'],
      ['/v1/models/no-such-model/classify', { body: big }, 404, '/problems/unknown-model'],
      [CLASSIFY, { body: new Uint8Array(1_000_001) }, 413, '/problems/payload-too-large'],
      [CLASSIFY, { body: new Uint8Array(1_000_001) }, 413, '/problems/payload-too-large'],
      ['/no-such-route', { body: big }, 404, '/problems/not-found'],
      ['/v1/models/no-such-model/classify', { body: big }, 404, '/problems/unknown-model'],
    ];
    for (const [path, init, status, type] of cases) {
      const res = await fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'image/png' },
        ...init,
      });
      expect([path, res.status]).toEqual([path, status]);
      expect(res.headers.get('connection')).toBe('close');
      expect(((await res.json()) as { type: string }).type).toBe(type);
    }
    // A request whose body was read keeps its connection.
    const photo = readdirSync(PHOTOS_DIR).find((f) => f.endsWith('.jpg'))!;
    const ok = await fetch(`${server.url}${CLASSIFY}`, {
      method: 'POST',
      body: readFileSync(join(PHOTOS_DIR, photo)),
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('connection')).toBe('keep-alive');
    await ok.arrayBuffer();
  });

  it('delivers consecutive early answers to curl (one curl, several URLs on one connection)', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'netlens-curl-')), 'body.bin');
    writeFileSync(file, big);
    const url = `${server.url}/v1/models/no-such-model/classify`;
    const run = await promisify(execFile)(
      'curl',
      [
        '-sS',
        '--max-time',
        '20',
        '-H',
        'content-type: image/png',
        '--data-binary',
        `@${file}`,
        '-w',
        '\n%{http_code}\n',
        url,
        url,
        url,
      ],
      { timeout: 30_000 },
    );
    const answers = run.stdout.trim().split('\n');
    expect(answers).toHaveLength(6);
    for (let i = 0; i < 3; i++) {
      expect(answers[2 * i + 1]).toBe('404');
      expect(JSON.parse(answers[2 * i]!)).toMatchObject({ type: '/problems/unknown-model' });
    }
  });
});

describe('the Node server: graceful shutdown with requests in flight', () => {
  const photos = readdirSync(PHOTOS_DIR)
    .filter((f) => /\.(jpe?g|png)$/.test(f))
    .map((f) => readFileSync(join(PHOTOS_DIR, f)));

  async function shutDownUnderLoad(env: Record<string, string>) {
    const logs: Parameters<typeof capturingLogger>[0] = [];
    const server = await start({ NETLENS_PREPARE_THREADS: '2', ...env }, logs);
    let answered = 0;
    const requests = Array.from({ length: 24 }, (_, i) =>
      fetch(`${server.url}${CLASSIFY}`, { method: 'POST', body: photos[i % photos.length]! }).then(
        async (res) => ({
          answered: ++answered,
          status: res.status,
          retryAfter: res.headers.get('retry-after'),
          type: res.status === 200 ? 'ok' : ((await res.json()) as { type: string }).type,
        }),
        (error: unknown) => ({ answered: ++answered, status: 0, retryAfter: null, type: String(error) }),
      ),
    );
    // Every request accepted (in the app, or already answered) before the shutdown starts.
    await expect
      .poll(() => server.app.control.inFlight + answered, { timeout: 30_000, interval: 5 })
      .toBe(requests.length);
    const closed = await server.close();
    const answers = (await Promise.all(requests)).map(({ status, retryAfter, type }) => ({
      status,
      retryAfter,
      type,
    }));
    return { answers, logs, closed };
  }

  it('finishes every accepted request before closing the decoders (no decoder failure)', async () => {
    await ensureDefaultModel();
    const { answers, logs, closed } = await shutDownUnderLoad({});
    for (const answer of answers) {
      // Requests that reached the server before the drain finish; later ones get the shutdown 503.
      if (answer.status !== 200) {
        expect(answer).toEqual({ status: 503, retryAfter: '1', type: '/problems/model-not-ready' });
      }
    }
    expect(answers.filter((a) => a.status === 200).length).toBeGreaterThan(0);
    expect(closed.drained).toBe(true);
    expect(logs.filter((l) => l.level !== 'info')).toEqual([]);
  }, 120_000);

  it('answers the requests cut at the drain timeout with the shutdown 503 and Retry-After', async () => {
    const { answers, logs, closed } = await shutDownUnderLoad({ NETLENS_DRAIN_TIMEOUT_MS: '1' });
    expect(closed.drained).toBe(false);
    for (const answer of answers) {
      if (answer.status !== 200) {
        expect(answer).toEqual({ status: 503, retryAfter: '1', type: '/problems/model-not-ready' });
      }
    }
    expect(answers.filter((a) => a.status === 503).length).toBeGreaterThan(0);
    expect(logs.filter((l) => l.message.includes('decoder failed') || l.level === 'error')).toEqual([]);
  }, 120_000);
});
