import { describe, expect, it } from 'vitest';
import { convertAndVerify, functionalConfig } from './convert-harness.js';

// onnxruntime's PadFusion (graph optimisation level 'basic' and up) folds a zero Pad into a following
// MaxPool's pads, where padding means −∞: a window of negative values next to a ZeroPadding2D then loses the
// 0 Keras takes as its maximum. ResNetV2's stem (conv1_conv → pool1_pad → pool1_pool, no ReLU) hits it.
describe('ZeroPadding2D → MaxPooling2D on negative values', () => {
  it('keeps the zeros of the padding as Keras does (verified with onnxruntime optimisations on)', async () => {
    const config = functionalConfig(
      [8, 8, 3],
      [
        {
          class_name: 'ZeroPadding2D',
          config: {
            name: 'pad',
            padding: [
              [1, 1],
              [1, 1],
            ],
          },
        },
        {
          class_name: 'MaxPooling2D',
          config: { name: 'pool', pool_size: [3, 3], strides: [2, 2], padding: 'valid' },
        },
      ],
    );
    // All inputs negative: every border window's Keras maximum is the padding's 0.
    const v = await convertAndVerify(config, { lo: -2, hi: -0.5, samples: 2 });
    expect(v.maxAbsDiff).toBeLessThanOrEqual(1e-6);
  });
});
