import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareExact, FIXTURES, goldenFor, type GoldenSet } from '../../../scripts/golden/golden-cache.js';
import { decodeWithSharp } from '../../../scripts/golden/sharp-decode.js';
import { toGrayscale, toRgb } from './color.js';
import { readExifOrientation } from './exif.js';
import { applyOrientation } from './orientation.js';
import type { Pixels } from './pixels.js';

const EXIF_FIXTURES = [
  ...[1, 2, 3, 4, 5, 6, 7, 8].map((n) => `exif-${n}.jpg`),
  'exif-none.jpg',
  'exif-3-intel.jpg',
  'exif-6.png',
  'exif-8.webp',
  'exif-5-trailing.png',
  'exif-7-rawprofile.png',
  'exif-6-xmp.png',
  'xmp-6.jpg',
  'exif-6.tiff',
];
const COLOUR_FIXTURES = ['rgba.png', 'la.png', 'l.png', 'gray.jpg', 'palette-trns.png'];
const ALL = [...EXIF_FIXTURES, ...COLOUR_FIXTURES];

const sets = new Map<string, GoldenSet>();
beforeAll(() => {
  const results = goldenFor(
    'pil_decode.py',
    ALL.map((f) => join(FIXTURES, f)),
  );
  ALL.forEach((f, i) => sets.set(f, results[i] as GoldenSet));
});

function bytesOf(file: string): Uint8Array {
  return new Uint8Array(readFileSync(join(FIXTURES, file)));
}

function pixels(set: GoldenSet, name: string): Pixels {
  const g = set.get(name);
  return { width: g.width, height: g.height, channels: g.channels, data: g.data };
}

function expectPixels(actual: Pixels, expected: Pixels, label: string): void {
  expect([actual.width, actual.height, actual.channels], label).toEqual([
    expected.width,
    expected.height,
    expected.channels,
  ]);
  const diff = compareExact(actual.data, expected.data, label);
  expect(diff.count, diff.summary).toBe(0);
}

describe('EXIF orientation matches Pillow (getexif + ImageOps.exif_transpose)', () => {
  it.each(EXIF_FIXTURES)('%s: orientation tag', (file) => {
    const set = sets.get(file) as GoldenSet;
    const pil = (set.info.orientation as number | null) ?? 1;
    expect(readExifOrientation(bytesOf(file))).toBe(pil);
  });

  it('the fixtures cover 1–8 in JPEG (big- and little-endian EXIF), PNG (eXIf, trailing eXIf, raw profile, XMP), WebP, TIFF; JPEG XMP is ignored', () => {
    const seen = EXIF_FIXTURES.map((f) => (sets.get(f) as GoldenSet).info.orientation);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, null, 3, 6, 8, 5, 7, 6, null, 6]);
  });

  // Pillow orients TIFFs while decoding them, so its decoded TIFF pixels are already upright.
  it.each(EXIF_FIXTURES.filter((f) => !f.endsWith('.tiff')))(
    '%s: applyOrientation on Pillow-decoded pixels gives exif_transpose pixels',
    (file) => {
      const set = sets.get(file) as GoldenSet;
      const upright = applyOrientation(pixels(set, 'rgb'), readExifOrientation(bytesOf(file)));
      expectPixels(upright, pixels(set, 'upright'), `${file} upright`);
    },
  );

  it.each(EXIF_FIXTURES)(
    '%s: sharp decode → toRgb → applyOrientation gives exif_transpose pixels',
    async (file) => {
      const set = sets.get(file) as GoldenSet;
      const bytes = bytesOf(file);
      const decoded = await decodeWithSharp(bytes);
      const upright = applyOrientation(toRgb(decoded), readExifOrientation(bytes));
      expectPixels(upright, pixels(set, 'upright'), `${file} sharp upright`);
    },
  );
});

describe("colour modes match Pillow convert('RGB') / convert('L') (sharp decode → core)", () => {
  it.each([
    ['rgba.png', 4],
    ['la.png', 2],
    ['l.png', 1],
    ['gray.jpg', 1],
    ['palette-trns.png', 4],
  ] as const)('%s (sharp gives %i channels)', async (file, channels) => {
    const set = sets.get(file) as GoldenSet;
    const decoded = await decodeWithSharp(bytesOf(file));
    expect(decoded.channels).toBe(channels);
    expectPixels(toRgb(decoded), pixels(set, 'rgb'), `${file} convert('RGB')`);
    expectPixels(toGrayscale(decoded), pixels(set, 'L'), `${file} convert('L')`);
  });
});
