import { describe, expect, it } from 'vitest';
import type { Float32Tensor } from '../engine.js';
import { NetlensError } from '../errors.js';
import type { DecodedImage } from '../image-types.js';
import type { Manifest } from '../manifest.js';
import {
  applyOrientation,
  preprocessImage,
  resize,
  stackBatch,
  toGrayscale,
  toRgb,
  type Pixels,
} from './index.js';

function expectInvalid(fn: () => unknown, message: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(NetlensError);
  expect((caught as NetlensError).code).toBe('invalid_argument');
  expect((caught as NetlensError).message).toMatch(message);
}

// 3×2 L image: values are 10·(row) + column.
const grey3x2: Pixels = { width: 3, height: 2, channels: 1, data: Uint8Array.from([0, 1, 2, 10, 11, 12]) };

describe('applyOrientation (hand-worked 3×2 image)', () => {
  const cases: [number, number, number, number[]][] = [
    [1, 3, 2, [0, 1, 2, 10, 11, 12]],
    [2, 3, 2, [2, 1, 0, 12, 11, 10]],
    [3, 3, 2, [12, 11, 10, 2, 1, 0]],
    [4, 3, 2, [10, 11, 12, 0, 1, 2]],
    [5, 2, 3, [0, 10, 1, 11, 2, 12]],
    [6, 2, 3, [10, 0, 11, 1, 12, 2]],
    [7, 2, 3, [12, 2, 11, 1, 10, 0]],
    [8, 2, 3, [2, 12, 1, 11, 0, 10]],
  ];
  it.each(cases)('orientation %i → %i×%i', (o, w, h, data) => {
    const out = applyOrientation(grey3x2, o as 1);
    expect([out.width, out.height, Array.from(out.data)]).toEqual([w, h, data]);
  });

  it('keeps the element type and extra fields', () => {
    const f = { ...grey3x2, data: Float32Array.from(grey3x2.data), format: 'png' as const };
    const out = applyOrientation(f, 6);
    expect(out.data).toBeInstanceOf(Float32Array);
    expect(out.format).toBe('png');
  });

  it('rejects orientations outside 1–8', () => {
    expectInvalid(() => applyOrientation(grey3x2, 9 as 1), /orientation must be an integer 1–8/);
  });
});

describe("toRgb / toGrayscale (PIL convert('RGB') / convert('L'))", () => {
  it('drops alpha without compositing and replicates L', () => {
    const rgba: Pixels = { width: 1, height: 1, channels: 4, data: Uint8Array.from([200, 100, 50, 0]) };
    expect(Array.from(toRgb(rgba).data)).toEqual([200, 100, 50]);
    const la: Pixels = { width: 1, height: 1, channels: 2, data: Uint8Array.from([77, 0]) };
    expect(Array.from(toRgb(la).data)).toEqual([77, 77, 77]);
  });

  it('uses the ITU-R 601-2 fixed-point luma', () => {
    const px: Pixels = {
      width: 3,
      height: 1,
      channels: 3,
      data: Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255]),
    };
    // (255·19595 + 32768) >> 16 = 76, (255·38470 + 32768) >> 16 = 150, (255·7471 + 32768) >> 16 = 29
    expect(Array.from(toGrayscale(px).data)).toEqual([76, 150, 29]);
  });

  it('rejects channel counts that are not L/LA/RGB/RGBA', () => {
    expectInvalid(() => toRgb({ width: 1, height: 1, channels: 5, data: new Uint8Array(5) }), /5 channels/);
  });
});

describe('resize validation', () => {
  it.each([
    [0, 1, /width must be a positive integer/],
    [1.5, 1, /width must be a positive integer/],
    [1, -2, /height must be a positive integer/],
  ])('rejects %s×%s', (w, h, message) => {
    expectInvalid(() => resize(grey3x2, w, h, 'nearest'), message);
  });

  it('rejects unknown methods, listing the valid ones', () => {
    expectInvalid(
      () => resize(grey3x2, 2, 2, 'bicubic' as 'nearest'),
      /valid: nearest, bilinear, bilinear-align-corners, area/,
    );
  });

  it('rejects inconsistent pixel buffers', () => {
    expectInvalid(() => resize({ ...grey3x2, data: new Uint8Array(5) }, 2, 2, 'bilinear'), /has 5 values/);
  });

  it('returns a copy when the size is unchanged', () => {
    const out = resize(grey3x2, 3, 2, 'bilinear');
    expect(Array.from(out.data)).toEqual(Array.from(grey3x2.data));
    expect(out.data).not.toBe(grey3x2.data);
  });
});

const spec = (
  p: Partial<Manifest['preprocessing']> = {},
  channels = 3,
): Pick<Manifest, 'input' | 'preprocessing'> => ({
  input: { name: 'x', layout: 'NHWC', height: 2, width: 3, channels, dtype: 'float32' },
  preprocessing: { mode: 'scale', factor: 1, resize: 'nearest', channelOrder: 'rgb', color: 'rgb', ...p },
});

// An RGB 2×3 image whose JPEG-like source carries EXIF orientation 6.
const tall: DecodedImage = {
  width: 2,
  height: 3,
  channels: 3,
  data: Uint8Array.from({ length: 18 }, (_, i) => i),
  format: 'jpeg',
  decoder: 'test',
};
const orientation6 = Uint8Array.from([
  0xff, 0xd8, 0xff, 0xe1, 0, 34, 0x45, 0x78, 0x69, 0x66, 0, 0, 0x49, 0x49, 42, 0, 8, 0, 0, 0, 1, 0, 0x12,
  0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xd9,
]);

describe('preprocessImage', () => {
  it('orients from the source bytes, then resizes and normalises to [1, H, W, C]', () => {
    const t = preprocessImage(tall, orientation6, spec());
    expect(t.dims).toEqual([1, 2, 3, 3]);
    // Rotated 90° clockwise: output row 0 = source column 0 read bottom-up.
    expect(Array.from(t.data.subarray(0, 9))).toEqual([12, 13, 14, 6, 7, 8, 0, 1, 2]);
  });

  it('orient: false ignores the EXIF tag (Keras load_img behaviour)', () => {
    const t = preprocessImage(tall, orientation6, spec(), { orient: false });
    expect(Array.from(t.data.subarray(0, 3))).toEqual([0, 1, 2]); // nearest resize of the unrotated 2×3
  });

  it('orient: true without source bytes is an error, never a silent skip', () => {
    expectInvalid(
      () => preprocessImage(tall, undefined, spec(), { orient: true }),
      /needs the encoded source bytes/,
    );
  });

  it('grayscale models get one PIL-L channel', () => {
    const t = preprocessImage(tall, undefined, spec({ color: 'grayscale' }, 1));
    expect(t.dims).toEqual([1, 2, 3, 1]);
    expect(t.data.length).toBe(6);
  });

  it('rejects input channels that contradict the colour', () => {
    expectInvalid(
      () => preprocessImage(tall, undefined, spec({ color: 'grayscale' }, 3)),
      /3 channel\(s\) but preprocessing.color 'grayscale'/,
    );
  });
});

describe('stackBatch', () => {
  const t = (fill: number, dims = [1, 2, 2, 3]): Float32Tensor => ({
    data: new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(fill),
    dims,
  });

  it('concatenates along the batch axis', () => {
    const batch = stackBatch([t(1), t(2), t(3)]);
    expect(batch.dims).toEqual([3, 2, 2, 3]);
    expect([batch.data[0], batch.data[12], batch.data[35]]).toEqual([1, 2, 3]);
  });

  it('rejects an empty list, unequal shapes and inconsistent data', () => {
    expectInvalid(() => stackBatch([]), /at least one/);
    expectInvalid(() => stackBatch([t(1), t(1, [1, 2, 3, 3])]), /item 1 has dims \[1, 2, 3, 3\]/);
    expectInvalid(
      () => stackBatch([{ data: new Float32Array(3), dims: [1, 2, 2, 3] }]),
      /item 0 must be NHWC/,
    );
  });
});
