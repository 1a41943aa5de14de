import { describe, expect, it } from 'vitest';
import { NetlensError } from '../core/errors.js';
import { countParts, readImages } from './body.js';

const json = (body: string): Request =>
  new Request('http://x/', { method: 'POST', headers: { 'content-type': 'application/json' }, body });

async function failure(request: Request, maxImages = 64): Promise<NetlensError> {
  const limits = { maxBytes: 64 * 1024 * 1024, signal: new AbortController().signal };
  const error = await readImages(request, maxImages, limits).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(NetlensError);
  return error as NetlensError;
}

describe('readImages on hostile JSON', () => {
  it('refuses a million-entry images array by its length, before validating the entries', async () => {
    const started = performance.now();
    const error = await failure(json(`{"images":[${Array(1_000_000).fill('null').join(',')}]}`));
    expect(error.code).toBe('payload_too_large');
    expect(error.details).toEqual({ limit: 64, images: 1_000_000 });
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('lists at most 20 validation problems and counts the rest', async () => {
    const error = await failure(json(`{"images":[${Array(60).fill('null').join(',')}]}`));
    expect(error.code).toBe('invalid_argument');
    expect(error.details.errors).toHaveLength(20);
    expect(error.details.moreErrors).toBe(40);
    expect(error.message).toMatch(/; and 40 more$/);
  });
});

describe('multipart bodies with too many parts', () => {
  const boundary = 'XyZ';
  const part = (name: string, body: string) =>
    `--${boundary}\r\ncontent-disposition: form-data; name="${name}"; filename="${name}.png"\r\ncontent-type: image/png\r\n\r\n${body}\r\n`;
  const form = (parts: number) =>
    Array.from({ length: parts }, (_, i) => part(`f${i}`, `bytes-${i}`)).join('') + `--${boundary}--\r\n`;
  const type = `multipart/form-data; boundary=${boundary}`;

  it('counts parts by their boundaries (quoted or not; a boundary inside a part body is not one)', () => {
    const bytes = (text: string) => new TextEncoder().encode(text);
    expect(countParts(bytes(form(3)), type)).toBe(3);
    expect(countParts(bytes(form(3)), `multipart/form-data; boundary="${boundary}"`)).toBe(3);
    expect(countParts(bytes(part('a', `not --${boundary} at a line start`) + `--${boundary}--`), type)).toBe(
      1,
    );
    expect(countParts(bytes(form(2)), 'multipart/form-data')).toBe(0);
  });

  it('refuses thousands of parts with 413 before the form parser runs', async () => {
    const request = new Request('http://x/', {
      method: 'POST',
      headers: { 'content-type': type },
      body: form(5000),
    });
    const error = await failure(request);
    expect(error.code).toBe('payload_too_large');
    expect(error.details).toEqual({ limit: 64, parts: 5000 });
  });
});

describe('bodies cut short', () => {
  it('a chunked body abandoned at the deadline is not handed on as a whole one', async () => {
    const controller = new AbortController();
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(stream) {
        sent += 1;
        if (sent === 3) controller.abort(new NetlensError('timeout', 'deadline'));
        stream.enqueue(new TextEncoder().encode('{"images":'));
      },
    });
    const request = new Request('http://x/', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      body,
      duplex: 'half',
    } as RequestInit);
    const error = await readImages(request, 64, { maxBytes: 1 << 20, signal: controller.signal }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'timeout' });
  });

  it('refuses a multipart type with two boundary parameters (one hidden in a quoted string)', async () => {
    const request = new Request('http://x/', {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; x="; boundary=zzz"; boundary=real' },
      body: '--real\r\ncontent-disposition: form-data; name="a"\r\n\r\nb\r\n--real--\r\n',
    });
    const error = await failure(request);
    expect(error.code).toBe('invalid_argument');
    expect(error.message).toMatch(/more than one boundary/);
  });
});
