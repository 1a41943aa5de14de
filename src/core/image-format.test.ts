import { describe, expect, it } from 'vitest';
import { sniffImageFormat } from './image-format.js';
import type { ImageFormat } from './image-types.js';

const ascii = (text: string): number[] => Array.from(text, (c) => c.charCodeAt(0));
const bytes = (...parts: (number[] | string)[]): Uint8Array =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? ascii(p) : p)));
/** An ISO-BMFF `ftyp` box: size, 'ftyp', major brand, minor version, compatible brands. */
const ftyp = (major: string, ...compatible: string[]): Uint8Array =>
  bytes([0, 0, 0, 16 + 4 * compatible.length], 'ftyp', major, [0, 0, 0, 0], ...compatible);

describe('sniffImageFormat', () => {
  const headers: [ImageFormat, Uint8Array][] = [
    ['jpeg', bytes([0xff, 0xd8, 0xff, 0xe0, 0, 0x10], 'JFIF')],
    ['png', bytes([0x89], 'PNG', [0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13], 'IHDR')],
    ['webp', bytes('RIFF', [0x24, 0, 0, 0], 'WEBPVP8 ')],
    ['gif', bytes('GIF87a', [1, 0, 1, 0])],
    ['gif', bytes('GIF89a', [1, 0, 1, 0])],
    ['avif', ftyp('avif', 'mif1', 'miaf')],
    ['avif', ftyp('avis', 'msf1')],
    // Major brand 'mif1' with 'avif' only among the compatible brands (as some encoders write).
    ['avif', ftyp('mif1', 'miaf', 'avif')],
    ['tiff', bytes('II', [0x2a, 0, 8, 0, 0, 0])],
    ['tiff', bytes('MM', [0, 0x2a, 0, 0, 0, 8])],
    ['bmp', bytes('BM', [0x46, 0, 0, 0])],
  ];

  it.each(headers.map(([format, header], i) => [i, format, header] as const))(
    'header %i is %s',
    (_i, format, header) => {
      expect(sniffImageFormat(header)).toBe(format);
    },
  );

  it('ignores what follows the magic bytes (the header alone decides)', () => {
    const jpeg = new Uint8Array(1000).fill(7);
    jpeg.set([0xff, 0xd8, 0xff]);
    expect(sniffImageFormat(jpeg)).toBe('jpeg');
    expect(sniffImageFormat(jpeg.subarray(0, 3))).toBe('jpeg');
  });

  it('returns undefined for junk and for input too short to tell', () => {
    const junk = [
      new Uint8Array(0),
      bytes([0xff]),
      bytes([0xff, 0xd8]),
      bytes([0x89], 'PNG', [0x0d, 0x0a, 0x1a]),
      bytes('RIFF', [0x24, 0, 0, 0], 'WAVE'),
      bytes('RIFF', [0x24, 0, 0, 0], 'WEB'),
      bytes('GIF88a', [1, 0]),
      bytes('GIF8'),
      ftyp('heic', 'mif1', 'heic'),
      bytes([0, 0, 0, 16], 'ftyp', 'avi'),
      bytes('II', [0x2b, 0]),
      bytes('B'),
      bytes('<!doctype html><html>'),
      new TextEncoder().encode('hello, not an image'),
      new Uint8Array(64),
    ];
    for (const input of junk) expect(sniffImageFormat(input), Array.from(input).join(',')).toBeUndefined();
  });

  it('reads a subarray from its own offset (not the underlying buffer)', () => {
    const buffer = bytes('xxxx', [0x89], 'PNG', [0x0d, 0x0a, 0x1a, 0x0a]);
    expect(sniffImageFormat(buffer)).toBeUndefined();
    expect(sniffImageFormat(buffer.subarray(4))).toBe('png');
  });

  it('looks for a compatible avif brand only inside the ftyp box', () => {
    // A box declared 16 bytes long ends before the 'avif' that follows it.
    expect(sniffImageFormat(bytes([0, 0, 0, 16], 'ftyp', 'mif1', [0, 0, 0, 0], 'avif'))).toBeUndefined();
    expect(sniffImageFormat(bytes([0, 0, 0, 20], 'ftyp', 'mif1', [0, 0, 0, 0], 'avif'))).toBe('avif');
  });
});
