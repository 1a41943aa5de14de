/** The Worker's job HTTP (no DNS first): the same URL rules on literals, names of localhost and every redirect. */
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUrlPolicy } from './url-policy.js';
import { createWebFetch } from './web-fetch.js';

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
let server: Server;
let base: string;
let hits = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    hits++;
    const to = new URL(req.url!, 'http://x').searchParams.get('to');
    if (to) res.writeHead(302, { location: to }).end();
    else res.writeHead(200).end(PNG);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.2', r));
  base = `http://127.0.0.2:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((r) => server.close(r)));

describe('web fetch (Workers)', () => {
  const allowed = createWebFetch({
    policy: createUrlPolicy(['127.0.0.2/32']),
    maxBytes: 1000,
    timeoutMs: 3000,
  });
  const strict = createWebFetch({ policy: createUrlPolicy(), maxBytes: 1000, timeoutMs: 3000 });

  it('refuses literals and localhost names without a request, and re-checks redirects', async () => {
    const before = hits;
    for (const url of [
      `${base}/`,
      'http://127.1/',
      'http://[::1]/',
      'http://169.254.169.254/',
      'http://localhost:1/',
      'http://a.localhost/',
      'http://0x7f000001/',
    ]) {
      await expect(strict.image(url)).rejects.toMatchObject({ code: 'url_refused' });
    }
    expect(hits).toBe(before);
    await expect(
      allowed.image(`${base}/?to=${encodeURIComponent('http://10.0.0.1/x')}`),
    ).rejects.toMatchObject({ code: 'url_refused' });
    expect(hits).toBe(before + 1);
    expect(Array.from(await allowed.image(`${base}/?to=${encodeURIComponent(`${base}/img`)}`))).toEqual(
      Array.from(PNG),
    );
  });
});
