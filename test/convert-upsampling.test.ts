import { describe, expect, it } from 'vitest';
import { NetlensError } from '../src/core/errors.js';
import { convertKerasModel } from '../src/convert/keras/convert.js';
import { convertAndVerify, functionalConfig, type TestLayer } from './convert-harness.js';

// UpSampling2D and Conv2DTranspose against TF.js; where TF.js differs from the Keras version that wrote
// the model (half-pixel bilinear of TF 2, output_padding) against the Keras-exact layers of
// src/convert/verify/tfjs-keras-layers.ts.
const conv: TestLayer = {
  class_name: 'Conv2D',
  config: { name: 'c', filters: 3, kernel_size: [3, 3], padding: 'same', activation: 'linear' },
};
const up = (config: Record<string, unknown>): TestLayer => ({
  class_name: 'UpSampling2D',
  config: { name: 'u', ...config },
});
const deconv = (config: Record<string, unknown>): TestLayer => ({
  class_name: 'Conv2DTranspose',
  config: {
    name: 'u',
    filters: 2,
    kernel_size: [3, 3],
    strides: [2, 2],
    padding: 'same',
    activation: 'linear',
    ...config,
  },
});

const CASES: [string, TestLayer, string, number[]][] = [
  // [title, layer, Keras version, output shape]
  ['UpSampling2D nearest ×2', up({ size: [2, 2] }), '2.4.0', [10, 8, 3]],
  ['UpSampling2D nearest ×(2, 3)', up({ size: [2, 3], interpolation: 'nearest' }), '3.3.3', [10, 12, 3]],
  [
    'UpSampling2D bilinear ×2, half-pixel (tf.keras 2)',
    up({ size: 2, interpolation: 'bilinear' }),
    '2.4.0',
    [10, 8, 3],
  ],
  [
    'UpSampling2D bilinear ×(3, 2), half-pixel (Keras 3)',
    up({ size: [3, 2], interpolation: 'bilinear' }),
    '3.3.3',
    [15, 8, 3],
  ],
  [
    'UpSampling2D bilinear ×2, Keras 2.2 on TF 1 (no half-pixel)',
    up({ size: 2, interpolation: 'bilinear' }),
    '2.2.4',
    [10, 8, 3],
  ],
  ['Conv2DTranspose same, stride 2, 3×3', deconv({}), '2.4.0', [10, 8, 2]],
  ['Conv2DTranspose valid, stride 2, 3×3', deconv({ padding: 'valid' }), '2.4.0', [11, 9, 2]],
  [
    'Conv2DTranspose valid, stride 3, 2×2 (kernel smaller than stride)',
    deconv({ padding: 'valid', strides: [3, 3], kernel_size: [2, 2] }),
    '2.4.0',
    [15, 12, 2],
  ],
  [
    'Conv2DTranspose same, stride 1, 3×2, relu, no bias',
    deconv({ strides: [1, 1], kernel_size: [3, 2], activation: 'relu', use_bias: false }),
    '2.4.0',
    [5, 4, 2],
  ],
  ['Conv2DTranspose same, stride 2, 4×4 (even kernel)', deconv({ kernel_size: [4, 4] }), '3.3.3', [10, 8, 2]],
  ['Conv2DTranspose same with output_padding 1', deconv({ output_padding: [1, 1] }), '2.4.0', [10, 8, 2]],
  ['Conv2DTranspose same with output_padding 0', deconv({ output_padding: [0, 0] }), '3.3.3', [9, 7, 2]],
  [
    'Conv2DTranspose valid with output_padding (1, 0)',
    deconv({ padding: 'valid', output_padding: [1, 0] }),
    '2.4.0',
    [12, 9, 2],
  ],
];

describe('UpSampling2D and Conv2DTranspose match TensorFlow.js', () => {
  for (const [title, layer, kerasVersion, shape] of CASES) {
    it(title, async () => {
      const v = await convertAndVerify(functionalConfig([5, 4, 3], [conv, layer]), {
        kerasVersion,
        cutAt: 'u',
        samples: 2,
      });
      expect(v.maxAbsDiff).toBeLessThan(1e-5);
      expect(v.result.summary.outputShape).toEqual(shape);
    });
  }

  it('half-pixel and legacy bilinear upsampling differ (the Keras version decides)', async () => {
    const config = functionalConfig([5, 4, 3], [up({ size: 2, interpolation: 'bilinear' })]);
    const histogram = async (kerasVersion: string) =>
      (await convertAndVerify(config, { kerasVersion, cutAt: 'u' })).onnx;
    expect(Buffer.from(await histogram('2.2.4')).equals(Buffer.from(await histogram('2.4.0')))).toBe(false);
  });

  for (const [layer, message] of [
    [
      up({ interpolation: 'bicubic' }),
      /layer 'u' \(UpSampling2D\): interpolation 'bicubic' is not supported \(nearest, bilinear\)/,
    ],
    [
      deconv({ dilation_rate: [2, 2], strides: [1, 1] }),
      /layer 'u' \(Conv2DTranspose\): dilation_rate \[2,2\] is not supported \(1 only\)/,
    ],
    [
      deconv({ output_padding: [2, 2] }),
      /layer 'u' \(Conv2DTranspose\): output_padding \[2,2\] must be smaller than the strides/,
    ],
  ] as const) {
    it(`refused with the layer named: ${String(message)}`, async () => {
      const spec = {
        config: functionalConfig([5, 4, 3], [layer]),
        weights: new Map([
          [
            'u',
            [
              { name: 'k', dims: [3, 3, 2, 3], data: new Float32Array(54) },
              { name: 'b', dims: [2], data: new Float32Array(2) },
            ],
          ],
        ]),
        format: 'keras-h5-model' as const,
        source: 'm.h5',
      };
      const error = await convertKerasModel(spec, { name: 'm' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NetlensError);
      expect((error as NetlensError).message).toMatch(message);
    });
  }
});
