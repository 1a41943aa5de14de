import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  compareExact,
  goldenFor,
  SHARED_IMAGES,
  type GoldenSet,
} from '../../../scripts/golden/golden-cache.js';
import { toGrayscale } from './color.js';
import type { Pixels } from './pixels.js';
import { resize, type ResizeMethod } from './resize.js';

// Must match scripts/golden/pil_reference.py.
const METHODS = ['nearest', 'bilinear', 'area'] as const satisfies readonly ResizeMethod[];
const SIZES: [number, number][] = [
  [224, 224],
  [299, 299],
  [640, 520], // upscale on both axes for every photo
  [150, 600], // shrink x, enlarge y
  [1, 1],
  [37, 5],
];
const GREY_SIZES = SIZES.slice(0, 2);

const images = readdirSync(SHARED_IMAGES)
  .filter((f) => /\.(png|jpe?g)$/i.test(f))
  .sort();

function pixelsOf(set: GoldenSet, name: string): Pixels {
  const g = set.get(name);
  return { width: g.width, height: g.height, channels: g.channels, data: g.data };
}

function expectSame(actual: Pixels, set: GoldenSet, name: string, label: string): void {
  const golden = set.get(name);
  expect([actual.width, actual.height, actual.channels]).toEqual([
    golden.width,
    golden.height,
    golden.channels,
  ]);
  expect(actual.data).toBeInstanceOf(Uint8Array);
  const diff = compareExact(actual.data, golden.data, label);
  expect(diff.count, diff.summary).toBe(0);
}

describe('resize is bit-exact with Debian Pillow on the shared photos', () => {
  const sets = new Map<string, GoldenSet>();
  beforeAll(() => {
    const results = goldenFor(
      'pil_reference.py',
      images.map((f) => join(SHARED_IMAGES, f)),
    );
    images.forEach((f, i) => sets.set(f, results[i] as GoldenSet));
  });

  it('finds the photos', () => {
    expect(images.length).toBeGreaterThanOrEqual(8);
  });

  describe.each(images)('%s', (file) => {
    it.each(METHODS)('RGB %s at every size, and with one axis unchanged', (method) => {
      const set = sets.get(file) as GoldenSet;
      const source = pixelsOf(set, 'source');
      const oneAxisKept: [number, number][] = [
        [source.width, 224],
        [224, source.height],
      ];
      for (const [w, h] of [...SIZES, ...oneAxisKept]) {
        expectSame(resize(source, w, h, method), set, `${method}-${w}x${h}`, `${file} ${method} ${w}×${h}`);
      }
    });

    it.each(METHODS)("grayscale 'L' %s", (method) => {
      const set = sets.get(file) as GoldenSet;
      const grey = toGrayscale(pixelsOf(set, 'source'));
      expectSame(grey, set, 'source-L', `${file} convert('L')`);
      for (const [w, h] of GREY_SIZES) {
        expectSame(resize(grey, w, h, method), set, `L-${method}-${w}x${h}`, `${file} L ${method} ${w}×${h}`);
      }
    });

    it.each(METHODS)('RGBA and LA %s at 224×224 (premultiplied like Pillow)', (method) => {
      const set = sets.get(file) as GoldenSet;
      for (const mode of ['RGBA', 'LA']) {
        const source = pixelsOf(set, `source-${mode}`);
        const out = resize(source, 224, 224, method);
        expectSame(out, set, `${mode}-${method}-224x224`, `${file} ${mode} ${method}`);
      }
    });

    it.each(METHODS)("float32 (Pillow mode 'F') %s at 224×224", (method) => {
      const set = sets.get(file) as GoldenSet;
      const floats = pixelsOf(set, 'source-F');
      expect(floats.data).toBeInstanceOf(Float32Array);
      const out = resize(floats, 224, 224, method);
      expect(out.data).toBeInstanceOf(Float32Array);
      const diff = compareExact(out.data, set.get(`F-${method}-224x224`).data, `${file} F ${method}`);
      expect(diff.count, diff.summary).toBe(0);
    });
  });
});
