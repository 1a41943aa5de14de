/**
 * The SSRF matrix (docs/webhooks.md): every refused URL — literal, spelled in decimal/octal/hex, behind
 * a DNS name (an injected resolver), or reached by a redirect — is refused before any connection is
 * made: the connector's observer sees none and a loopback listener counts none. Only loopback listeners
 * exist here; the connector also refuses anything that is not loopback, as a guard for the test itself.
 */
import { type Server, createServer as createHttpServer } from 'node:http';
import { type AddressInfo, type Server as TcpServer, createServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetlensError } from '../../core/errors.js';
import { createUrlPolicy } from '../url-policy.js';
import { type Resolver, createSafeFetch } from './safe-fetch.js';

const PNG = readFileSync(join(import.meta.dirname, '../../../test/fixtures/image/rgba.png'));

let listener: TcpServer;
let port: number;
let connections = 0;
let redirector: Server;
let redirectorPort: number;
let imageServer: Server;
let imagePort: number;
const connects: string[] = [];

/** Names used below resolve to whatever the test says; anything else is unknown. */
const names: Record<string, string[]> = {};
const resolve: Resolver = async (host) => {
  const found = names[host];
  if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return found;
};

function fetcher(allow: string[] = []) {
  return createSafeFetch({
    policy: createUrlPolicy(allow),
    resolve,
    maxBytes: 1024 * 1024,
    timeoutMs: 5000,
    connectTimeoutMs: 2000,
    onConnect: (address) => {
      connects.push(address);
      if (!/^(127\.|::1$)/.test(address))
        throw new Error(`test guard: a connection to ${address} was attempted`);
    },
  });
}

beforeAll(async () => {
  listener = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
  port = (listener.address() as AddressInfo).port;
  // 127.0.0.2 is allowed on purpose below: it redirects to wherever ?to= says.
  redirector = createHttpServer((req, res) => {
    const to = new URL(req.url!, 'http://x').searchParams.get('to')!;
    res.writeHead(302, { location: to }).end();
  });
  await new Promise<void>((r) => redirector.listen(0, '127.0.0.2', r));
  redirectorPort = (redirector.address() as AddressInfo).port;
  imageServer = createHttpServer((req, res) => {
    if (req.url === '/big') res.writeHead(200, { 'content-length': String(2 * 1024 * 1024) }).end();
    else if (req.url === '/text') res.writeHead(200).end('hello, not an image');
    else if (req.url === '/missing') res.writeHead(404).end();
    else if (req.url === '/slow') setTimeout(() => res.writeHead(200).end(PNG), 8000);
    else res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
  });
  await new Promise<void>((r) => imageServer.listen(0, '127.0.0.3', r));
  imagePort = (imageServer.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((r) => listener.close(r));
  await new Promise((r) => redirector.close(r));
  imageServer.closeAllConnections();
  await new Promise((r) => imageServer.close(r));
});

/** Every address class that must be refused, with a URL host spelling of it. */
const REFUSED: [string, string][] = [
  ['127.0.0.1', '127.0.0.1'],
  ['127.1', '127.0.0.1'],
  ['decimal 2130706433', '127.0.0.1'],
  ['hex 0x7f000001', '127.0.0.1'],
  ['octal 0177.0.0.1', '127.0.0.1'],
  ['0.0.0.0', '0.0.0.0'],
  ['[::1]', '::1'],
  ['[::ffff:127.0.0.1]', '::ffff:127.0.0.1'],
  ['10.1.2.3', '10.1.2.3'],
  ['172.16.0.1', '172.16.0.1'],
  ['172.31.255.254', '172.31.255.254'],
  ['192.168.1.1', '192.168.1.1'],
  ['100.64.0.1', '100.64.0.1'],
  ['169.254.169.254', '169.254.169.254'],
  ['[fd00::1]', 'fd00::1'],
  ['[fd00:ec2::254]', 'fd00:ec2::254'],
  ['[fe80::1]', 'fe80::1'],
  ['224.0.0.1', '224.0.0.1'],
  ['[::ffff:10.0.0.1]', '::ffff:10.0.0.1'],
  ['[64:ff9b::7f00:1]', '64:ff9b::7f00:1'],
];

const hostOf = (label: string): string => {
  const spelled: Record<string, string> = {
    'decimal 2130706433': '2130706433',
    'hex 0x7f000001': '0x7f000001',
    'octal 0177.0.0.1': '0177.0.0.1',
  };
  return spelled[label] ?? label;
};

async function expectRefused(promise: Promise<unknown>): Promise<NetlensError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(NetlensError);
  expect((error as NetlensError).code).toBe('url_refused');
  return error as NetlensError;
}

describe('SSRF-safe fetch', () => {
  it.each(REFUSED)(
    'refuses %s as a literal, a DNS name and a redirect target, without connecting',
    async (label, address) => {
      const before = connections;
      connects.length = 0;
      const literal = `http://${hostOf(label)}:${port}/image.png`;
      await expectRefused(fetcher().image(literal));
      await expectRefused(fetcher().post(literal, '{}', {}));

      const name = `evil-${address.replace(/[:.]/g, '-')}.example`;
      names[name] = [address];
      await expectRefused(fetcher().image(`http://${name}:${port}/x.png`));
      // A name with a public and a refused address is refused as a whole (no picking the good one).
      names[`mixed.${name}`] = ['93.184.216.34', address];
      await expectRefused(fetcher().image(`http://mixed.${name}:${port}/x.png`));

      const allowed = fetcher(['127.0.0.2/32']);
      const redirect = `http://127.0.0.2:${redirectorPort}/r?to=${encodeURIComponent(literal)}`;
      await expectRefused(allowed.image(redirect));
      const viaName = `http://127.0.0.2:${redirectorPort}/r?to=${encodeURIComponent(`http://${name}:${port}/`)}`;
      await expectRefused(allowed.image(viaName));

      expect(connections - before).toBe(0);
      // The only connections made were to the allowed redirector.
      expect(connects.filter((a) => a !== '127.0.0.2')).toEqual([]);
    },
  );

  it('refuses other schemes and credentials in the URL', async () => {
    for (const url of [
      'file:///etc/passwd',
      'ftp://example.com/x',
      'gopher://example.com/',
      `http://u:p@127.0.0.3:${imagePort}/`,
    ]) {
      await expectRefused(fetcher(['127.0.0.3/32']).image(url));
    }
  });

  it('fetches from an allowed address, connecting to the checked address only', async () => {
    connects.length = 0;
    names['images.test'] = ['127.0.0.3'];
    const bytes = await fetcher(['127.0.0.3/32']).image(`http://images.test:${imagePort}/photo`);
    expect(Buffer.from(bytes).equals(PNG)).toBe(true);
    expect(connects).toEqual(['127.0.0.3']);
  });

  it('follows at most 3 redirects, each re-checked', async () => {
    const allowed = fetcher(['127.0.0.2/32', '127.0.0.3/32']);
    const image = `http://127.0.0.3:${imagePort}/photo`;
    let url = image;
    for (let i = 0; i < 3; i++) url = `http://127.0.0.2:${redirectorPort}/r?to=${encodeURIComponent(url)}`;
    expect((await allowed.image(url)).length).toBe(PNG.length);
    url = `http://127.0.0.2:${redirectorPort}/r?to=${encodeURIComponent(url)}`;
    await expect(allowed.image(url)).rejects.toThrow(/more than 3 redirects/);
  });

  it('checks the size before reading, the type from the bytes, the status and the deadline', async () => {
    const allowed = fetcher(['127.0.0.3/32']);
    const base = `http://127.0.0.3:${imagePort}`;
    await expect(allowed.image(`${base}/big`)).rejects.toMatchObject({ code: 'payload_too_large' });
    await expect(allowed.image(`${base}/text`)).rejects.toMatchObject({ code: 'unsupported_media_type' });
    await expect(allowed.image(`${base}/missing`)).rejects.toMatchObject({
      code: 'fetch_failed',
      details: { status: 404, permanent: true },
    });
    const quick = createSafeFetch({
      policy: createUrlPolicy(['127.0.0.3/32']),
      maxBytes: 1 << 20,
      timeoutMs: 300,
      connectTimeoutMs: 300,
    });
    await expect(quick.image(`${base}/slow`)).rejects.toThrow(/longer than 300 ms/);
  });
});
