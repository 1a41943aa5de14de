import { describe, expect, it } from 'vitest';
import { NetlensError } from '../src/core/errors.js';
import { convertKerasModel } from '../src/convert/keras/convert.js';
import { convertAndVerify, functionalConfig, type TestLayer } from './convert-harness.js';

// Keras preprocessing layers inside models (EfficientNet and MobileNetV3 carry their own): Rescaling
// against TF.js' Rescaling, Normalization against the Keras-exact layer of
// src/convert/verify/tfjs-keras-layers.ts (TF.js has none), in their Keras 2 and Keras 3 config forms.
const conv: TestLayer = {
  class_name: 'Conv2D',
  config: { name: 'c', filters: 4, kernel_size: [3, 3], padding: 'same', activation: 'linear' },
};
const rescaling = (name: string, scale: unknown, offset: unknown = 0): TestLayer => ({
  class_name: 'Rescaling',
  config: { name, scale, offset },
});
const normalization = (config: Record<string, unknown>): TestLayer => ({
  class_name: 'Normalization',
  config: { name: 'norm', axis: -1, ...config },
});
const numpy = (value: number[]) => ({ class_name: '__numpy__', config: { value, dtype: 'float32' } });

// [title, layers, ONNX ops expected, input range]: pixel ranges where the model scales them down itself.
const PIXELS: [number, number] = [0, 255];
const CASES: [string, TestLayer[], Record<string, number>?, [number, number]?][] = [
  ['Rescaling(1/255) is one Mul', [rescaling('r', 1 / 255), conv], { Mul: 1, Add: 0 }, PIXELS],
  [
    'Rescaling(1/127.5, offset=-1) (MobileNetV3)',
    [rescaling('r', 1 / 127.5, -1), conv],
    { Mul: 1, Add: 1 },
    PIXELS,
  ],
  ['Rescaling per channel, lists', [rescaling('r', [0.5, 2, -1], [0.1, 0, -0.2]), conv]],
  [
    'Rescaling per channel, Keras 3 __numpy__ values',
    [rescaling('r', numpy([0.5, 2, -1]), numpy([0.1, 0, -0.2])), conv],
  ],
  [
    'Normalization with mean and variance in the config (Keras 3)',
    [normalization({ mean: [0.2, -0.5, 1], variance: [4, 0.25, 0.01] }), conv],
  ],
  ['Normalization with scalar mean and variance', [normalization({ mean: 0.5, variance: 2 }), conv]],
  [
    'Normalization adapted: weights mean, variance, count (Keras 2 and 3)',
    [normalization({}), conv],
    { Sub: 1, Div: 1 },
  ],
  ['Normalization axis None: one mean and variance', [normalization({ axis: null }), conv]],
  ['Normalization invert: mean + x·std', [normalization({ invert: true }), conv], { Mul: 1, Add: 1 }],
  [
    "EfficientNet's stem: Rescaling(1/255), Normalization, Rescaling(1/√std), padding, strided conv, BN, swish",
    [
      rescaling('rescaling', 1 / 255),
      normalization({}),
      rescaling('rescaling_1', [1 / Math.sqrt(0.229), 1 / Math.sqrt(0.224), 1 / Math.sqrt(0.225)]),
      {
        class_name: 'ZeroPadding2D',
        config: {
          name: 'stem_conv_pad',
          padding: [
            [0, 1],
            [0, 1],
          ],
        },
      },
      {
        class_name: 'Conv2D',
        config: {
          name: 'stem_conv',
          filters: 8,
          kernel_size: [3, 3],
          strides: [2, 2],
          padding: 'valid',
          use_bias: false,
        },
      },
      { class_name: 'BatchNormalization', config: { name: 'stem_bn', axis: 3, epsilon: 1e-3 } },
      { class_name: 'Activation', config: { name: 'stem_activation', activation: 'swish' } },
    ],
    {},
    PIXELS,
  ],
];

describe('preprocessing layers inside models match TensorFlow.js', () => {
  for (const [title, layers, ops, [lo, hi] = [-2, 2]] of CASES) {
    it(title, async () => {
      const v = await convertAndVerify(functionalConfig([7, 6, 3], layers), { lo, hi });
      expect(v.maxAbsDiff).toBeLessThan(2e-5);
      for (const [op, n] of Object.entries(ops ?? {}))
        expect(v.result.summary.opHistogram[op] ?? 0, op).toBe(n);
    });
  }

  it('a Normalization over another axis names the layer and the supported axes', async () => {
    const spec = {
      config: functionalConfig([7, 6, 3], [normalization({ axis: [1], mean: 0, variance: 1 })]),
      weights: new Map(),
      format: 'keras-h5-model' as const,
      source: 'm.h5',
    };
    const error = await convertKerasModel(spec, { name: 'm' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetlensError);
    expect((error as NetlensError).message).toMatch(
      /layer 'norm' \(Normalization\): axis \[1\] is not supported; .*channel axis \(-1\) or none/,
    );
  });
});
