import { describe, expect, it } from 'vitest';
import { convertAndVerify, functionalConfig, type TestLayer } from './convert-harness.js';

// Activation layers with parameters, against TF.js' own PReLU, ELU, ThresholdedReLU and LeakyReLU.
const conv: TestLayer = {
  class_name: 'Conv2D',
  config: { name: 'c', filters: 3, kernel_size: [3, 3], padding: 'same', activation: 'linear' },
};

const CASES: [string, TestLayer, Record<string, number>][] = [
  ['PReLU, one alpha per position and channel', { class_name: 'PReLU', config: { name: 'a' } }, { PRelu: 1 }],
  [
    'PReLU shared over H and W (shared_axes [1, 2])',
    { class_name: 'PReLU', config: { name: 'a', shared_axes: [1, 2] } },
    { PRelu: 1 },
  ],
  [
    'PReLU shared over the channels (shared_axes [3])',
    { class_name: 'PReLU', config: { name: 'a', shared_axes: [3] } },
    { PRelu: 1 },
  ],
  ['ELU alpha 0.5', { class_name: 'ELU', config: { name: 'a', alpha: 0.5 } }, { Elu: 1 }],
  [
    'ThresholdedReLU theta 0.7',
    { class_name: 'ThresholdedReLU', config: { name: 'a', theta: 0.7 } },
    { ThresholdedRelu: 1 },
  ],
  [
    'LeakyReLU alpha 0.1 (Keras 2 name)',
    { class_name: 'LeakyReLU', config: { name: 'a', alpha: 0.1 } },
    { LeakyRelu: 1 },
  ],
];

describe('activation layers match TensorFlow.js', () => {
  for (const [title, layer, ops] of CASES) {
    it(title, async () => {
      const v = await convertAndVerify(functionalConfig([5, 4, 2], [conv, layer]), {
        lo: -3,
        hi: 3,
        output: 'features',
        cutAt: 'a',
      });
      expect(v.maxAbsDiff).toBeLessThan(1e-5);
      for (const [op, n] of Object.entries(ops)) expect(v.result.summary.opHistogram[op] ?? 0, op).toBe(n);
    });
  }

  it('PReLU on a vector (after Dense)', async () => {
    const layers: TestLayer[] = [
      { class_name: 'Flatten', config: { name: 'f' } },
      { class_name: 'Dense', config: { name: 'd', units: 6 } },
      { class_name: 'PReLU', config: { name: 'a' } },
    ];
    const v = await convertAndVerify(functionalConfig([3, 2, 2], layers), { output: 'features', cutAt: 'a' });
    expect(v.maxAbsDiff).toBeLessThan(1e-5);
  });
});
