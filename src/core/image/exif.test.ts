import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from '../../../scripts/golden/golden-cache.js';
import { readExifOrientation } from './exif.js';

const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(join(FIXTURES, name)));

/** A TIFF with one IFD0 entry (tag, type, count 1, value). */
function tiff(little: boolean, tag: number, type: number, value: number): number[] {
  const u16 = (v: number) => (little ? [v & 0xff, v >> 8] : [v >> 8, v & 0xff]);
  const u32 = (v: number) =>
    little ? [...u16(v & 0xffff), ...u16(v >>> 16)] : [...u16(v >>> 16), ...u16(v & 0xffff)];
  const valueField = type === 4 ? u32(value) : type === 1 ? [value, 0, 0, 0] : [...u16(value), 0, 0];
  return [
    ...(little ? [0x49, 0x49] : [0x4d, 0x4d]),
    ...u16(42),
    ...u32(8),
    ...u16(1),
    ...u16(tag),
    ...u16(type),
    ...u32(1),
    ...valueField,
    ...u32(0),
  ];
}

function jpegWith(...segments: number[][]): Uint8Array {
  const body = segments.flatMap((s) => [
    0xff,
    s[0] as number,
    ((s.length + 1) >> 8) & 0xff,
    (s.length + 1) & 0xff,
    ...s.slice(1),
  ]);
  return Uint8Array.from([0xff, 0xd8, ...body, 0xff, 0xda, 0, 2, 0xff, 0xd9]);
}
const app1Exif = (t: number[]): number[] => [0xe1, ...Array.from('Exif\0\0', (c) => c.charCodeAt(0)), ...t];

describe('readExifOrientation', () => {
  it('reads SHORT orientation in both byte orders', () => {
    expect(readExifOrientation(jpegWith(app1Exif(tiff(true, 0x0112, 3, 6))))).toBe(6);
    expect(readExifOrientation(jpegWith(app1Exif(tiff(false, 0x0112, 3, 8))))).toBe(8);
  });

  it('the JPEG fixtures carry both TIFF byte orders', () => {
    const header = (name: string) => String.fromCharCode(...fixture(name).subarray(30, 34));
    expect(header('exif-3.jpg')).toBe('MM\0*');
    expect(header('exif-3-intel.jpg')).toBe('II*\0');
    expect(readExifOrientation(fixture('exif-3-intel.jpg'))).toBe(3);
  });

  it('tolerates LONG and BYTE types', () => {
    expect(readExifOrientation(jpegWith(app1Exif(tiff(false, 0x0112, 4, 5))))).toBe(5);
    expect(readExifOrientation(jpegWith(app1Exif(tiff(true, 0x0112, 1, 7))))).toBe(7);
  });

  it('skips other segments (APP0, XMP APP1) before the Exif APP1, and uses only the first Exif APP1', () => {
    const app0 = [0xe0, ...Array.from('JFIF\0', (c) => c.charCodeAt(0)), 1, 1, 0, 0, 1, 0, 1, 0, 0];
    const xmp = [0xe1, ...Array.from('http://ns.adobe.com/xap/1.0/\0<x/>', (c) => c.charCodeAt(0))];
    const bytes = jpegWith(app0, xmp, app1Exif(tiff(true, 0x0112, 3, 3)), app1Exif(tiff(true, 0x0112, 3, 6)));
    expect(readExifOrientation(bytes)).toBe(3);
  });

  it('returns 1 for out-of-range values, other tags and no EXIF', () => {
    expect(readExifOrientation(jpegWith(app1Exif(tiff(true, 0x0112, 3, 0))))).toBe(1);
    expect(readExifOrientation(jpegWith(app1Exif(tiff(true, 0x0112, 3, 9))))).toBe(1);
    expect(readExifOrientation(jpegWith(app1Exif(tiff(true, 0x0110, 3, 6))))).toBe(1);
    expect(readExifOrientation(fixture('exif-none.jpg'))).toBe(1);
    expect(readExifOrientation(fixture('rgba.png'))).toBe(1);
  });

  it('returns 1 for junk, empty and unknown containers', () => {
    expect(readExifOrientation(new Uint8Array())).toBe(1);
    expect(readExifOrientation(Uint8Array.from([0xff, 0xd8]))).toBe(1);
    expect(readExifOrientation(new TextEncoder().encode('GIF89a not really'))).toBe(1);
    expect(readExifOrientation(new TextEncoder().encode('RIFF\xff\xff\xff\xffWEBPjunk'))).toBe(1);
  });

  it('never throws on any truncation of real files', () => {
    for (const name of [
      'exif-6.jpg',
      'exif-3-intel.jpg',
      'exif-6.png',
      'exif-8.webp',
      'exif-7-rawprofile.png',
      'exif-6-xmp.png',
      'exif-5-trailing.png',
      'exif-6.tiff',
    ]) {
      const bytes = fixture(name);
      const full = readExifOrientation(bytes);
      expect(full).not.toBe(1);
      for (let n = 0; n < bytes.length; n++) {
        const o = readExifOrientation(bytes.subarray(0, n));
        expect([1, full]).toContain(o);
      }
    }
  });

  it('never throws on corrupted bytes (deterministic fuzz)', () => {
    let seed = 12345;
    const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    for (const name of [
      'exif-6.jpg',
      'exif-6.png',
      'exif-8.webp',
      'exif-7-rawprofile.png',
      'exif-6-xmp.png',
    ]) {
      const original = fixture(name);
      for (let trial = 0; trial < 300; trial++) {
        const bytes = original.slice(0, 200);
        for (let k = 0; k < 4; k++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
        const o = readExifOrientation(bytes);
        expect(o >= 1 && o <= 8).toBe(true);
      }
    }
  });
});
