import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { convertModelFile } from '../src/convert/convert-file.js';
import { convertFixtures } from './convert-fixtures.js';

// The fine-tuning layout keras.applications users write: Sequential([base(pooling='avg'), Dropout,
// Dense]). The penultimate features are the nested backbone's own output, so verification must find that
// model's output inside the outer graph (TF.js' getLayer(…).output is ambiguous there: the backbone has
// two calls). Small EfficientNet- and MobileNetV3-like backbones (scripts/convert/make-test-files.py),
// each written as tf.keras 2 writes .h5 and as Keras 3 writes .keras.
let fixtures: string;
beforeAll(() => {
  fixtures = convertFixtures();
});

const CASES: [string, string, number][] = [
  ['pooled_efficientnet.h5', 'mini_efficientnet', 16],
  ['pooled_efficientnet.keras', 'mini_efficientnet', 16],
  ['pooled_mobilenet_v3.h5', 'mini_mobilenet_v3', 8],
  ['pooled_mobilenet_v3.keras', 'mini_mobilenet_v3', 8],
];

describe('Sequential([backbone(pooling="avg"), Dropout, Dense]) converts with --verify', () => {
  for (const [file, backbone, features] of CASES) {
    it(file, async () => {
      const outDir = mkdtempSync(path.join(tmpdir(), 'netlens-pooled-'));
      const r = await convertModelFile(path.join(fixtures, file), { outDir, verify: true, verifyRandom: 3 });
      expect(r.summary.outputShape).toEqual([3]);
      expect(r.featuresSummary?.outputLayer).toBe(backbone);
      expect(r.manifest.features?.size).toBe(features);
      expect(r.verification?.maxAbsDiff).toBeLessThan(1e-5);
      expect(r.featuresVerification?.maxAbsDiff).toBeLessThan(1e-5);
      expect(r.verification?.top1Agreement).toBe(1);
    });
  }
});
