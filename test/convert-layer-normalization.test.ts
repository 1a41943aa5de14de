import { describe, expect, it } from 'vitest';
import { NetlensError } from '../src/core/errors.js';
import { convertKerasModel } from '../src/convert/keras/convert.js';
import { convertAndVerify, functionalConfig, type TestLayer } from './convert-harness.js';

// LayerNormalization against TF.js' LayerNormalization, on images (the axes the graph's NCHW layout
// makes trailing, or through NHWC) and vectors.
const conv: TestLayer = {
  class_name: 'Conv2D',
  config: { name: 'c', filters: 4, kernel_size: [3, 3], padding: 'same', activation: 'linear' },
};
const ln = (config: Record<string, unknown>): TestLayer => ({
  class_name: 'LayerNormalization',
  config: { name: 'ln', epsilon: 1e-3, center: true, scale: true, ...config },
});

const CASES: [string, number[], TestLayer[], number][] = [
  // [title, input shape, layers, Transpose nodes in the graph (input and image output included)]
  ['channels of an image (ConvNeXt), through NHWC', [5, 4, 3], [conv, ln({ axis: -1 })], 4],
  [
    'H, W and C of an image: NCHW trailing axes, no transposes',
    [5, 4, 3],
    [conv, ln({ axis: [1, 2, 3] })],
    2,
  ],
  ['W and C of an image', [5, 4, 3], [conv, ln({ axis: [2, 3] })], 4],
  [
    'channels of a 1×1 map, no transposes',
    [1, 1, 3],
    [{ ...conv, config: { ...conv.config, kernel_size: [1, 1] } }, ln({ axis: [3] })],
    2,
  ],
  [
    'a vector after Dense, epsilon 1e-6, no center',
    [4, 3, 2],
    [
      { class_name: 'Flatten', config: { name: 'f' } },
      { class_name: 'Dense', config: { name: 'd', units: 6 } },
      ln({ axis: -1, epsilon: 1e-6, center: false }),
    ],
    2,
  ],
  ['no scale', [5, 4, 3], [conv, ln({ axis: -1, scale: false })], 4],
];

describe('LayerNormalization matches TensorFlow.js', () => {
  for (const [title, shape, layers, transposes] of CASES) {
    it(title, async () => {
      const v = await convertAndVerify(functionalConfig(shape, layers), { cutAt: 'ln' });
      expect(v.maxAbsDiff).toBeLessThan(1e-5);
      expect(v.result.summary.opHistogram['LayerNormalization']).toBe(1);
      expect(v.result.summary.opHistogram['Transpose'] ?? 0).toBe(transposes);
    });
  }

  for (const [config, message] of [
    [{ axis: [1] }, /axis \[1\] is not supported; the normalised axes must be the last ones/],
    [{ axis: -1, rms_scaling: true }, /rms_scaling=True is not supported/],
  ] as const) {
    it(`refused with the layer named: ${String(message)}`, async () => {
      const spec = {
        config: functionalConfig([5, 4, 3], [ln(config)]),
        weights: new Map(),
        format: 'keras-h5-model' as const,
        source: 'm.h5',
      };
      const error = await convertKerasModel(spec, { name: 'm' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NetlensError);
      expect((error as NetlensError).message).toMatch(/layer 'ln' \(LayerNormalization\): /);
      expect((error as NetlensError).message).toMatch(message);
    });
  }
});
