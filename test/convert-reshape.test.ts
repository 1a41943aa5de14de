import { describe, expect, it } from 'vitest';
import { NetlensError } from '../src/core/errors.js';
import { convertKerasModel } from '../src/convert/keras/convert.js';
import { convertAndVerify, functionalConfig, type TestLayer } from './convert-harness.js';

// Reshape, Flatten and Permute move values between axes in Keras' channels-last order; the graph keeps
// images NCHW, so each is checked against TF.js and for the transposes it needs (none where NCHW and
// NHWC orders coincide). Counts include the graph's input transpose (NHWC → NCHW) and, for an image
// output, the output one.
const conv = (name: string, filters = 4, kernel = 3): TestLayer => ({
  class_name: 'Conv2D',
  config: { name, filters, kernel_size: [kernel, kernel], padding: 'same', activation: 'linear' },
});
const reshape = (target: number[], name = 'rs'): TestLayer => ({
  class_name: 'Reshape',
  config: { name, target_shape: target },
});
const permute = (dims: number[]): TestLayer => ({ class_name: 'Permute', config: { name: 'p', dims } });

const CASES: [string, number[], TestLayer[], number][] = [
  // [title, input shape, layers, Transpose nodes expected]
  [
    'SE squeeze: GAP → Reshape((1, 1, C)) → 1×1 conv, no transposes but the output one',
    [5, 4, 3],
    [
      conv('c'),
      { class_name: 'GlobalAveragePooling2D', config: { name: 'g' } },
      reshape([1, 1, 4]),
      conv('se', 4, 1),
    ],
    2,
  ],
  [
    'Reshape (H, W, C) → (H·W, C), then Dense',
    [5, 4, 3],
    [conv('c'), reshape([20, 4]), { class_name: 'Dense', config: { name: 'd', units: 2 } }],
    2,
  ],
  [
    'Reshape (H, W, C) → (W, H, C) goes through NHWC',
    [5, 4, 3],
    [conv('c'), reshape([4, 5, 4]), conv('c2')],
    4,
  ],
  ['Reshape with −1 inferred', [5, 4, 3], [conv('c'), reshape([-1, 2, 4])], 4],
  ['Reshape of a 1×1 map to a vector', [1, 1, 3], [conv('c', 4, 1), reshape([4])], 1],
  [
    'Flatten after a 1×1 head (MobileNetV3) needs no transpose',
    [1, 1, 3],
    [conv('c', 4, 1), { class_name: 'Flatten', config: { name: 'f' } }],
    1,
  ],
  [
    'Flatten of a 5×4 map goes through NHWC',
    [5, 4, 3],
    [conv('c'), { class_name: 'Flatten', config: { name: 'f' } }],
    2,
  ],
  ['Permute (2, 1, 3): swap H and W', [5, 4, 3], [conv('c'), permute([2, 1, 3]), conv('c2')], 3],
  ['Permute (3, 1, 2): channels first', [5, 4, 3], [conv('c'), permute([3, 1, 2])], 3],
  ['Permute (2, 1) of a rank-2 tensor', [5, 4, 3], [conv('c'), reshape([20, 4]), permute([2, 1])], 3],
];

describe('Reshape, Flatten, Permute match TensorFlow.js', () => {
  for (const [title, shape, layers, transposes] of CASES) {
    it(title, async () => {
      const v = await convertAndVerify(functionalConfig(shape, layers), {
        output: 'features',
        cutAt: String(layers[layers.length - 1]?.config['name']),
      });
      expect(v.maxAbsDiff).toBeLessThan(1e-5);
      expect(v.result.summary.opHistogram['Transpose'] ?? 0).toBe(transposes);
    });
  }

  for (const [target, message] of [
    [[7, -1], /cannot reshape \[5, 4, 3\] \(60 values\) to \[7, -1\]/],
    [[-1, -1], /target_shape \[-1,-1\] must be a list of positive integers with at most one -1/],
    [[0, 60], /target_shape \[0,60\] must be/],
  ] as const) {
    it(`Reshape to ${JSON.stringify(target)} is refused with the layer named`, async () => {
      const spec = {
        config: functionalConfig([5, 4, 3], [reshape([...target])]),
        weights: new Map(),
        format: 'keras-h5-model' as const,
        source: 'm.h5',
      };
      const error = await convertKerasModel(spec, { name: 'm' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NetlensError);
      expect((error as NetlensError).message).toMatch(/layer 'rs' \(Reshape\): /);
      expect((error as NetlensError).message).toMatch(message);
    });
  }

  it('Permute with dims that are not a permutation names the layer', async () => {
    const spec = {
      config: functionalConfig([5, 4, 3], [permute([1, 1, 3])]),
      weights: new Map(),
      format: 'keras-h5-model' as const,
      source: 'm.h5',
    };
    const error = await convertKerasModel(spec, { name: 'm' }).catch((e: unknown) => e);
    expect((error as NetlensError).message).toMatch(
      /layer 'p' \(Permute\): dims \[1,1,3\] is not a permutation of 1…3/,
    );
  });
});
