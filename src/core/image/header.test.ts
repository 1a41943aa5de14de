import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { sniffImageFormat } from '../image-format.js';
import { WORST_DECODE_BYTES_PER_PIXEL, decodeCost } from './decode-cost.js';
import { readImageHeader } from './header.js';

const rgb = { width: 37, height: 23, channels: 3 as const, background: { r: 200, g: 10, b: 90 } };
const rgba = { ...rgb, channels: 4 as const, background: { ...rgb.background, alpha: 0.5 } };
const encoders: [string, () => Promise<Buffer>, { channels: number; bitsPerSample: number }][] = [
  [
    'png grey',
    () => sharp({ create: rgb }).toColourspace('b-w').png().toBuffer(),
    { channels: 1, bitsPerSample: 8 },
  ],
  ['png rgb', () => sharp({ create: rgb }).png().toBuffer(), { channels: 3, bitsPerSample: 8 }],
  ['png rgba', () => sharp({ create: rgba }).png().toBuffer(), { channels: 4, bitsPerSample: 8 }],
  [
    'png rgba 16-bit',
    () => sharp({ create: rgba }).toColourspace('rgb16').png().toBuffer(),
    { channels: 4, bitsPerSample: 16 },
  ],
  [
    'png palette',
    () => sharp({ create: rgb }).png({ palette: true }).toBuffer(),
    { channels: 4, bitsPerSample: 8 },
  ],
  ['jpeg rgb', () => sharp({ create: rgb }).jpeg().toBuffer(), { channels: 3, bitsPerSample: 8 }],
  [
    'jpeg grey',
    () => sharp({ create: rgb }).toColourspace('b-w').jpeg().toBuffer(),
    { channels: 1, bitsPerSample: 8 },
  ],
  [
    'jpeg cmyk',
    () => sharp({ create: rgb }).toColourspace('cmyk').jpeg().toBuffer(),
    { channels: 4, bitsPerSample: 8 },
  ],
  ['webp lossy', () => sharp({ create: rgb }).webp().toBuffer(), { channels: 3, bitsPerSample: 8 }],
  [
    'webp lossless alpha',
    () => sharp({ create: rgba }).webp({ lossless: true }).toBuffer(),
    { channels: 4, bitsPerSample: 8 },
  ],
  ['webp lossy alpha', () => sharp({ create: rgba }).webp().toBuffer(), { channels: 4, bitsPerSample: 8 }],
  ['gif', () => sharp({ create: rgb }).gif().toBuffer(), { channels: 4, bitsPerSample: 8 }],
  ['tiff rgb', () => sharp({ create: rgb }).tiff().toBuffer(), { channels: 3, bitsPerSample: 8 }],
  ['avif', () => sharp({ create: rgb }).avif({ effort: 0 }).toBuffer(), { channels: 4, bitsPerSample: 8 }],
];

describe('readImageHeader', () => {
  it.each(encoders)(
    '%s: the size sharp reads, and what decoding produces',
    async (_name, encode, expected) => {
      const bytes = new Uint8Array(await encode());
      const format = sniffImageFormat(bytes)!;
      const header = readImageHeader(bytes, format);
      expect(header).toEqual({ width: 37, height: 23, ...expected });
      // Never fewer channels or bits than sharp's own reading of the header (the estimate must not be low).
      const meta = await sharp(bytes).metadata();
      expect(header!.channels).toBeGreaterThanOrEqual(meta.channels!);
    },
  );

  it('reads a 16-bit RGBA TIFF, whose BitsPerSample sits at an offset', () => {
    // II*\0, IFD at 8: ImageWidth 300, ImageLength 200, BitsPerSample 4 × 16 at offset 62, SamplesPerPixel 4.
    const tiff = new Uint8Array(80);
    const view = new DataView(tiff.buffer);
    tiff.set([0x49, 0x49, 0x2a, 0x00]);
    view.setUint32(4, 8, true);
    view.setUint16(8, 4, true);
    const entries: [number, number, number, number][] = [
      [256, 3, 1, 300],
      [257, 4, 1, 200],
      [258, 3, 4, 62],
      [277, 3, 1, 4],
    ];
    entries.forEach(([tag, type, count, value], i) => {
      const at = 10 + i * 12;
      view.setUint16(at, tag, true);
      view.setUint16(at + 2, type, true);
      view.setUint32(at + 4, count, true);
      if (type === 4 || count > 2) view.setUint32(at + 8, value, true);
      else view.setUint16(at + 8, value, true);
    });
    for (let k = 0; k < 4; k++) view.setUint16(62 + 2 * k, 16, true);
    expect(readImageHeader(tiff, 'tiff')).toEqual({
      width: 300,
      height: 200,
      channels: 4,
      bitsPerSample: 16,
    });
  });

  it('is undefined for a truncated or malformed header, and for BMP', async () => {
    const png = new Uint8Array(await sharp({ create: rgb }).png().toBuffer());
    expect(readImageHeader(png.subarray(0, 20), 'png')).toBeUndefined();
    const bad = png.slice();
    bad[25] = 5; // no such PNG colour type
    expect(readImageHeader(bad, 'png')).toBeUndefined();
    const jpeg = new Uint8Array(await sharp({ create: rgb }).jpeg().toBuffer());
    expect(readImageHeader(jpeg.subarray(0, 30), 'jpeg')).toBeUndefined();
    expect(readImageHeader(new Uint8Array(64), 'bmp')).toBeUndefined();
  });
});

describe('decodeCost', () => {
  it('counts the stored image, its 8-bit copy and one preprocessing copy', () => {
    // The 39.7 MP 16-bit RGBA PNG of issue 15: 8 + 4 + 4 bytes a pixel.
    expect(decodeCost({ width: 6300, height: 6300, channels: 4, bitsPerSample: 16 }, 40e6)).toBe(
      6300 * 6300 * 16,
    );
    // A 12 MP 8-bit RGB JPEG: 3 + 3 + 3.
    expect(decodeCost({ width: 4000, height: 3000, channels: 3, bitsPerSample: 8 }, 40e6)).toBe(12e6 * 9);
    // CMYK decodes 4 inks, handed over as RGB (counted as at most 4).
    expect(decodeCost({ width: 10, height: 10, channels: 4, bitsPerSample: 8 }, 40e6)).toBe(100 * 12);
  });

  it('caps the pixels at the limit (larger images are refused from the header) and assumes the worst when unknown', () => {
    expect(decodeCost({ width: 1e5, height: 1e5, channels: 3, bitsPerSample: 8 }, 1e6)).toBe(1e6 * 9);
    expect(decodeCost(undefined, 1e6)).toBe(1e6 * WORST_DECODE_BYTES_PER_PIXEL);
  });
});
