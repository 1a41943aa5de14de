import { existsSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { NetlensError } from '../src/core/errors.js';
import { parseManifest } from '../src/core/manifest.js';
import { convertKerasModel, lowerKerasModel } from '../src/convert/keras/convert.js';
import { readModelFile } from '../src/convert/read-model.js';
import { photoInputs } from '../src/convert/verify/photo-inputs.js';
import { randomInputs, verifyAgainstTfjs } from '../src/convert/verify/verify.js';
import type { Float32Tensor } from '../src/core/engine.js';

// The six real Keras files in ../shared/data/keras (written by Keras 2.0.9, tf.keras 2.4 / 2.14 and
// Keras 3.11), each converted and compared with TensorFlow.js built from the same config and weights.
// The data must be there: without it these tests fail (CI has it), they never skip.
const KERAS_DIR = path.resolve(import.meta.dirname, '../../shared/data/keras');
const IMAGES = path.resolve(import.meta.dirname, '../../shared/data/images');

// Parameter counts from ../shared/data/keras/README.md (every model array, BN statistics included).
const FILES: [string, number, string][] = [
  ['fer2013_mini_XCEPTION.hdf5', 58_423, '2.0.9'],
  ['resnet8_cifar10.h5', 78_666, '2.4.0'],
  ['vww96_mobilenet.h5', 221_794, '2.4.0'],
  ['mnist_cnn_keras3_legacy.h5', 225_034, '3.11.3'],
  ['mnist_cnn_keras3.keras', 225_034, '3.11.3'],
];

describe('real Keras files convert and match TensorFlow.js within 1e-4', () => {
  it('the real files are present (../shared/data/keras, ../shared/data/images)', () => {
    for (const file of [...FILES.map(([f]) => f), 'str_ww_dscnn.h5']) {
      expect(existsSync(path.join(KERAS_DIR, file)), path.join(KERAS_DIR, file)).toBe(true);
    }
    expect(existsSync(IMAGES), IMAGES).toBe(true);
  });

  for (const [file, parameters, kerasVersion] of FILES) {
    it(`${file}: parameters, probabilities and penultimate features`, async () => {
      const { spec } = await readModelFile(path.join(KERAS_DIR, file));
      expect(spec.kerasVersion).toBe(kerasVersion);
      const main = await convertKerasModel(spec, { name: 'real' });
      expect(main.summary.parameters).toBe(parameters);
      expect(main.manifest.output.kind).toBe('probabilities');
      const manifest = parseManifest(main.manifest);
      const inputs: Float32Tensor[] = randomInputs(3, main.summary.inputShape, 11, 0, 1);
      for (const p of await photoInputs(IMAGES, manifest, 3)) inputs.push(p.tensor);
      const v = await verifyAgainstTfjs(spec, main.onnx, inputs, { outputLayer: main.summary.outputLayer });
      expect(v.maxAbsDiff).toBeLessThanOrEqual(1e-4);
      expect(v.top1Agreement).toBe(1);
      // Softmax outputs can saturate; the features before the classifier cannot hide a difference.
      const features = await convertKerasModel(spec, { name: 'real-features', output: 'features' });
      const f = await verifyAgainstTfjs(spec, features.onnx, inputs, {
        outputLayer: features.summary.outputLayer,
      });
      expect(f.maxAbsDiff).toBeLessThanOrEqual(1e-4);
    });
  }

  it('str_ww_dscnn.h5 (40 MFCC channels, not an image): the graph is exact, serving it is refused', async () => {
    const { spec } = await readModelFile(path.join(KERAS_DIR, 'str_ww_dscnn.h5'));
    expect(spec.kerasVersion).toBe('2.14.0');
    const lowered = lowerKerasModel(spec, { name: 'str-ww' });
    expect(lowered.parameters).toBe(47_707);
    const inputs = randomInputs(3, lowered.inputShape, 11, 0, 1);
    const v = await verifyAgainstTfjs(spec, lowered.builder.toBytes(), inputs, {
      outputLayer: lowered.outputRef.layer,
    });
    expect(v.maxAbsDiff).toBeLessThanOrEqual(1e-4);
    const error = await convertKerasModel(spec, { name: 'str-ww' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetlensError);
    expect((error as NetlensError).message).toMatch(
      /takes images with 40 channels\. netlens feeds models decoded images, RGB \(3 channels\) or grayscale/,
    );
  });

  it('the Keras 3 .keras zip and its legacy .h5 twin give identical outputs', async () => {
    const a = await convertKerasModel(
      (await readModelFile(path.join(KERAS_DIR, 'mnist_cnn_keras3.keras'))).spec,
      {
        name: 'a',
        output: 'logits',
      },
    );
    const b = await convertKerasModel(
      (await readModelFile(path.join(KERAS_DIR, 'mnist_cnn_keras3_legacy.h5'))).spec,
      { name: 'b', output: 'logits' },
    );
    expect(a.summary.softmaxStripped).toBe(true);
    const [x] = randomInputs(1, [28, 28, 1], 5, 0, 1);
    const outs: Float32Array[] = [];
    for (const bytes of [a.onnx, b.onnx]) {
      const s = await ort.InferenceSession.create(bytes);
      outs.push(
        (await s.run({ input: new ort.Tensor('float32', x!.data, [1, 28, 28, 1]) })).output!
          .data as Float32Array,
      );
      await s.release();
    }
    expect(Array.from(outs[0]!)).toEqual(Array.from(outs[1]!));
    // Logits, not probabilities: they do not sum to 1.
    expect(Math.abs(outs[0]!.reduce((p, q) => p + q, 0) - 1)).toBeGreaterThan(1e-3);
  });
});
