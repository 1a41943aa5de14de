import { describe, expect, it } from 'vitest';
import { convertAndVerify, functionalConfig } from './convert-harness.js';

// Keras ReLU (keras/src/activations/activations.py ReLU.static_call): TF.js' ReLU layer reads only
// max_value, so threshold and negative_slope are checked against the Keras-exact layer of
// src/convert/verify/tfjs-keras-layers.ts. Each form lowers to the ops onnxruntime can fuse into a Conv.
const CASES: [string, Record<string, unknown>, Record<string, number>][] = [
  ['ReLU()', {}, { Relu: 1 }],
  ['ReLU(6.) is one Clip(0, 6) (MobileNet)', { max_value: 6 }, { Clip: 1, Relu: 0, Min: 0 }],
  ['ReLU(max_value=2.5)', { max_value: 2.5 }, { Clip: 1, Relu: 0 }],
  ['ReLU(negative_slope=0.1) is a LeakyRelu', { negative_slope: 0.1 }, { LeakyRelu: 1 }],
  ['ReLU(negative_slope=0.1, max_value=3)', { negative_slope: 0.1, max_value: 3 }, { LeakyRelu: 1, Min: 1 }],
  ['ReLU(threshold=0.5)', { threshold: 0.5 }, { Where: 1, Greater: 1 }],
  [
    'ReLU(threshold=-0.5, max_value=1, negative_slope=0.2)',
    { threshold: -0.5, max_value: 1, negative_slope: 0.2 },
    { Where: 1, Clip: 1 },
  ],
];

describe('Keras ReLU layers', () => {
  for (const [title, config, ops] of CASES) {
    it(title, async () => {
      const layers = [
        {
          class_name: 'Conv2D',
          config: { name: 'c', filters: 3, kernel_size: [3, 3], padding: 'same', activation: 'linear' },
        },
        { class_name: 'ReLU', config: { name: 'r', ...config } },
      ];
      const v = await convertAndVerify(functionalConfig([5, 4, 2], layers), { lo: -3, hi: 3, samples: 3 });
      expect(v.maxAbsDiff).toBeLessThan(1e-5);
      for (const [op, n] of Object.entries(ops)) expect(v.result.summary.opHistogram[op] ?? 0, op).toBe(n);
    });
  }
});
