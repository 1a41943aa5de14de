import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  compareExact,
  goldenFor,
  SHARED_IMAGES,
  type GoldenSet,
} from '../../../scripts/golden/golden-cache.js';
import { decodeWithSharp } from '../../../scripts/golden/sharp-decode.js';
import type { Manifest } from '../manifest.js';
import { preprocessImage } from './preprocess.js';

// Keras load_img(target_size=224, interpolation[, color_mode='grayscale']) → img_to_array →
// preprocess_input(mode), in numpy float32.
const IMAGES = ['clint_eastwood.jpg', 'jemma.png', 'soccer_ball.jpg', 'tv.png'];
const MODES = ['caffe', 'tf', 'torch'] as const;
const RESIZES = ['nearest', 'bilinear'] as const;

function spec(
  mode: (typeof MODES)[number],
  resize: (typeof RESIZES)[number],
): Pick<Manifest, 'input' | 'preprocessing'> {
  return {
    input: { name: 'input_1', layout: 'NHWC', height: 224, width: 224, channels: 3, dtype: 'float32' },
    preprocessing: { mode, resize, channelOrder: mode === 'caffe' ? 'bgr' : 'rgb', color: 'rgb' },
  };
}

describe('preprocessImage equals Keras load_img + preprocess_input exactly (sharp decode → core)', () => {
  const sets = new Map<string, GoldenSet>();
  beforeAll(() => {
    const results = goldenFor(
      'pil_reference.py',
      IMAGES.map((f) => join(SHARED_IMAGES, f)),
    );
    IMAGES.forEach((f, i) => sets.set(f, results[i] as GoldenSet));
  });

  it.each(IMAGES)('%s', async (file) => {
    const bytes = new Uint8Array(readFileSync(join(SHARED_IMAGES, file)));
    const decoded = await decodeWithSharp(bytes);
    const set = sets.get(file) as GoldenSet;
    // The decoders agree on these photos, so any difference below is the pipeline's.
    const source = set.get('source');
    expect(compareExact(decoded.data, source.data, `${file} sharp vs Pillow decode`).count).toBe(0);
    for (const mode of MODES) {
      for (const resize of RESIZES) {
        const tensor = preprocessImage(decoded, bytes, spec(mode, resize));
        expect(tensor.dims).toEqual([1, 224, 224, 3]);
        const diff = compareExact(
          tensor.data,
          set.get(`keras-${mode}-${resize}-224x224`).data,
          `${file} ${mode} ${resize}`,
        );
        expect(diff.count, diff.summary).toBe(0);
      }
    }
    for (const resize of RESIZES) {
      const grey = spec('tf', resize);
      grey.input.channels = 1;
      grey.preprocessing.color = 'grayscale';
      const tensor = preprocessImage(decoded, bytes, grey);
      expect(tensor.dims).toEqual([1, 224, 224, 1]);
      const expected = set.get(`keras-grayscale-tf-${resize}-224x224`).data;
      const diff = compareExact(tensor.data, expected, `${file} grayscale tf ${resize}`);
      expect(diff.count, diff.summary).toBe(0);
    }
  });
});
