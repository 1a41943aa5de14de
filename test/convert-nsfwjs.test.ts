import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseManifest } from '../src/core/manifest.js';
import { readModelFile } from '../src/convert/read-model.js';
import { photoInputs } from '../src/convert/verify/photo-inputs.js';
import { randomInputs, verifyAgainstTfjs } from '../src/convert/verify/verify.js';
import { convertCached } from './convert-cache.js';

// nsfwjs ships two real Keras 2.2.4 models as TF.js layers modules with uint8-quantised weights.
const require = createRequire(import.meta.url);
const MODELS_DIR = path.resolve(path.dirname(require.resolve('nsfwjs')), '../models');
const IMAGES = path.resolve(import.meta.dirname, '../../shared/data/images');
const NSFW_PREPROCESSING = {
  mode: 'scale',
  factor: 1 / 255,
  offset: 0,
  resize: 'bilinear-align-corners',
} as const;

describe('nsfwjs models (TF.js layers, uint8 weights) convert and match TF.js within 1e-5', () => {
  for (const [dir, size, parameters] of [
    ['mobilenet_v2', 224, 2_619_461],
    ['inception_v3', 299, 22_360_869],
  ] as const) {
    it(`${dir}: dequantised weights, ${size}×${size} input, photos and random inputs`, async () => {
      const file = path.join(MODELS_DIR, dir, 'model.min.js');
      const { spec } = await readModelFile(file);
      expect(spec.format).toBe('tfjs-layers');
      expect(spec.kerasVersion).toBe('2.2.4');
      // The conversion is cached by source hash (test/.cache/converted); the verification always runs.
      const r = await convertCached(spec.sourceSha256 ?? '', () => Promise.resolve(spec), {
        name: `nsfw-${dir}`,
        labels: ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'],
        preprocessing: NSFW_PREPROCESSING,
      });
      expect(r.summary.parameters).toBe(parameters);
      expect(r.summary.inputShape).toEqual([size, size, 3]);
      const manifest = parseManifest(r.manifest);
      expect(manifest.output).toEqual({ name: 'output', kind: 'probabilities', size: 5 });
      const inputs = randomInputs(1, [size, size, 3], 3, 0, 1);
      // The shared photos must be there (CI has them): a missing folder fails here, it never skips.
      expect(existsSync(IMAGES), IMAGES).toBe(true);
      for (const p of await photoInputs(IMAGES, manifest, dir === 'inception_v3' ? 4 : 8))
        inputs.push(p.tensor);
      const v = await verifyAgainstTfjs(spec, r.onnxPath, inputs, { outputLayer: r.summary.outputLayer });
      expect(v.maxAbsDiff).toBeLessThanOrEqual(1e-5);
      expect(v.top1Agreement).toBe(1);
      // InceptionV3 (22 M parameters) is converted when the converter changed, then verified; TF.js loads
      // it from its own files: allow for a shared machine.
    }, 180_000);
  }
});
