/**
 * The generated part of the hostile corpus (fast-check): mutated images (bit flips, byte writes,
 * truncation, inserted and spliced bytes) under random Content-Types, JSON bodies of random shape
 * around base64 images, multipart bodies with random parts and boundaries, and odd paths and headers.
 * Each case prints as its name (fc.toStringMethod), so a counterexample stays readable.
 */
import fc from 'fast-check';
import type { HostileBody } from './client.js';
import { type HostileCase, type Target, leaksNothing, multipartBody } from './cases.js';
import type { NamedImage } from './images.js';

const TYPES = [
  'image/jpeg',
  'image/png',
  'image/webp',
  'image/gif',
  'application/octet-stream',
  'text/plain',
  'image/svg+xml',
  'application/zip',
  '',
] as const;

function named(c: HostileCase): HostileCase {
  return Object.assign(c, { [fc.toStringMethod]: () => c.name });
}

const body = (bytes: Uint8Array): HostileBody => ({ kind: 'bytes', bytes });

type Mutation =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'set'; at: number; value: number }
  | { op: 'truncate'; at: number }
  | { op: 'insert'; at: number; bytes: Uint8Array }
  | { op: 'splice'; at: number; from: number; length: number };

const at = fc.double({ min: 0, max: 1, noNaN: true });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ op: fc.constant('flip' as const), at, bit: fc.integer({ min: 0, max: 7 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('set' as const),
      at,
      value: fc.constantFrom(0, 0xff, 0x7f, 0x80),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('truncate' as const), at }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('insert' as const),
      at,
      bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('splice' as const),
      at,
      from: at,
      length: fc.integer({ min: 1, max: 512 }),
    }),
  },
);

/** Mutations weighted towards the first 10% of the file, where the headers are. */
function mutate(bytes: Uint8Array, mutations: Mutation[], headerBias: boolean): Uint8Array {
  let out = Uint8Array.from(bytes);
  for (const m of mutations) {
    const i = Math.min(out.length - 1, Math.floor((headerBias ? m.at * 0.1 : m.at) * out.length));
    if (i < 0) break;
    if (m.op === 'flip') out[i]! ^= 1 << m.bit;
    else if (m.op === 'set') out[i] = m.value;
    else if (m.op === 'truncate') out = out.subarray(0, Math.max(1, i));
    else if (m.op === 'insert')
      out = Uint8Array.from([...out.subarray(0, i), ...m.bytes, ...out.subarray(i)]);
    else {
      const from = Math.floor(m.from * out.length);
      out = Uint8Array.from([
        ...out.subarray(0, i),
        ...out.subarray(from, from + m.length),
        ...out.subarray(i),
      ]);
    }
  }
  return out;
}

export function mutatedImages(t: Target, seeds: NamedImage[]): fc.Arbitrary<HostileCase> {
  return fc
    .record({
      seed: fc.constantFrom(...seeds),
      mutations: fc.array(mutation, { minLength: 1, maxLength: 6 }),
      headerBias: fc.boolean(),
      type: fc.constantFrom(...TYPES),
    })
    .map(({ seed, mutations, headerBias, type }) => {
      const bytes = mutate(seed.bytes, mutations, headerBias);
      return named({
        name: `mutated ${seed.name} (${mutations.map((m) => m.op).join('+')}${headerBias ? ', header' : ''}, ${bytes.length} B, ${type || 'no type'})`,
        method: 'POST',
        path: `/v1/models/${t.model}/classify`,
        headers: type === '' ? {} : { 'content-type': type },
        body: body(bytes),
        statuses: [200, 400, 413, 415, 422],
      });
    });
}

export function jsonBodies(t: Target, seeds: NamedImage[]): fc.Arbitrary<HostileCase> {
  const base64 = fc.oneof(
    fc.constantFrom(...seeds.map((s) => Buffer.from(s.bytes).toString('base64'))),
    fc.constantFrom(...seeds.map((s) => `data:image/png;base64,${Buffer.from(s.bytes).toString('base64')}`)),
    fc.base64String({ maxLength: 400 }),
    fc.string({ maxLength: 200 }),
    fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('base64')),
  );
  const image = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record(
        { base64, name: fc.option(fc.string({ maxLength: 50 }), { nil: undefined }) },
        { requiredKeys: ['base64'] },
      ),
    },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  );
  const document = fc.record(
    {
      images: fc.oneof(
        { weight: 5, arbitrary: fc.array(image, { maxLength: 8 }) },
        { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
      ),
      top: fc.oneof(
        fc.integer({ min: -5, max: 2000 }),
        fc.double(),
        fc.string({ maxLength: 10 }),
        fc.constant(null),
      ),
      extra: fc.jsonValue({ maxDepth: 2 }),
    },
    { requiredKeys: [] },
  );
  return fc
    .record({ document, cut: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { freq: 6 }) })
    .map(({ document, cut }) => {
      let text = JSON.stringify(document);
      if (cut !== null) text = text.slice(0, Math.floor(text.length * cut));
      return named({
        name: `json ${text.length > 100 ? `${text.slice(0, 100)}…(${text.length})` : text}`,
        method: 'POST',
        path: `/v1/models/${t.model}/classify`,
        headers: { 'content-type': 'application/json' },
        body: body(Buffer.from(text)),
        statuses: [200, 400, 413, 415, 422],
      });
    });
}

export function multipartBodies(t: Target, seeds: NamedImage[]): fc.Arbitrary<HostileCase> {
  const token = fc.stringMatching(/^[A-Za-z0-9'()+_,\-./:=?]{1,70}$/);
  const part = fc.record({
    field: fc.oneof(fc.constant('file'), fc.constant('top'), fc.string({ maxLength: 20 })),
    filename: fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
    type: fc.constantFrom(...TYPES),
    content: fc.oneof(
      fc.constantFrom(...seeds.map((s) => s.bytes)),
      fc.uint8Array({ maxLength: 200 }),
      fc.string({ maxLength: 20 }),
    ),
  });
  return fc
    .record({
      boundary: token,
      declared: fc.option(token, { freq: 4 }),
      parts: fc.array(part, { maxLength: 12 }),
      cut: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { freq: 5 }),
    })
    .map(({ boundary, declared, parts, cut }) => {
      const rendered = parts.map((p) => ({
        headers: [
          `Content-Disposition: form-data; name="${p.field.replace(/["\r\n]/g, '')}"${p.filename === undefined ? '' : `; filename="${p.filename.replace(/["\r\n]/g, '')}"`}`,
          ...(p.type ? [`Content-Type: ${p.type}`] : []),
        ].join('\r\n'),
        body: p.content,
      }));
      let bytes: Uint8Array = multipartBody(boundary, rendered);
      if (cut !== null) bytes = bytes.subarray(0, Math.floor(bytes.length * cut));
      return named({
        name: `multipart ${parts.length} parts, boundary ${declared === null ? 'matching' : 'other'}${cut === null ? '' : ', cut'} (${bytes.length} B)`,
        method: 'POST',
        path: `/v1/models/${t.model}/classify`,
        headers: { 'content-type': `multipart/form-data; boundary=${declared ?? boundary}` },
        body: body(bytes),
        statuses: [200, 400, 413, 415, 422],
      });
    });
}

export function pathsAndHeaders(t: Target): fc.Arbitrary<HostileCase> {
  const segment = fc.oneof(
    fc.constantFrom(
      '..',
      '%2e%2e',
      '%2f',
      '%00',
      '%c0%ae',
      '..%5c',
      '.',
      '~',
      t.model,
      'v1',
      'models',
      'classify',
      'files',
      'model',
      'static',
      'problems',
      '%ff%fe',
    ),
    fc.stringMatching(/^[A-Za-z0-9._~%-]{1,30}$/),
  );
  const header = fc.tuple(
    fc.stringMatching(/^x-[a-z0-9-]{1,20}$/),
    fc.stringMatching(/^[\x20-\x7e]{0,200}$/),
  );
  return fc
    .record({
      method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH'),
      segments: fc.array(segment, { minLength: 1, maxLength: 8 }),
      query: fc.option(fc.stringMatching(/^[A-Za-z0-9=&%._~-]{0,60}$/), { nil: undefined }),
      headers: fc.array(header, { maxLength: 5 }),
    })
    .map(({ method, segments, query, headers }) => {
      const path = `/${segments.join('/')}${query === undefined ? '' : `?${query}`}`;
      return named({
        name: `${method} ${path}`,
        method,
        path,
        headers: Object.fromEntries(headers),
        body:
          method === 'POST' || method === 'PUT'
            ? body(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]))
            : { kind: 'none' },
        check: leaksNothing(),
      });
    });
}
