import { describe, expect, it } from 'vitest';
import { NetlensError } from '../errors.js';
import type { Manifest } from '../manifest.js';
import { normalise } from './normalise.js';
import type { Pixels } from './pixels.js';

type Pre = Manifest['preprocessing'];
const pre = (p: Partial<Pre> & Pick<Pre, 'mode'>): Pre => ({
  resize: 'nearest',
  channelOrder: 'rgb',
  color: 'rgb',
  ...p,
});

// Two RGB pixels: (10, 20, 30) and (255, 0, 128).
const rgb: Pixels = { width: 2, height: 1, channels: 3, data: Uint8Array.from([10, 20, 30, 255, 0, 128]) };

function expectClose(actual: Float32Array, expected: number[], digits = 5): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) => expect(actual[i], `value ${i}`).toBeCloseTo(e, digits));
}

describe('normalise (hand-computed Keras preprocess_input values)', () => {
  it('caffe: RGB→BGR then minus the BGR ImageNet means', () => {
    const out = normalise(rgb, pre({ mode: 'caffe', channelOrder: 'bgr' }));
    expectClose(out, [30 - 103.939, 20 - 116.779, 10 - 123.68, 128 - 103.939, 0 - 116.779, 255 - 123.68], 4);
    // float32 steps: 30 − fround(103.939) rounded to float32
    expect(out[0]).toBe(Math.fround(30 - Math.fround(103.939)));
  });

  it('caffe output is BGR even with the schema default channelOrder rgb', () => {
    expect(normalise(rgb, pre({ mode: 'caffe' }))).toEqual(
      normalise(rgb, pre({ mode: 'caffe', channelOrder: 'bgr' })),
    );
  });

  it('tf: x / 127.5 − 1', () => {
    const out = normalise(rgb, pre({ mode: 'tf' }));
    expectClose(out, [10 / 127.5 - 1, 20 / 127.5 - 1, 30 / 127.5 - 1, 1, -1, 128 / 127.5 - 1], 6);
    expect(out[3]).toBe(1);
    expect(out[4]).toBe(-1);
  });

  it('torch: (x / 255 − mean) / std per RGB channel', () => {
    const out = normalise(rgb, pre({ mode: 'torch' }));
    expectClose(out, [
      (10 / 255 - 0.485) / 0.229,
      (20 / 255 - 0.456) / 0.224,
      (30 / 255 - 0.406) / 0.225,
      2.2489083,
      -2.0357143,
      0.4264924,
    ]);
  });

  it('scale: x · factor + offset, scalar or per channel', () => {
    expectClose(
      normalise(rgb, pre({ mode: 'scale', factor: 1 / 255 })),
      [10 / 255, 20 / 255, 30 / 255, 1, 0, 128 / 255],
      6,
    );
    expectClose(
      normalise(rgb, pre({ mode: 'scale', factor: [1, 2, 0.5], offset: [-1, 0, 1] })),
      [9, 40, 16, 254, 0, 65],
      6,
    );
  });

  it("channelOrder 'bgr' reverses the channels of non-caffe modes", () => {
    const out = normalise(rgb, pre({ mode: 'scale', factor: 1, channelOrder: 'bgr' }));
    expect(Array.from(out)).toEqual([30, 20, 10, 128, 0, 255]);
  });

  it('grayscale images normalise with one channel', () => {
    const grey: Pixels = { width: 3, height: 1, channels: 1, data: Uint8Array.from([0, 51, 255]) };
    expectClose(normalise(grey, pre({ mode: 'tf', color: 'grayscale' })), [-1, -0.6, 1], 6);
  });

  it('accepts float input (from the align-corners resize)', () => {
    const f: Pixels = { width: 1, height: 1, channels: 3, data: Float32Array.from([127.5, 0.25, 255]) };
    expectClose(normalise(f, pre({ mode: 'scale', factor: 2, offset: 1 })), [256, 1.5, 511], 6);
  });

  it.each([
    [
      'rgb color with 1 channel',
      { width: 1, height: 1, channels: 1, data: new Uint8Array(1) },
      pre({ mode: 'tf' }),
      /needs 3 channel/,
    ],
    ['grayscale color with 3 channels', rgb, pre({ mode: 'tf', color: 'grayscale' }), /needs 1 channel/],
    [
      'caffe on grayscale',
      { width: 1, height: 1, channels: 1, data: new Uint8Array(1) },
      pre({ mode: 'caffe', color: 'grayscale' }),
      /caffe.*3 channels/,
    ],
    [
      'factor of the wrong length',
      rgb,
      pre({ mode: 'scale', factor: [1, 2] }),
      /factor has 2 values for 3 channel/,
    ],
    [
      'data of the wrong length',
      { width: 2, height: 2, channels: 3, data: new Uint8Array(3) },
      pre({ mode: 'tf' }),
      /needs 12/,
    ],
  ] as const)('rejects %s with invalid_argument', (_name, image, p, message) => {
    expect(() => normalise(image, p)).toThrow(message);
    try {
      normalise(image, p);
    } catch (error) {
      expect(error).toBeInstanceOf(NetlensError);
      expect((error as NetlensError).code).toBe('invalid_argument');
    }
  });
});
