import { describe, expect, it } from 'vitest';
import { buildArchitecture } from '../../src/convert/architectures/build.js';
import { seedPlan } from './seed-weights.js';

describe('seedPlan', () => {
  const built = buildArchitecture('resnet50', { resnet50Naming: 'tf-keras' });
  const plan = seedPlan(built, 3);
  const init = (layer: string, weight: string) =>
    plan.layers.find((l) => l.layer === layer)?.weights.find((w) => w.name === `${layer}/${weight}:0`);

  it('lists every layer (weighted or not) in Keras order and every weight with its shape', () => {
    expect(plan.layer_names).toEqual(built.model.config.layers.map((l) => l.name));
    expect(plan.layers.map((l) => l.layer)).toEqual(built.weights.map((l) => l.layer));
    expect(
      plan.layers.flatMap((l) => l.weights).reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0),
    ).toBe(25_636_712);
    expect(plan.seed).toBe(3);
  });

  it('draws BN statistics in realistic ranges that keep the scale (E[γ²/σ²] ≈ 1), small means', () => {
    expect(init('conv2_block1_1_bn', 'moving_variance')).toMatchObject({ dist: 'uniform', a: 0.8, b: 1.25 });
    expect(init('conv2_block1_1_bn', 'moving_mean')).toMatchObject({ dist: 'normal', a: 0, b: 0.1 });
    // The BN closing a residual branch gets a small gain so 16 additions do not blow activations up.
    expect(init('conv2_block1_3_bn', 'gamma')).toMatchObject({ dist: 'uniform', a: 0.1, b: 0.3 });
    expect(init('conv2_block1_1_bn', 'gamma')).toMatchObject({ dist: 'uniform', a: 0.8, b: 1.2 });
  });

  it('He-scales kernels, undoes the caffe input scale in the first layer and spreads the logits', () => {
    expect(init('conv2_block1_2_conv', 'kernel')?.b).toBeCloseTo(Math.sqrt(2 / (3 * 3 * 64)), 12);
    expect(init('conv1_conv', 'kernel')?.b).toBeCloseTo(Math.sqrt(2 / (7 * 7 * 3)) / 64, 12);
    expect(init('predictions', 'kernel')?.b).toBeCloseTo((3 * 0.4) / Math.sqrt(2048), 12);
  });
});

describe('seedPlan legacy naming (old official files: other counters, Keras 1 weight names)', () => {
  it('renames auto-named layers and writes weight names without a "/"', () => {
    const plan = seedPlan(buildArchitecture('inception_v3'), 1, 'legacy');
    expect(plan.layer_names.slice(0, 4)).toEqual(['input', 'conv2d', 'batch_normalization', 'activation']);
    expect(plan.layer_names).toContain('conv2d_93');
    expect(plan.layer_names).toContain('mixed9_0');
    expect(new Set(plan.layer_names).size).toBe(plan.layer_names.length);
    expect(plan.layers[1]?.weights.map((w) => w.name)).toEqual([
      'batch_normalization_beta:0',
      'batch_normalization_running_mean:0',
      'batch_normalization_running_std:0',
    ]);
  });
});

describe('seedPlan for the other families', () => {
  it('gives the first convolution the input scale even when a Normalization layer comes first (EfficientNet)', () => {
    const plan = seedPlan(buildArchitecture('efficientnet_b0', { includeTop: false }), 1);
    const normalization = plan.layers[0];
    expect(normalization?.layer).toBe('normalization');
    expect(normalization?.weights.map((w) => [w.name, w.dist, w.values, w.dtype])).toEqual([
      ['normalization/mean:0', 'values', [0.485, 0.456, 0.406], undefined],
      ['normalization/variance:0', 'values', [0.229, 0.224, 0.225], undefined],
      ['normalization/count:0', 'values', [1_281_167], 'int64'],
    ]);
    expect(plan.layers[1]?.layer).toBe('stem_conv');
    expect(plan.layers[1]?.weights[0]?.b).toBeCloseTo(Math.sqrt(2 / 27), 12);
  });

  it("leaves stand-in layers out of the file's layer list (InceptionResNetV2's Lambda joins)", () => {
    const built = buildArchitecture('inception_resnet_v2');
    const plan = seedPlan(built, 1);
    expect(built.standIns).toHaveLength(39);
    expect(plan.layer_names).not.toContain('block35_1_scale');
    expect(plan.layer_names).toContain('block35_1');
    expect(plan.layer_names).toHaveLength(built.model.config.layers.length - 39);
  });

  it('separable convolutions: the depthwise half carries the ReLU gain, the pointwise half keeps the scale', () => {
    const plan = seedPlan(buildArchitecture('nasnet_mobile'), 1);
    const sep = plan.layers.find((l) => l.layer === 'separable_conv_1_normal_left1_0');
    expect(sep?.weights.map((w) => w.b)).toEqual([Math.sqrt(2 / 25), Math.sqrt(1 / 44)]);
  });
});
