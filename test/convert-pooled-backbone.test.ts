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

describe('the Keras 3 config rewrite against the Keras 2 form of the same model', () => {
  // Each fixture pair holds the same weights; the .h5 config is what tf.keras 2 writes (TFOpLambda,
  // nested lists), the .keras one what Keras 3 writes (module keys, {args, kwargs}, operation nodes),
  // which the converter rewrites into the Keras 2 form. Identical outputs show the rewrite is right.
  for (const stem of ['pooled_efficientnet', 'pooled_mobilenet_v3']) {
    it(stem, async () => {
      const { readModelFile } = await import('../src/convert/read-model.js');
      const { convertKerasModel } = await import('../src/convert/keras/convert.js');
      const { randomInputs } = await import('../src/convert/verify/verify.js');
      const ort = await import('onnxruntime-node');
      const [x] = randomInputs(1, [32, 32, 3], 4, 0, 255);
      const outputs: Float32Array[] = [];
      for (const ext of ['h5', 'keras']) {
        const { spec } = await readModelFile(path.join(fixtures, `${stem}.${ext}`));
        const r = await convertKerasModel(spec, { name: stem, output: 'logits' });
        const session = await ort.InferenceSession.create(r.onnx);
        const out = await session.run({ input: new ort.Tensor('float32', x!.data, [1, 32, 32, 3]) });
        outputs.push(out['output']?.data as Float32Array);
        await session.release();
      }
      const [k2, k3] = outputs as [Float32Array, Float32Array];
      expect(Math.max(...Array.from(k2, (v, i) => Math.abs(v - (k3[i] as number))))).toBeLessThan(1e-6);
    });
  }
});
