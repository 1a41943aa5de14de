import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareExact, SHARED_IMAGES } from '../../../scripts/golden/golden-cache.js';
import { decodeWithSharp } from '../../../scripts/golden/sharp-decode.js';
import type { DecodedImage } from '../image-types.js';
import type { Pixels } from './pixels.js';
import { preprocessImage } from './preprocess.js';
import { resize } from './resize.js';

function tfjsResize(image: Pixels, width: number, height: number): Float32Array {
  return tf.tidy(() => {
    const x = tf.tensor3d(
      Float32Array.from(image.data),
      [image.height, image.width, image.channels],
      'float32',
    );
    return tf.image.resizeBilinear(x, [height, width], true).dataSync() as Float32Array;
  });
}

describe("resize 'bilinear-align-corners' equals TF.js resizeBilinear(alignCorners=true) on the cpu backend", () => {
  let photo: Pixels;
  let decoded: DecodedImage;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    decoded = await decodeWithSharp(new Uint8Array(readFileSync(join(SHARED_IMAGES, 'soccer_ball.jpg'))));
    photo = { width: decoded.width, height: decoded.height, channels: decoded.channels, data: decoded.data };
  });

  it.each([
    [224, 224],
    [299, 299],
    [400, 300],
    [1, 1],
    [1, 7],
    [570, 379],
  ])('%i×%i, exactly', (w, h) => {
    const ours = resize(photo, w, h, 'bilinear-align-corners');
    expect(ours.data).toBeInstanceOf(Float32Array);
    expect([ours.width, ours.height, ours.channels]).toEqual([w, h, 3]);
    const diff = compareExact(ours.data, tfjsResize(photo, w, h), `align-corners ${w}×${h}`);
    expect(diff.count, diff.summary).toBe(0);
  });

  it('float input (already divided by 255, as nsfwjs does) matches too', () => {
    const scaled: Pixels = { ...photo, data: Float32Array.from(photo.data, (v) => Math.fround(v / 255)) };
    const diff = compareExact(
      resize(scaled, 224, 224, 'bilinear-align-corners').data,
      tfjsResize(scaled, 224, 224),
      'float',
    );
    expect(diff.count, diff.summary).toBe(0);
  });

  it("preprocessImage with scale 1/255 + 'bilinear-align-corners' equals nsfwjs' infer() preprocessing exactly", () => {
    // nsfwjs 4.4 core.js: img.toFloat().div(255) → tf.image.resizeBilinear(x, [size, size], true)
    const expected = tf.tidy(() => {
      const x = tf.tensor3d(Int32Array.from(photo.data), [photo.height, photo.width, 3], 'int32');
      return tf.image
        .resizeBilinear(x.toFloat().div<tf.Tensor3D>(tf.scalar(255)), [224, 224], true)
        .dataSync() as Float32Array;
    });
    const tensor = preprocessImage(decoded, undefined, {
      input: { name: 'input', layout: 'NHWC', height: 224, width: 224, channels: 3, dtype: 'float32' },
      preprocessing: {
        mode: 'scale',
        factor: 1 / 255,
        resize: 'bilinear-align-corners',
        channelOrder: 'rgb',
        color: 'rgb',
      },
    });
    const diff = compareExact(tensor.data, expected, 'nsfwjs preprocessing');
    expect(diff.count, diff.summary).toBe(0);
  });
});
