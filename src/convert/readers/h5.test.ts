import { describe, expect, it } from 'vitest';
import { groupWeights, weightLayerKey, type H5WeightEntry } from './h5.js';

const entry = (layer: string, weightName: string): H5WeightEntry => ({
  layer,
  weightName,
  dims: [1],
  data: new Float32Array(1),
});

describe('weightLayerKey / groupWeights', () => {
  it('keys plain and nested weights by their layer', () => {
    expect(weightLayerKey('block1_conv1', 'block1_conv1/kernel:0')).toBe('block1_conv1');
    expect(weightLayerKey('model', 'sequential_1/conv2d_2/kernel')).toBe('conv2d_2');
    expect(weightLayerKey('fc', 'fc_W_1:0')).toBe('fc');
  });

  it("resolves layer names holding '/' from the model's layer names (tf.keras MobileNetV3, DenseNet)", () => {
    const names = new Set(['Conv', 'Conv/BatchNorm', 'expanded_conv/depthwise', 'conv1/conv']);
    expect(weightLayerKey('MobilenetV3small', 'Conv/BatchNorm/gamma:0', names)).toBe('Conv/BatchNorm');
    expect(weightLayerKey('MobilenetV3small', 'expanded_conv/depthwise/depthwise_kernel:0', names)).toBe(
      'expanded_conv/depthwise',
    );
    expect(weightLayerKey('densenet121', 'densenet121/conv1/conv/kernel:0', names)).toBe('conv1/conv');
    const weights = groupWeights(
      [
        entry('MobilenetV3small', 'Conv/kernel:0'),
        entry('MobilenetV3small', 'Conv/BatchNorm/gamma:0'),
        entry('MobilenetV3small', 'Conv/BatchNorm/beta:0'),
        entry('dense', 'dense/kernel:0'),
      ],
      names,
    );
    expect([...weights.keys()]).toEqual(['Conv', 'Conv/BatchNorm', 'dense']);
    expect(weights.get('Conv/BatchNorm')?.map((t) => t.name)).toEqual([
      'Conv/BatchNorm/gamma:0',
      'Conv/BatchNorm/beta:0',
    ]);
  });
});
