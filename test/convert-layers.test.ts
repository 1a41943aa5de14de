import { describe, expect, it } from 'vitest';
import { convertAndVerify, functionalConfig, seeded, type TestLayer } from './convert-harness.js';

// Every layer type with Keras' semantics, compared element-wise against TensorFlow.js layers (an
// independent implementation of Keras) on random weights and inputs; outputs are pre-softmax-sized
// feature maps, so a wrong padding, order or formula shows up as a large difference.
const conv = (name: string, extra: Record<string, unknown> = {}): TestLayer => ({
  class_name: 'Conv2D',
  config: {
    name,
    filters: 4,
    kernel_size: [3, 3],
    strides: [1, 1],
    padding: 'same',
    use_bias: true,
    activation: 'linear',
    ...extra,
  },
});

const CASES: [string, number[], TestLayer[]][] = [
  [
    'Conv2D same stride 2 (asymmetric TF padding) on an even size',
    [8, 8, 3],
    [conv('c', { strides: [2, 2] })],
  ],
  [
    'Conv2D same stride 2 on an odd size, 5×3 kernel',
    [9, 7, 2],
    [conv('c', { strides: [2, 2], kernel_size: [5, 3] })],
  ],
  [
    'Conv2D valid, dilation 2, no bias, relu inside',
    [10, 10, 3],
    [conv('c', { padding: 'valid', dilation_rate: [2, 2], use_bias: false, activation: 'relu' })],
  ],
  [
    'DepthwiseConv2D depth_multiplier 2, same, stride 2',
    [9, 9, 3],
    [
      {
        class_name: 'DepthwiseConv2D',
        config: {
          name: 'd',
          kernel_size: [3, 3],
          strides: [2, 2],
          padding: 'same',
          depth_multiplier: 2,
          use_bias: true,
          activation: 'relu6',
        },
      },
    ],
  ],
  [
    'DepthwiseConv2D k×1 kernel (DS-CNN)',
    [12, 1, 4],
    [
      {
        class_name: 'DepthwiseConv2D',
        config: {
          name: 'd',
          kernel_size: [5, 1],
          strides: [2, 1],
          padding: 'same',
          depth_multiplier: 1,
          use_bias: false,
        },
      },
    ],
  ],
  [
    'SeparableConv2D depth_multiplier 2, bias, same',
    [8, 8, 3],
    [
      {
        class_name: 'SeparableConv2D',
        config: {
          name: 's',
          filters: 5,
          kernel_size: [3, 3],
          strides: [1, 1],
          padding: 'same',
          depth_multiplier: 2,
          use_bias: true,
          activation: 'linear',
        },
      },
    ],
  ],
  [
    'BatchNormalization (epsilon 1.001e-5, axis -1)',
    [4, 4, 3],
    [
      {
        class_name: 'BatchNormalization',
        config: { name: 'bn', axis: -1, epsilon: 1.001e-5, center: true, scale: true },
      },
    ],
  ],
  [
    'BatchNormalization center/scale off, axis [3]',
    [4, 4, 3],
    [
      {
        class_name: 'BatchNormalization',
        config: { name: 'bn', axis: [3], epsilon: 1e-3, center: false, scale: false },
      },
    ],
  ],
  ['ReLU max_value 6 (relu6)', [4, 4, 2], [{ class_name: 'ReLU', config: { name: 'r', max_value: 6 } }]],
  ['LeakyReLU alpha 0.2', [4, 4, 2], [{ class_name: 'LeakyReLU', config: { name: 'l', alpha: 0.2 } }]],
  [
    'MaxPooling2D 3×3 stride 2 same',
    [9, 8, 2],
    [
      {
        class_name: 'MaxPooling2D',
        config: { name: 'p', pool_size: [3, 3], strides: [2, 2], padding: 'same' },
      },
    ],
  ],
  [
    'AveragePooling2D 3×3 stride 2 same (padding excluded from the mean)',
    [8, 9, 2],
    [
      {
        class_name: 'AveragePooling2D',
        config: { name: 'p', pool_size: [3, 3], strides: [2, 2], padding: 'same' },
      },
    ],
  ],
  [
    'AveragePooling2D valid, strides default to pool_size',
    [8, 8, 2],
    [
      {
        class_name: 'AveragePooling2D',
        config: { name: 'p', pool_size: [2, 2], strides: null, padding: 'valid' },
      },
    ],
  ],
  [
    'ZeroPadding2D asymmetric ((1,2),(0,3)) then conv',
    [5, 5, 2],
    [
      {
        class_name: 'ZeroPadding2D',
        config: {
          name: 'z',
          padding: [
            [1, 2],
            [0, 3],
          ],
        },
      },
      conv('c', { padding: 'valid' }),
    ],
  ],
  [
    'Cropping2D ((1,0),(2,1))',
    [6, 7, 2],
    [
      {
        class_name: 'Cropping2D',
        config: {
          name: 'cr',
          cropping: [
            [1, 0],
            [2, 1],
          ],
        },
      },
    ],
  ],
  [
    'Flatten keeps NHWC order into Dense',
    [3, 4, 5],
    [
      { class_name: 'Flatten', config: { name: 'f' } },
      { class_name: 'Dense', config: { name: 'fc', units: 7, activation: 'linear', use_bias: true } },
    ],
  ],
  [
    'Reshape to (4, 6, 2) then conv',
    [3, 4, 4],
    [{ class_name: 'Reshape', config: { name: 'rs', target_shape: [4, 6, 2] } }, conv('c')],
  ],
  [
    'GlobalAveragePooling2D + Dense softmax',
    [5, 5, 3],
    [
      { class_name: 'GlobalAveragePooling2D', config: { name: 'g' } },
      { class_name: 'Dense', config: { name: 'fc', units: 4, activation: 'softmax' } },
    ],
  ],
  ['GlobalMaxPooling2D', [5, 5, 3], [{ class_name: 'GlobalMaxPooling2D', config: { name: 'g' } }]],
  [
    'GlobalAveragePooling2D keepdims then Dense on the image tensor (a 1×1 convolution)',
    [5, 5, 3],
    [
      { class_name: 'GlobalAveragePooling2D', config: { name: 'g', keepdims: true } },
      { class_name: 'Dense', config: { name: 'fc', units: 4, activation: 'linear' } },
    ],
  ],
  [
    'Dense on an image tensor acts on channels',
    [3, 4, 5],
    [{ class_name: 'Dense', config: { name: 'fc', units: 3, activation: 'tanh' } }],
  ],
  [
    'Reshape to (6, 5) then Dense on the last axis',
    [3, 2, 5],
    [
      { class_name: 'Reshape', config: { name: 'rs', target_shape: [6, 5] } },
      { class_name: 'Dense', config: { name: 'fc', units: 3, activation: 'linear' } },
    ],
  ],
  [
    'Dropout / GaussianNoise are identities',
    [4, 4, 2],
    [
      { class_name: 'Dropout', config: { name: 'd1', rate: 0.5 } },
      { class_name: 'GaussianNoise', config: { name: 'd3', stddev: 1 } },
      conv('c'),
    ],
  ],
  [
    'Rescaling 1/127.5 offset -1',
    [4, 4, 3],
    [{ class_name: 'Rescaling', config: { name: 'rs', scale: 1 / 127.5, offset: -1 } }, conv('c')],
  ],
  ['Softmax layer on channels', [3, 3, 4], [{ class_name: 'Softmax', config: { name: 'sm', axis: -1 } }]],
];

const MERGES: [string, TestLayer[]][] = [
  ['Add', [conv('a'), conv('b'), { class_name: 'Add', config: { name: 'm' }, inputs: ['a', 'b'] }]],
  ['Multiply', [conv('a'), conv('b'), { class_name: 'Multiply', config: { name: 'm' }, inputs: ['a', 'b'] }]],
  ['Average', [conv('a'), conv('b'), { class_name: 'Average', config: { name: 'm' }, inputs: ['a', 'b'] }]],
  ['Maximum', [conv('a'), conv('b'), { class_name: 'Maximum', config: { name: 'm' }, inputs: ['a', 'b'] }]],
  [
    'Concatenate (channels)',
    [
      conv('a'),
      conv('b', { filters: 3 }),
      { class_name: 'Concatenate', config: { name: 'm', axis: -1 }, inputs: ['a', 'b'] },
    ],
  ],
];
// b reads the input too, not a.
for (const [, layers] of MERGES) (layers[1] as TestLayer).inputs = ['input_1'];

describe('each Keras layer matches TensorFlow.js within 1e-5', () => {
  for (const [title, shape, layers] of CASES) {
    it(title, async () => {
      const v = await convertAndVerify(functionalConfig(shape, layers));
      expect(v.maxAbsDiff).toBeLessThan(1e-5);
      expect(v.top1Agreement).toBe(1);
    });
  }

  it('--output probabilities on a model ending in logits appends a softmax', async () => {
    const config = functionalConfig(
      [4, 4, 3],
      [
        { class_name: 'GlobalAveragePooling2D', config: { name: 'g' } },
        { class_name: 'Dense', config: { name: 'fc', units: 5, activation: 'linear' } },
      ],
    );
    const v = await convertAndVerify(config, { output: 'probabilities' });
    expect(v.maxAbsDiff).toBeLessThan(1e-6);
    const { convertKerasModel } = await import('../src/convert/keras/convert.js');
    const r = await convertKerasModel(v.spec, { name: 'p', output: 'probabilities' });
    expect(r.summary.softmaxAdded).toBe(true);
    expect(r.summary.opHistogram['Softmax']).toBe(1);
    expect(r.manifest.output.kind).toBe('probabilities');
  });

  for (const [title, layers] of MERGES) {
    it(`merge: ${title}`, async () => {
      const v = await convertAndVerify(functionalConfig([6, 6, 2], layers));
      // Products of two conv outputs reach ~100: allow float32 rounding of that size.
      expect(v.maxAbsDiff).toBeLessThan(1e-4);
    });
  }

  it('a nested Sequential backbone used as a layer, with a new head (fine-tuning layout)', async () => {
    const backbone = {
      class_name: 'Sequential',
      config: {
        name: 'backbone',
        layers: [
          {
            class_name: 'InputLayer',
            config: { name: 'b_input', batch_input_shape: [null, 8, 8, 3], dtype: 'float32' },
          },
          {
            class_name: 'Conv2D',
            config: {
              name: 'b_conv',
              filters: 4,
              kernel_size: [3, 3],
              strides: [2, 2],
              padding: 'same',
              activation: 'relu',
              use_bias: true,
            },
          },
          { class_name: 'BatchNormalization', config: { name: 'b_bn', axis: -1, epsilon: 1e-3 } },
        ],
      },
    };
    const config = functionalConfig(
      [8, 8, 3],
      [
        { class_name: 'Sequential', config: backbone.config },
        { class_name: 'GlobalAveragePooling2D', config: { name: 'gap' } },
        { class_name: 'Dense', config: { name: 'head', units: 3, activation: 'softmax' } },
      ],
    );
    // The nested model layer's name is its config name.
    const layers = (config['config'] as { layers: Record<string, unknown>[] }).layers;
    (layers[1] as Record<string, unknown>)['name'] = 'backbone';
    // Keras numbers a nested model's calls from 1 (node 0 is its own build call).
    (layers[2] as { inbound_nodes: unknown[][][] }).inbound_nodes = [[['backbone', 1, 0, {}]]];
    const v = await convertAndVerify(config, { output: 'logits' });
    expect(v.maxAbsDiff).toBeLessThan(1e-5);
  });
});

describe('layers TF.js cannot check, against Keras formulas', () => {
  async function run(
    config: unknown,
    input: Float32Array,
    dims: number[],
    cutAt?: string,
  ): Promise<Float32Array> {
    const { convertKerasModel } = await import('../src/convert/keras/convert.js');
    const ort = await import('onnxruntime-node');
    const next = seeded(3);
    const tensor = (name: string, dims: number[]) => ({
      name,
      dims,
      data: Float32Array.from({ length: dims.reduce((p, q) => p * q, 1) }, () => next() * 2 - 1),
    });
    // Conv layers here all take 2 channels to 4 filters with 3×3 kernels.
    const weights = new Map(
      ['a', 'b', 'c'].map((n) => [n, [tensor(`${n}/kernel`, [3, 3, 2, 4]), tensor(`${n}/bias`, [4])]]),
    );
    const spec = { config, weights, format: 'keras-h5-model' as const, source: 't' };
    const r = await convertKerasModel(spec, { name: 't', ...(cutAt ? { cutAt } : {}) });
    const session = await ort.InferenceSession.create(r.onnx);
    const out = await session.run({ input: new ort.Tensor('float32', input, dims) });
    await session.release();
    return out[r.manifest.output.name]?.data as Float32Array;
  }
  const x = Float32Array.from({ length: 32 }, (_, i) => (i - 16) / 4);

  it('ReLU with threshold, negative_slope and max_value follows Keras piecewise definition', async () => {
    const config = functionalConfig(
      [4, 4, 2],
      [{ class_name: 'ReLU', config: { name: 'r', max_value: 1.5, negative_slope: 0.1, threshold: 0.3 } }],
    );
    const y = await run(config, x, [1, 4, 4, 2]);
    const expected = Array.from(x, (v) => (v >= 1.5 ? 1.5 : v > 0.3 ? v : 0.1 * (v - 0.3)));
    expect(Array.from(y).map((v, i) => Math.abs(v - (expected[i] as number)))).toSatisfy(
      (d: number[]) => Math.max(...d) < 1e-6,
    );
  });

  it('Subtract is a − b', async () => {
    const layers = [
      conv('a'),
      { ...conv('b'), inputs: ['input_1'] },
      { class_name: 'Subtract', config: { name: 'm' }, inputs: ['a', 'b'] },
    ];
    const config = functionalConfig([4, 4, 2], layers);
    const [full, a, b] = [
      await run(config, x, [1, 4, 4, 2]),
      await run(config, x, [1, 4, 4, 2], 'a'),
      await run(config, x, [1, 4, 4, 2], 'b'),
    ];
    expect(
      Math.max(...Array.from(full, (v, i) => Math.abs(v - ((a[i] as number) - (b[i] as number))))),
    ).toBeLessThan(1e-6);
  });

  it('SpatialDropout2D is an identity at inference (same output as Dropout)', async () => {
    const a = functionalConfig(
      [4, 4, 2],
      [{ class_name: 'SpatialDropout2D', config: { name: 'd', rate: 0.5 } }, conv('c')],
    );
    const b = functionalConfig(
      [4, 4, 2],
      [{ class_name: 'Dropout', config: { name: 'd', rate: 0.5 } }, conv('c')],
    );
    expect(Array.from(await run(a, x, [1, 4, 4, 2]))).toEqual(Array.from(await run(b, x, [1, 4, 4, 2])));
  });

  it('Normalization: (x − mean) / max(√variance, 1e-7) per channel', async () => {
    const config = functionalConfig(
      [4, 4, 2],
      [
        {
          class_name: 'Normalization',
          config: { name: 'n', axis: -1, mean: [0.5, -1], variance: [4, 0.25] },
        },
      ],
    );
    const y = await run(config, x, [1, 4, 4, 2]);
    const expected = Array.from(x, (v, i) => (i % 2 === 0 ? (v - 0.5) / 2 : (v + 1) / 0.5));
    expect(Math.max(...Array.from(y, (v, i) => Math.abs(v - (expected[i] as number))))).toBeLessThan(1e-6);
  });
});
