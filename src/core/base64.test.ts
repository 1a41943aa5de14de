import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BASE64_CHUNK, decodeBase64, decodeBase64Async } from './base64.js';

const encode = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

describe('decodeBase64', () => {
  it('decodes what Node encodes: standard, URL-safe, unpadded, with whitespace, as a data: URL', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const text = encode(bytes);
        const variants = [
          text,
          text.replaceAll('+', '-').replaceAll('/', '_'),
          text.replace(/=+$/, ''),
          text.replace(/(.{7})/g, '$1\n '),
          `data:image/png;base64,${text}`,
        ];
        for (const v of variants)
          expect(Buffer.from(decodeBase64(v, 'f')).equals(Buffer.from(bytes))).toBe(true);
      }),
    );
  });

  it('refuses what is not base64, naming the field', () => {
    for (const bad of ['Q', 'QUJDR', 'QQ=A', 'QUJD=', 'QQ===', 'QU*D', 'QUJDé']) {
      expect(() => decodeBase64(bad, 'images[0].base64'), bad).toThrow(
        expect.objectContaining({
          code: 'invalid_argument',
          message: 'images[0].base64 is not valid base64',
        }),
      );
    }
    expect(decodeBase64('QQ=', 'f')).toEqual(new Uint8Array([65])); // partial padding, as before
  });

  it('returns a buffer holding exactly the bytes (so it can be transferred)', () => {
    const bytes = decodeBase64('QUI=', 'f');
    expect([bytes.byteLength, bytes.buffer.byteLength]).toEqual([2, 2]);
  });
});

describe('decodeBase64Async', () => {
  it('yields to the event loop between chunks, so timers run during a large decode', async () => {
    const bytes = new Uint8Array(12 * 1024 * 1024).map((_, i) => (i * 2654435761) >>> 24);
    const text = encode(bytes);
    let ticks = 0;
    let worst = 0;
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      worst = Math.max(worst, now - last);
      last = now;
      ticks++;
    }, 0);
    const started = performance.now();
    const decoded = await decodeBase64Async(text, 'f');
    const took = performance.now() - started;
    clearInterval(timer);
    expect(Buffer.from(decoded).equals(Buffer.from(bytes))).toBe(true);
    // At least one timer tick per chunk (the sync decoder lets none run until it returns).
    expect(ticks).toBeGreaterThanOrEqual(Math.floor(text.length / BASE64_CHUNK) - 1);
    console.log(
      `decodeBase64Async: ${text.length} chars in ${took.toFixed(0)} ms, ${ticks} timer ticks, worst gap ${worst.toFixed(1)} ms`,
    );
  });

  it('gives the same bytes and errors as decodeBase64', async () => {
    const text = `${encode(new Uint8Array(3 * BASE64_CHUNK).fill(7))}`;
    expect(await decodeBase64Async(text, 'f')).toEqual(decodeBase64(text, 'f'));
    await expect(decodeBase64Async(`${text}*`, 'x')).rejects.toMatchObject({ code: 'invalid_argument' });
  });
});
