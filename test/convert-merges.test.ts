import { describe, expect, it } from 'vitest';
import { NetlensError } from '../src/core/errors.js';
import { convertKerasModel } from '../src/convert/keras/convert.js';
import { convertAndVerify, functionalConfig, type TestLayer } from './convert-harness.js';

// Element-wise merges with Keras' broadcasting (keras/src/layers/merging/base_merge.py): shapes align on
// their last axis, sizes must be equal or 1, and a lower-rank input gets axes of size 1 after the batch
// axis. TensorFlow.js' Merge layers implement the same rule, so every case is checked against them.
const conv = (name: string, filters = 4, extra: Record<string, unknown> = {}): TestLayer => ({
  class_name: 'Conv2D',
  config: {
    name,
    filters,
    kernel_size: [3, 3],
    strides: [1, 1],
    padding: 'same',
    use_bias: true,
    activation: 'linear',
    ...extra,
  },
});
const gap = (name: string, inputs: string[], keepdims: boolean): TestLayer => ({
  class_name: 'GlobalAveragePooling2D',
  config: { name, keepdims },
  inputs,
});
const merge = (className: string, inputs: string[]): TestLayer => ({
  class_name: className,
  config: { name: 'm' },
  inputs,
});

/** Squeeze-and-excite: [H, W, C] × sigmoid(conv(GAP keepdims)) [1, 1, C], as EfficientNet and MobileNetV3. */
const squeezeExcite: TestLayer[] = [
  conv('a'),
  gap('squeeze', ['a'], true),
  { ...conv('reduce', 2, { kernel_size: [1, 1], activation: 'relu' }), inputs: ['squeeze'] },
  { ...conv('expand', 4, { kernel_size: [1, 1], activation: 'sigmoid' }), inputs: ['reduce'] },
  merge('Multiply', ['a', 'expand']),
];

const CASES: [string, TestLayer[]][] = [
  ['Multiply [H, W, C] × [1, 1, C] (squeeze-and-excite)', squeezeExcite],
  [
    'Multiply [1, 1, C] × [H, W, C] (broadcast input first)',
    [...squeezeExcite.slice(0, 4), merge('Multiply', ['expand', 'a'])],
  ],
  [
    'Add [H, W, C] + [C] (lower rank expanded after the batch axis)',
    [
      conv('a'),
      gap('g', ['a'], false),
      { class_name: 'Dense', config: { name: 'fc', units: 4, activation: 'tanh' }, inputs: ['g'] },
      merge('Add', ['a', 'fc']),
    ],
  ],
  ['Subtract [H, W, C] − [1, 1, C]', [conv('a'), gap('g', ['a'], true), merge('Subtract', ['a', 'g'])]],
  [
    'Maximum [H, W, C] with [H, W, 1]',
    [conv('a'), { ...conv('b', 1), inputs: ['input_1'] }, merge('Maximum', ['a', 'b'])],
  ],
  [
    'Minimum [H, W, 1] with [H, W, C]',
    [conv('a'), { ...conv('b', 1), inputs: ['input_1'] }, merge('Minimum', ['b', 'a'])],
  ],
  [
    'Average of three: [H, W, C], [1, 1, C], [H, W, 1]',
    [
      conv('a'),
      gap('g', ['a'], true),
      { ...conv('b', 1), inputs: ['input_1'] },
      merge('Average', ['a', 'g', 'b']),
    ],
  ],
  [
    'Add of three with broadcasting, then a conv on the result',
    [
      conv('a'),
      gap('g', ['a'], true),
      { ...conv('b', 1), inputs: ['input_1'] },
      merge('Add', ['a', 'g', 'b']),
      { ...conv('after'), inputs: ['m'] },
    ],
  ],
  [
    'Multiply of vectors [C] × [1]',
    [
      conv('a'),
      gap('g', ['a'], false),
      { class_name: 'Dense', config: { name: 'gate', units: 1, activation: 'sigmoid' }, inputs: ['g'] },
      merge('Multiply', ['g', 'gate']),
    ],
  ],
];

describe('broadcasting merges match TensorFlow.js', () => {
  for (const [title, layers] of CASES) {
    it(title, async () => {
      const v = await convertAndVerify(functionalConfig([6, 5, 3], layers));
      expect(v.maxAbsDiff).toBeLessThan(1e-5);
    });
  }

  it('incompatible shapes name the layer and both shapes', async () => {
    const config = functionalConfig(
      [6, 5, 3],
      [
        { class_name: 'ReLU', config: { name: 'a' } },
        {
          class_name: 'Cropping2D',
          config: {
            name: 'b',
            cropping: [
              [1, 0],
              [0, 0],
            ],
          },
          inputs: ['input_1'],
        },
        merge('Add', ['a', 'b']),
      ],
    );
    const spec = { config, weights: new Map(), format: 'keras-h5-model' as const, source: 'test-model' };
    const error = await convertKerasModel(spec, { name: 'bad' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(NetlensError);
    expect((error as NetlensError).message).toMatch(
      /layer 'm' \(Add\): inputs have incompatible shapes for broadcasting \(\[6, 5, 3\] vs \[5, 5, 3\]\)/,
    );
  });
});
