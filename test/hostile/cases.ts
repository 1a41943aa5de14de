/**
 * The fixed part of the hostile corpus: one named request per attack, with the statuses it may get and
 * any extra check. `owner` names the issue-15 item whose fix the case checks (so a failure says which).
 */
import { resolve } from 'node:path';
import { zipSync } from 'fflate';
import type { HostileBody, HostileRequest, Outcome } from './client.js';
import { type NamedImage, corpusImages, seedImages } from './images.js';

export interface HostileCase extends HostileRequest {
  name: string;
  /** Statuses this case may get (besides the invariants every answer must keep). */
  statuses?: readonly number[];
  /** Extra check: a failure message, or undefined. */
  check?: (outcome: Outcome) => string | undefined;
  /** The issue-15 finding this case reproduces, printed with a failure. */
  finding?: string;
  /**
   * Why this case cannot be judged on local workerd (it is then not sent there, and the reason is printed
   * with the run's report): only for behaviour of wrangler dev's own proxy, never of the Worker.
   */
  notOnWranglerDev?: string;
}

/** wrangler dev wraps the Worker in a dev-only middleware that holds its answer until the request body has arrived. */
const WRANGLER_DEV_DRAINS =
  "wrangler dev's dev-only middleware (templates/middleware/middleware-ensure-req-body-drained.ts) holds every answer until the whole request body has arrived, and turning it off (WRANGLER_DISABLE_REQUEST_BODY_DRAINING) makes its proxy answer other requests 'Your worker restarted mid-request'; Cloudflare has neither, and the Worker's answer is the app's, checked on Node";

/** wrangler dev's proxy after the Worker refuses a chunked body it has started reading. */
const WRANGLER_DEV_RESETS =
  "after the Worker refuses a chunked body it has started reading (413, the rest unread), wrangler dev resets the connection: its drain middleware only drains a body the Worker never touched. 30 such requests in a row (2026-12-01): every one that reached the Worker was logged 413, but 12 of the requests after one got wrangler's proxy's 503 'Your worker restarted mid-request' 3 of the 413 answers lost their body to the reset, and one upload was reset before any answer. Cloudflare has neither, and the Worker's answer is the app's, checked on Node";

export interface Target {
  url: string;
  model: string;
  maxBodyBytes: number;
  maxPixels: number;
  deadlineMs: number;
  runtime: 'node' | 'workerd';
}

const bytes = (b: Uint8Array | string): HostileBody => ({
  kind: 'bytes',
  bytes: typeof b === 'string' ? Buffer.from(b) : b,
});

const post = (path: string, type: string | undefined, body: HostileBody): HostileRequest => ({
  method: 'POST',
  path,
  headers: type === undefined ? {} : { 'content-type': type },
  body,
});

const REPOSITORY = resolve(import.meta.dirname, '../..');

/** Never echoes a file of the server (/etc/passwd, package.json) or a path on its disk. */
export const leaksNothing =
  (...secrets: string[]) =>
  (outcome: Outcome): string | undefined => {
    const text = outcome.body.toString('latin1');
    const leaked = ['root:x:0:0', '"devDependencies"', REPOSITORY, ...secrets].find((s) => text.includes(s));
    return leaked === undefined ? undefined : `the answer contains '${leaked}'`;
  };

export function multipartBody(
  boundary: string,
  parts: { headers: string; body: Uint8Array | string }[],
): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts)
    chunks.push(
      Buffer.from(`--${boundary}\r\n${part.headers}\r\n\r\n`),
      Buffer.from(part.body),
      Buffer.from('\r\n'),
    );
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

function imageCases(t: Target, classify: string, images: NamedImage[], seeds: NamedImage[]): HostileCase[] {
  const cases: HostileCase[] = [];
  for (const image of [...seeds, ...images]) {
    // Heavy but legal images may meet the deadline on a loaded machine (504); memory and /healthz are watched.
    const heavy = /zlib-bomb/.test(image.name) ? { statuses: [200, 415, 422, 503, 504] } : {};
    cases.push({
      name: `image ${image.name}`,
      ...heavy,
      ...post(classify, 'application/octet-stream', bytes(image.bytes)),
    });
  }
  for (const seed of seeds) {
    for (const fraction of [0.02, 0.5, 0.97]) {
      const cut = seed.bytes.subarray(0, Math.max(1, Math.floor(seed.bytes.length * fraction)));
      cases.push({
        name: `image ${seed.name} truncated to ${Math.round(fraction * 100)}%`,
        statuses: [200, 400, 415, 422],
        ...post(classify, `image/${seed.name}`, bytes(cut)),
      });
    }
  }
  const headerBombs = images.filter((i) => /header|sof/.test(i.name));
  for (const bomb of headerBombs) {
    cases.push({
      name: `header bomb ${bomb.name} (refused from the header)`,
      statuses: [415, 422],
      ...post(classify, 'image/png', bytes(bomb.bytes)),
    });
  }
  const issue = images.find((i) => i.name.includes('issue 15'))!;
  // Two at once: decode admission must bound memory and keep /healthz answering (B).
  for (const i of [1, 2])
    cases.push({
      name: `16-bit 39.7 MP PNG, ${i} of 2 in flight`,
      finding: 'issue 15 #2 (helper B: byte-budget decode admission, /healthz stall, peak RSS)',
      statuses: t.maxPixels >= 6300 * 6300 ? [200, 503, 504] : [422],
      ...post(classify, 'image/png', bytes(issue.bytes)),
    });
  return cases;
}

function jsonCases(t: Target, classify: string, seed: NamedImage): HostileCase[] {
  const b64 = Buffer.from(seed.bytes).toString('base64');
  const json = (
    name: string,
    body: string | Uint8Array,
    statuses?: number[],
    finding?: string,
  ): HostileCase => ({
    name: `json ${name}`,
    ...(statuses && { statuses }),
    ...(finding && { finding }),
    ...post(classify, 'application/json', bytes(body)),
  });
  // Just under the body limit: ~(limit − 1 KiB) of base64 that decodes to zeros (415 after decoding).
  const giant = `{"images":[{"base64":"${'A'.repeat(Math.floor((t.maxBodyBytes - 1024) / 4) * 4)}"}]}`;
  return [
    json('valid', `{"images":[{"base64":"${b64}","name":"x"}],"top":3}`, [200]),
    json('data: URL', `{"images":[{"base64":"data:image/jpeg;base64,${b64}"}]}`, [200]),
    json(
      'data: URL with a lying type',
      `{"images":[{"base64":"data:text/html;base64,${b64}"}]}`,
      [200, 400, 415],
    ),
    json('data: URL without a comma', '{"images":[{"base64":"data:image/png;base64"}]}', [400, 415, 422]),
    json(
      'url-safe base64 without padding',
      `{"images":[{"base64":"${b64.replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')}"}]}`,
      [200],
    ),
    json('invalid base64', '{"images":[{"base64":"!!!*** not base64 ***!!!"}]}', [400]),
    json(
      'base64 of a non-image',
      `{"images":[{"base64":"${Buffer.from('<html>hello</html>').toString('base64')}"}]}`,
      [415],
    ),
    json('base64 is a number', '{"images":[{"base64":12345}]}', [400]),
    json('images is an object', '{"images":{"base64":"AAAA"}}', [400]),
    json('images is null', '{"images":null}', [400]),
    json('empty object', '{}', [400]),
    json('top is negative', `{"images":[{"base64":"${b64}"}],"top":-1}`, [400]),
    json('top is huge', `{"images":[{"base64":"${b64}"}],"top":1e308}`, [400]),
    json('top is a string', `{"images":[{"base64":"${b64}"}],"top":"5; DROP TABLE"}`, [400]),
    json(
      '__proto__ pollution',
      `{"images":[{"base64":"${b64}"}],"__proto__":{"top":1000,"admin":true},"constructor":{"prototype":{"x":1}}}`,
      [200, 400],
    ),
    json('truncated', `{"images":[{"base64":"${b64.slice(0, 100)}`, [400]),
    json('BOM then JSON', `\uFEFF{"images":[{"base64":"${b64}"}]}`, [200, 400]),
    json('deep nesting (100 000 levels)', `${'['.repeat(100_000)}${']'.repeat(100_000)}`, [400]),
    json('deep nesting inside images', `{"images":[${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}]}`, [400]),
    json('huge array of nulls (1 M)', `{"images":[${Array(1_000_000).fill('null').join(',')}]}`, [400, 413]),
    json(
      `${5000} tiny images (over the image limit)`,
      `{"images":[${Array(5000).fill('{"base64":"AAAA"}').join(',')}]}`,
      [400, 413, 415],
    ),
    json(
      'a 1 MB name',
      `{"images":[{"base64":"${b64}","name":"${'n'.repeat(1_000_000)}"}]}`,
      [200, 400, 413],
    ),
    json(
      'control characters and lone surrogates',
      `{"images":[{"base64":"${b64}","name":"\\u0000\\ud800\\u001b[31m"}]}`,
      [200, 400],
    ),
    json(
      'giant base64 just under the body limit',
      giant,
      [400, 413, 415],
      'issue 15 #2 (helper B: base64 decoding blocks the event loop)',
    ),
    json('not JSON at all', seed.bytes, [400]),
  ];
}

function multipartCases(t: Target, classify: string, seed: NamedImage): HostileCase[] {
  const boundary = 'hostile-boundary-7MA4YWxkTrZu0gW';
  const file = (name: string, extra = ''): { headers: string; body: Uint8Array } => ({
    headers: `Content-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: image/jpeg${extra}`,
    body: seed.bytes,
  });
  const form = (
    name: string,
    body: Uint8Array,
    statuses: number[],
    type = `multipart/form-data; boundary=${boundary}`,
  ): HostileCase => ({
    name: `multipart ${name}`,
    statuses,
    ...post(classify, type, bytes(body)),
  });
  const many = Array.from({ length: 5000 }, (_, i) => ({
    headers: `Content-Disposition: form-data; name="f${i}"; filename="${i}.jpg"`,
    body: 'x',
  }));
  const nested = multipartBody('inner', [file('inner.jpg')]);
  return [
    form(
      'valid',
      multipartBody(boundary, [
        file('a.jpg'),
        { headers: 'Content-Disposition: form-data; name="top"', body: '2' },
      ]),
      [200],
    ),
    form('5000 parts', multipartBody(boundary, many), [400, 413, 415, 422]),
    form(
      'a 100 KB part header',
      multipartBody(boundary, [file('a.jpg', `\r\nX-Junk: ${'j'.repeat(100_000)}`)]),
      [200, 400, 413],
    ),
    form(
      'missing boundary parameter',
      multipartBody(boundary, [file('a.jpg')]),
      [400, 415],
      'multipart/form-data',
    ),
    form(
      'wrong boundary',
      multipartBody(boundary, [file('a.jpg')]),
      [400, 415],
      'multipart/form-data; boundary=not-the-one',
    ),
    form('unterminated', multipartBody(boundary, [file('a.jpg')]).subarray(0, 200), [400, 415, 422]),
    form(
      'nested multipart/mixed',
      multipartBody(boundary, [
        {
          headers:
            'Content-Disposition: form-data; name="files"\r\nContent-Type: multipart/mixed; boundary=inner',
          body: nested,
        },
      ]),
      [400, 415],
    ),
    form(
      'part without a filename',
      multipartBody(boundary, [{ headers: 'Content-Disposition: form-data; name="file"', body: seed.bytes }]),
      [200, 400, 415],
    ),
    form(
      'no Content-Disposition',
      multipartBody(boundary, [{ headers: 'Content-Type: image/jpeg', body: seed.bytes }]),
      [400, 415],
    ),
    form(
      'top field invalid',
      multipartBody(boundary, [
        file('a.jpg'),
        { headers: 'Content-Disposition: form-data; name="top"', body: '-5' },
      ]),
      [400],
    ),
    form('filename with path traversal', multipartBody(boundary, [file('../../../../etc/passwd')]), [200]),
    form(
      'CRLF injection in the filename',
      multipartBody(boundary, [file('a.jpg"\r\nContent-Type: text/html\r\nX: "')]),
      [200, 400, 415],
    ),
    form(
      'a 70-character boundary',
      multipartBody('b'.repeat(70), [file('a.jpg')]),
      [200],
      `multipart/form-data; boundary=${'b'.repeat(70)}`,
    ),
    form(
      'a 2000-character boundary',
      multipartBody('b'.repeat(2000), [file('a.jpg')]),
      [200, 400],
      `multipart/form-data; boundary=${'b'.repeat(2000)}`,
    ),
    form(
      'a zip as a file part',
      multipartBody(boundary, [{ ...file('a.zip'), body: zipSync({ 'x.txt': Buffer.alloc(1000) }) }]),
      [415],
    ),
  ];
}

function transportCases(t: Target, classify: string, seed: NamedImage): HostileCase[] {
  const kib = new Uint8Array(1024);
  const timely = `answered within the request deadline (${t.deadlineMs} ms) + margin`;
  return [
    { name: 'no body', ...post(classify, 'image/jpeg', { kind: 'none' }), statuses: [400] },
    { name: 'empty body', ...post(classify, 'image/jpeg', bytes(new Uint8Array())), statuses: [400] },
    {
      name: 'image sent as text/html',
      ...post(classify, 'text/html', bytes(seed.bytes)),
      statuses: [200, 415],
    },
    {
      name: 'image sent as x-www-form-urlencoded',
      ...post(classify, 'application/x-www-form-urlencoded', bytes(seed.bytes)),
      statuses: [200, 400, 415],
    },
    {
      name: 'image sent as application/json',
      ...post(classify, 'application/json', bytes(seed.bytes)),
      statuses: [400],
    },
    {
      name: 'a vendor +json type with an image',
      ...post(classify, 'application/vnd.evil+json', bytes(seed.bytes)),
      statuses: [400],
    },
    {
      name: 'content-type with 10 000 parameters',
      ...post(classify, `image/jpeg${'; a=b'.repeat(10_000)}`, bytes(seed.bytes)),
      statuses: [200, 400, 413, 415, 431],
      finding:
        "Node's HTTP parser answers 431 itself, without a problem document (src/runtime/node/server.ts)",
    },
    {
      name: 'declared Content-Length over the limit',
      method: 'POST',
      path: classify,
      headers: { 'content-type': 'image/jpeg', 'content-length': String(t.maxBodyBytes + 1) },
      body: { kind: 'slow', bytes: kib, declared: t.maxBodyBytes + 1, step: 1024, pauseMs: 10 },
      statuses: [413],
      finding: 'issue 15 #3: a 413 from the declared length, without waiting for the body',
      notOnWranglerDev: WRANGLER_DEV_DRAINS,
    },
    {
      name: 'body over the limit, chunked',
      ...post(classify, 'image/jpeg', {
        kind: 'chunked',
        chunks: Array(Math.ceil(t.maxBodyBytes / 65536) + 2).fill(new Uint8Array(65536)),
        pauseMs: 0,
      }),
      statuses: [413],
      notOnWranglerDev: WRANGLER_DEV_RESETS,
    },
    {
      name: 'Content-Length larger than the body (held open)',
      ...post(classify, 'image/jpeg', {
        kind: 'slow',
        bytes: seed.bytes,
        declared: seed.bytes.length + 1000,
        step: seed.bytes.length,
        pauseMs: 10,
      }),
      statuses: [400, 408, 504],
      finding: `issue 15 #1: ${timely}`,
    },
    {
      name: 'slow body with Content-Length (1 KiB per 500 ms)',
      ...post(classify, 'image/jpeg', {
        kind: 'slow',
        bytes: new Uint8Array(64 * 1024),
        declared: 64 * 1024,
        step: 1024,
        pauseMs: 500,
      }),
      statuses: [408, 413, 504],
      finding: `issue 15 #1: ${timely}`,
      notOnWranglerDev: WRANGLER_DEV_DRAINS,
    },
    {
      name: 'slow chunked body that ends after 2 × the deadline',
      ...post(classify, 'image/jpeg', {
        kind: 'chunked',
        chunks: Array(20).fill(kib),
        pauseMs: Math.ceil((2 * t.deadlineMs) / 20),
      }),
      statuses: [408, 413, 504],
      finding: `issue 15 #1 (helper A: chunked bodies read under the deadline): ${timely}`,
    },
    {
      name: 'chunked upload that never ends',
      ...post(classify, 'image/jpeg', { kind: 'chunked', chunks: [kib], pauseMs: 100, endless: true }),
      statuses: [408, 413, 504],
      finding: `issue 15 #1 (helper A: chunked bodies read under the deadline): ${timely}`,
      notOnWranglerDev: WRANGLER_DEV_DRAINS,
    },
    {
      name: 'client disconnects mid-upload (Content-Length)',
      ...post(classify, 'image/jpeg', {
        kind: 'slow',
        bytes: new Uint8Array(256 * 1024),
        declared: 1 << 20,
        step: 16 * 1024,
        pauseMs: 50,
      }),
      abortAfterMs: 400,
    },
    {
      name: 'client disconnects mid-upload (chunked)',
      ...post(classify, 'image/jpeg', {
        kind: 'chunked',
        chunks: [new Uint8Array(16 * 1024)],
        pauseMs: 50,
        endless: true,
      }),
      abortAfterMs: 400,
    },
    {
      name: 'a 12 KB header',
      method: 'GET',
      path: '/v1/models',
      headers: { 'x-junk': 'h'.repeat(12 * 1024) },
      body: { kind: 'none' },
      statuses: [200, 431],
    },
    {
      name: "a 64 KB header (over Node's parser limit)",
      method: 'GET',
      path: '/v1/models',
      headers: { 'x-junk': 'h'.repeat(64 * 1024) },
      body: { kind: 'none' },
      statuses: [200, 400, 413, 431],
      finding:
        "Node's HTTP parser answers 431 itself, without a problem document (src/runtime/node/server.ts)",
    },
    {
      name: '500 headers',
      method: 'GET',
      path: '/v1/models',
      headers: Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`x-h${i}`, 'v'])),
      body: { kind: 'none' },
      statuses: [200, 431],
    },
    {
      name: 'X-API-Key and Authorization junk',
      method: 'GET',
      path: '/v1/models',
      headers: { 'x-api-key': '\u00ff'.repeat(2000), authorization: `Bearer ${'x'.repeat(4000)}` },
      body: { kind: 'none' },
      statuses: [200, 400, 401],
    },
    {
      name: 'PUT on classify',
      method: 'PUT',
      path: classify,
      headers: {},
      body: bytes(seed.bytes),
      statuses: [404, 405],
    },
    {
      name: 'DELETE a model',
      method: 'DELETE',
      path: `/v1/models/${t.model}`,
      headers: {},
      body: { kind: 'none' },
      statuses: [404, 405],
    },
    {
      name: 'TRACE',
      method: 'TRACE',
      path: '/',
      headers: {},
      body: { kind: 'none' },
      statuses: [404, 405, 400],
    },
  ];
}

function pathCases(t: Target): HostileCase[] {
  const paths = [
    '/v1/models/..%2F..%2F..%2F..%2Fetc%2Fpasswd/classify',
    '/v1/models/%2e%2e%2f%2e%2e%2fpackage.json',
    '/v1/models/..%5c..%5cpackage/classify',
    '/v1/models/%00/classify',
    `/v1/models/${'a'.repeat(5000)}/classify`,
    '/v1/models/%C0%AE%C0%AE%2Fetc%2Fpasswd/classify',
    `/v1/models/${t.model}/files/model/..%2F..%2F..%2Fpackage.json`,
    `/v1/models/${t.model}/files/..%2Fmodel`,
    `/v1/models/${t.model}/files/model/${'0'.repeat(64)}`,
    '/static/..%2F..%2F..%2Fpackage.json',
    '/static/%2e%2e/%2e%2e/package.json',
    '/v1/models/nsfw-mobilenet-v2.json',
    '/problems/..%2F..%2Fpackage.json',
    '/problems/%00',
    '/models/onnx/nsfw-mobilenet-v2.json',
    '/.env',
    '/v1/models?model=../../etc/passwd',
  ];
  return paths.map((path) => ({
    name: `path ${path.length > 80 ? `${path.slice(0, 40)}…(${path.length})` : path}`,
    method: path.includes('classify') ? 'POST' : 'GET',
    path,
    headers: { 'content-type': 'image/jpeg' },
    body: path.includes('classify') ? bytes(new Uint8Array([0xff, 0xd8, 0xff])) : { kind: 'none' },
    statuses: path.endsWith(`/${'0'.repeat(64)}`) ? [404, 409] : path.includes('?') ? [200] : [400, 404],
    check: leaksNothing(),
  }));
}

/** Every fixed case for a target. */
export async function fixedCases(t: Target): Promise<HostileCase[]> {
  const classify = `/v1/models/${t.model}/classify`;
  const seeds = await seedImages();
  const jpeg = seeds[0]!;
  return [
    ...imageCases(t, classify, await corpusImages(), seeds),
    ...jsonCases(t, classify, jpeg),
    ...multipartCases(t, classify, jpeg),
    ...transportCases(t, classify, jpeg),
    ...pathCases(t),
  ];
}
