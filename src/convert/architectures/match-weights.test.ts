import { describe, expect, it } from 'vitest';
import type { KerasWeights } from '../keras/types.js';
import { buildArchitecture, type BuiltArchitecture } from './build.js';
import { detectWeights } from './detect.js';
import { matchWeights, type WeightFileContents } from './match-weights.js';

/** A weight file's contents as a reader returns them; the data is a tag (dims are what is checked). */
function fileFor(built: BuiltArchitecture, rename: (layer: string) => string = (l) => l): WeightFileContents {
  const weights: KerasWeights = new Map();
  for (const layer of built.weights) {
    weights.set(
      rename(layer.layer),
      layer.weights.map((w, i) => ({
        name: `${rename(layer.layer)}/${w.name.split('/')[1]}`,
        dims: [...w.shape],
        data: Float32Array.of(i),
      })),
    );
  }
  const layerNames = built.model.config.layers.map((l) => rename(l.name));
  return { layerNames, weights };
}

describe('matchWeights', () => {
  const inception = buildArchitecture('inception_v3');

  it('matches by name when every layer is in the file', () => {
    const { weights, matching } = matchWeights(inception, fileFor(inception), 'f.h5');
    expect(matching).toBe('by-name');
    expect(weights.size).toBe(inception.weights.length);
    expect(weights.get('conv2d_1')?.[0]?.dims).toEqual([3, 3, 3, 32]);
  });

  it("falls back to Keras' topological order when names differ (tf.keras counters: conv2d, conv2d_1, …)", () => {
    const renamed = fileFor(inception, (l) =>
      l.replace(/_(\d+)$/, (_, n: string) => (n === '1' ? '' : `_${Number(n) - 1}`)),
    );
    expect(renamed.weights.has('conv2d')).toBe(true);
    const { weights, matching } = matchWeights(inception, renamed, 'f.h5');
    expect(matching).toBe('by-order');
    expect(weights.get('conv2d_1')?.[0]?.dims).toEqual([3, 3, 3, 32]);
    expect(weights.get('batch_normalization_94')?.map((t) => t.name)).toEqual([
      'batch_normalization_94/beta:0',
      'batch_normalization_94/moving_mean:0',
      'batch_normalization_94/moving_variance:0',
    ]);
  });

  it('refuses to pair the two ResNet50 generations by order: their Add inputs, and so their orders, differ', () => {
    // keras-applications lists res2a_branch2c before res2a_branch1; tf.keras lists the shortcut
    // (conv2_block1_0_conv) first. Shapes coincide in stage 2 and differ in stage 3: the check catches it.
    const ka = buildArchitecture('resnet50', { resnet50Naming: 'keras-applications' });
    const tfk = buildArchitecture('resnet50', { resnet50Naming: 'tf-keras' });
    expect(() => matchWeights(tfk, fileFor(ka), 'old.h5')).toThrow(
      /layer 'conv3_block1_0_conv' \(file layer 'res3a_branch2c'\): weight 'res3a_branch2c\/kernel:0' has shape \[1, 1, 128, 512\] but resnet50 expects \[1, 1, 256, 512\]/,
    );
  });

  it('names the layer and both shapes when a weight does not fit', () => {
    const file = fileFor(inception);
    const bad = file.weights.get('conv2d_5');
    if (bad?.[0]) bad[0] = { ...bad[0], dims: [3, 3, 80, 191] };
    expect(() => matchWeights(inception, file, 'f.h5')).toThrow(
      /layer 'conv2d_5': weight 'conv2d_5\/kernel:0' has shape \[3, 3, 80, 191\] but inception_v3 expects \[3, 3, 80, 192\]/,
    );
  });

  it('reports a missing weight within a layer', () => {
    const file = fileFor(inception);
    file.weights.set('predictions', file.weights.get('predictions')?.slice(0, 1) ?? []);
    expect(() => matchWeights(inception, file, 'f.h5')).toThrow(
      /layer 'predictions' has 1 weights in the file, inception_v3 expects 2/,
    );
  });

  it('explains a file for another architecture or without the top', () => {
    const notop = buildArchitecture('inception_v3', { includeTop: false });
    expect(() => matchWeights(inception, fileFor(notop), 'notop.h5')).toThrow(
      /188 layers with weights but inception_v3 \(with top\) has 189.*predictions/,
    );
    expect(() => matchWeights(inception, fileFor(buildArchitecture('xception')), 'x.h5')).toThrow(
      /right --arch/,
    );
  });
});

describe('detectWeights', () => {
  it('reads include_top and classes from the last weighted layer', () => {
    expect(detectWeights('xception', fileFor(buildArchitecture('xception')), 'f')).toEqual({
      includeTop: true,
      classes: 1000,
    });
    expect(
      detectWeights('xception', fileFor(buildArchitecture('xception', { includeTop: false })), 'f'),
    ).toEqual({ includeTop: false });
  });

  it('derives the VGG input size from fc1', () => {
    const vgg = buildArchitecture('vgg16', { inputShape: [160, 160, 3], classes: 10 });
    expect(detectWeights('vgg16', fileFor(vgg), 'f')).toEqual({
      includeTop: true,
      classes: 10,
      inputSize: 160,
    });
  });

  it('tells the ResNet50 generations apart by their layer names', () => {
    for (const naming of ['keras-applications', 'tf-keras'] as const) {
      const built = buildArchitecture('resnet50', { resnet50Naming: naming, includeTop: false });
      expect(detectWeights('resnet50', fileFor(built), 'f').resnet50Naming).toBe(naming);
    }
    const anonymous = fileFor(buildArchitecture('resnet50'), (l) =>
      `layer_${l.length}_${l}`.replace(/conv|bn|res/g, 'x'),
    );
    expect(() => detectWeights('resnet50', anonymous, 'f.h5')).toThrow(
      /cannot tell which ResNet50 generation/,
    );
  });

  it('rejects a file without weights', () => {
    expect(() => detectWeights('vgg16', { layerNames: ['input_1'], weights: new Map() }, 'empty.h5')).toThrow(
      /no layer with weights/,
    );
  });
});
