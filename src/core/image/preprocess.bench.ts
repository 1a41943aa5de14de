// Run: npx vitest bench --run src/core/image/preprocess.bench.ts
import { bench, describe } from 'vitest';
import type { DecodedImage } from '../image-types.js';
import type { Manifest } from '../manifest.js';
import { RESIZE_METHODS } from '../manifest.js';
import { normalise } from './normalise.js';
import { preprocessImage } from './preprocess.js';
import { resize } from './resize.js';

// A 600×443 RGB image (bmw.png's size) with deterministic content.
const photo: DecodedImage = {
  width: 600,
  height: 443,
  channels: 3,
  data: Uint8Array.from({ length: 600 * 443 * 3 }, (_, i) => (i * 2654435761) >>> 24),
  format: 'png',
};

const spec = (resizeMethod: (typeof RESIZE_METHODS)[number]): Pick<Manifest, 'input' | 'preprocessing'> => ({
  input: { name: 'x', layout: 'NHWC', height: 224, width: 224, channels: 3, dtype: 'float32' },
  preprocessing: { mode: 'caffe', resize: resizeMethod, channelOrder: 'bgr', color: 'rgb' },
});

describe('600×443 RGB → 224×224', () => {
  for (const method of RESIZE_METHODS) {
    bench(`resize ${method}`, () => {
      resize(photo, 224, 224, method);
    });
  }
  const small = resize(photo, 224, 224, 'nearest');
  bench('normalise caffe', () => {
    normalise(small, spec('nearest').preprocessing);
  });
  for (const method of RESIZE_METHODS) {
    bench(`preprocessImage (toRgb + resize ${method} + caffe)`, () => {
      preprocessImage(photo, undefined, spec(method));
    });
  }
});
