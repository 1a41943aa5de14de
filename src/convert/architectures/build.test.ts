import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { NetlensError } from '../../core/errors.js';
import { buildTfjsModel } from '../verify/tfjs-reference.js';
import { buildArchitecture } from './build.js';
import type { KerasModelJson } from './keras-json.js';
import { ARCHITECTURE_NAMES, type ArchitectureName } from './options.js';

// Keras' published counts (keras.io/api/applications and model.count_params()).
const KERAS_PARAMETERS: Record<ArchitectureName, { top: number; notop: number }> = {
  vgg16: { top: 138_357_544, notop: 14_714_688 },
  vgg19: { top: 143_667_240, notop: 20_024_384 },
  resnet50: { top: 25_636_712, notop: 23_587_712 },
  inception_v3: { top: 23_851_784, notop: 21_802_784 },
  xception: { top: 22_910_480, notop: 20_861_480 },
  resnet101: { top: 44_707_176, notop: 42_658_176 },
  resnet152: { top: 60_419_944, notop: 58_370_944 },
  resnet50_v2: { top: 25_613_800, notop: 23_564_800 },
  resnet101_v2: { top: 44_675_560, notop: 42_626_560 },
  resnet152_v2: { top: 60_380_648, notop: 58_331_648 },
  inception_resnet_v2: { top: 55_873_736, notop: 54_336_736 },
  mobilenet: { top: 4_253_864, notop: 3_228_864 },
  mobilenet_v2: { top: 3_538_984, notop: 2_257_984 },
  densenet121: { top: 8_062_504, notop: 7_037_504 },
  densenet169: { top: 14_307_880, notop: 12_642_880 },
  densenet201: { top: 20_242_984, notop: 18_321_984 },
  nasnet_mobile: { top: 5_326_716, notop: 4_269_716 },
  nasnet_large: { top: 88_949_818, notop: 84_916_818 },
  mobilenet_v3_small: { top: 2_554_968, notop: 939_120 },
  mobilenet_v3_large: { top: 5_507_432, notop: 2_996_352 },
  efficientnet_b0: { top: 5_330_571, notop: 4_049_571 },
  efficientnet_b1: { top: 7_856_239, notop: 6_575_239 },
  efficientnet_b2: { top: 9_177_569, notop: 7_768_569 },
  efficientnet_b3: { top: 12_320_535, notop: 10_783_535 },
  efficientnet_b4: { top: 19_466_823, notop: 17_673_823 },
  efficientnet_b5: { top: 30_562_527, notop: 28_513_527 },
  efficientnet_b6: { top: 43_265_143, notop: 40_960_143 },
  efficientnet_b7: { top: 66_658_687, notop: 64_097_687 },
};

function layerNames(model: KerasModelJson): string[] {
  return model.config.layers.map((l) => l.name);
}

/** TF.js' model from the JSON, through the verification's topology (Keras layers TF.js lacks added). */
function tfjsModel(model: KerasModelJson): Promise<tf.LayersModel> {
  return buildTfjsModel({
    config: model,
    format: 'keras-h5-weights',
    kerasVersion: model.keras_version,
    source: model.config.name,
  });
}

describe('parameter counts', () => {
  for (const arch of ARCHITECTURE_NAMES) {
    it(`${arch} has exactly Keras' parameter count with and without the top`, () => {
      expect(buildArchitecture(arch).parameters).toBe(KERAS_PARAMETERS[arch].top);
      expect(buildArchitecture(arch, { includeTop: false }).parameters).toBe(KERAS_PARAMETERS[arch].notop);
    });
  }

  it('both ResNet50 generations have the same count', () => {
    expect(buildArchitecture('resnet50', { resnet50Naming: 'keras-applications' }).parameters).toBe(
      25_636_712,
    );
    expect(buildArchitecture('resnet50', { resnet50Naming: 'tf-keras' }).parameters).toBe(25_636_712);
  });
});

describe('TensorFlow.js reads the JSON (an independent Keras implementation)', () => {
  // VGG with the top is left out: TF.js would initialise 138 M random weights just to count them.
  const cases: [ArchitectureName, Parameters<typeof buildArchitecture>[1]][] = [
    ['vgg19', { includeTop: false, pooling: 'max' }],
    ['resnet50', { resnet50Naming: 'keras-applications' }],
    ['resnet50', { resnet50Naming: 'tf-keras', includeTop: false, pooling: 'avg' }],
    ['inception_v3', {}],
    ['xception', {}],
    ['resnet101', { includeTop: false, pooling: 'max', inputShape: [64, 64, 3] }],
    ['resnet50_v2', { inputShape: [96, 96, 3] }],
    ['inception_resnet_v2', { inputShape: [139, 139, 3] }],
    ['mobilenet', {}],
    ['mobilenet_v2', { inputShape: [97, 131, 3] }],
    ['densenet121', { includeTop: false, pooling: 'avg', inputShape: [64, 64, 3] }],
    ['nasnet_mobile', {}],
    ['mobilenet_v3_small', {}],
    ['mobilenet_v3_large', { includeTop: false, pooling: 'avg', inputShape: [96, 96, 3] }],
    ['efficientnet_b0', {}],
  ];
  for (const [arch, options] of cases) {
    it(`${arch} ${JSON.stringify(options)}: same layers, weight shapes, parameters and output shape`, async () => {
      const built = buildArchitecture(arch, options);
      const model = await tfjsModel(built.model);
      try {
        expect(model.countParams()).toBe(built.parameters);
        expect(model.layers.map((l) => l.name)).toEqual(layerNames(built.model));
        for (const spec of built.weights) {
          expect(
            model.getLayer(spec.layer).weights.map((w) => w.shape),
            spec.layer,
          ).toEqual(spec.weights.map((w) => w.shape));
        }
        expect((model.outputs[0]?.shape ?? []).slice(1)).toEqual(built.outputShape);
      } finally {
        model.dispose();
      }
    });
  }
});

describe('Keras layer names and order (what the official weight files list)', () => {
  it('keras-applications ResNet50: res2a_branch2c before res2a_branch1, auto-named activations from _1', () => {
    const names = layerNames(buildArchitecture('resnet50', { resnet50Naming: 'keras-applications' }).model);
    expect(names.slice(0, 19)).toEqual([
      'input_1', 'conv1_pad', 'conv1', 'bn_conv1', 'activation_1', 'pool1_pad', 'max_pooling2d_1',
      'res2a_branch2a', 'bn2a_branch2a', 'activation_2', 'res2a_branch2b', 'bn2a_branch2b', 'activation_3',
      'res2a_branch2c', 'res2a_branch1', 'bn2a_branch2c', 'bn2a_branch1', 'add_1', 'activation_4',
    ]); // prettier-ignore
    expect(names.slice(-2)).toEqual(['avg_pool', 'fc1000']);
  });

  it('tf.keras ResNet50: the shortcut (_0_) comes first in each Add', () => {
    const names = layerNames(buildArchitecture('resnet50').model);
    expect(names.slice(7, 19)).toEqual([
      'conv2_block1_1_conv', 'conv2_block1_1_bn', 'conv2_block1_1_relu', 'conv2_block1_2_conv',
      'conv2_block1_2_bn', 'conv2_block1_2_relu', 'conv2_block1_0_conv', 'conv2_block1_3_conv',
      'conv2_block1_0_bn', 'conv2_block1_3_bn', 'conv2_block1_add', 'conv2_block1_out',
    ]); // prettier-ignore
    expect(names.slice(-2)).toEqual(['avg_pool', 'predictions']);
  });

  it('InceptionV3 orders mixed0 branches by depth, as in Keras model.summary()', () => {
    const names = layerNames(buildArchitecture('inception_v3').model);
    const start = names.indexOf('max_pooling2d_2') + 1;
    expect(names.slice(start, start + 10)).toEqual([
      'conv2d_9', 'batch_normalization_9', 'activation_9', 'conv2d_7', 'conv2d_10',
      'batch_normalization_7', 'batch_normalization_10', 'activation_7', 'activation_10', 'average_pooling2d_1',
    ]); // prettier-ignore
    expect(names.filter((n) => n.startsWith('conv2d_'))).toHaveLength(94);
    expect(names).toContain('mixed9_1');
    expect(names).toContain('concatenate_2');
  });

  it('Xception keeps its named blocks and auto-names the residual convolutions', () => {
    const names = layerNames(buildArchitecture('xception').model);
    expect(names.slice(0, 7)).toEqual([
      'input_1', 'block1_conv1', 'block1_conv1_bn', 'block1_conv1_act', 'block1_conv2', 'block1_conv2_bn', 'block1_conv2_act',
    ]); // prettier-ignore
    expect(names.filter((n) => /^conv2d_\d$/.test(n))).toEqual([
      'conv2d_1',
      'conv2d_2',
      'conv2d_3',
      'conv2d_4',
    ]);
    expect(names).toContain('block12_sepconv3_bn');
  });

  it('InceptionResNetV2: the Lambda join is a Rescaling stand-in plus an Add keeping the Lambda name and place', () => {
    const built = buildArchitecture('inception_resnet_v2');
    const names = layerNames(built.model);
    const at = names.indexOf('block35_1_mixed');
    expect(names.slice(at, at + 5)).toEqual([
      'block35_1_mixed', 'block35_1_conv', 'block35_1_scale', 'block35_1', 'block35_1_ac',
    ]); // prettier-ignore
    const scale = built.model.config.layers.find((l) => l.name === 'block17_3_scale');
    expect(scale).toMatchObject({ class_name: 'Rescaling', config: { scale: 0.1, offset: 0 } });
    expect(
      built.model.config.layers.find((l) => l.name === 'block17_3')?.inbound_nodes[0]?.map((n) => n[0]),
    ).toEqual(['block17_2_ac', 'block17_3_scale']);
    // block8_10 has scale 1 and no activation: a plain Add.
    expect(names).not.toContain('block8_10_scale');
    expect(built.standIns).toHaveLength(10 + 20 + 9);
    expect(names.slice(-6)).toEqual([
      'block8_10',
      'conv_7b',
      'conv_7b_bn',
      'conv_7b_ac',
      'avg_pool',
      'predictions',
    ]);
  });

  it('NASNet and DenseNet keep Keras 2.2 automatic names where the code names nothing', () => {
    const mobile = layerNames(buildArchitecture('nasnet_mobile').model);
    expect(mobile.slice(-3)).toEqual(['activation_188', 'global_average_pooling2d_1', 'predictions']);
    expect(mobile).toContain('cropping2d_1');
    expect(layerNames(buildArchitecture('nasnet_large').model).at(-3)).toBe('activation_260');
    expect(layerNames(buildArchitecture('densenet121').model).slice(0, 8)).toEqual([
      'input_1', 'zero_padding2d_1', 'conv1/conv', 'conv1/bn', 'conv1/relu', 'zero_padding2d_2', 'pool1', 'conv2_block1_0_bn',
    ]); // prettier-ignore
    expect(layerNames(buildArchitecture('mobilenet').model).slice(-6)).toEqual([
      'global_average_pooling2d_1', 'reshape_1', 'dropout', 'conv_preds', 'reshape_2', 'act_softmax',
    ]); // prettier-ignore
  });

  it("MobileNetV3 uses tf.keras' names and writes hard_sigmoid's `x + 3.` and `* (1/6)` as TFOpLambda layers", () => {
    const built = buildArchitecture('mobilenet_v3_small');
    expect(layerNames(built.model).slice(0, 8)).toEqual([
      'input_1', 'rescaling', 'Conv', 'Conv/BatchNorm', 'tf.__operators__.add', 're_lu', 'tf.math.multiply', 'multiply',
    ]); // prettier-ignore
    const layer = (n: string) => built.model.config.layers.find((l) => l.name === n);
    expect(layer('tf.__operators__.add')).toMatchObject({
      class_name: 'TFOpLambda',
      config: { function: '__operators__.add' },
      inbound_nodes: [[['Conv/BatchNorm', 0, 0, { y: 3, name: null }]]],
    });
    expect(layer('re_lu')).toMatchObject({ class_name: 'ReLU', config: { max_value: 6 } });
    expect(layer('tf.math.multiply')).toMatchObject({
      class_name: 'TFOpLambda',
      config: { function: 'math.multiply' },
      inbound_nodes: [[['re_lu', 0, 0, { y: 1 / 6, name: null }]]],
    });
    expect(layer('multiply')?.inbound_nodes[0]?.map((n) => n[0])).toEqual([
      'Conv/BatchNorm',
      'tf.math.multiply',
    ]);
    expect(layer('expanded_conv/squeeze_excite/Mul')?.inbound_nodes[0]?.map((n) => n[0])).toEqual([
      're_lu_1',
      'tf.math.multiply_1',
    ]);
    expect(built.weights.at(-1)).toMatchObject({
      layer: 'Logits',
      weights: [{ shape: [1, 1, 1024, 1000] }, { shape: [1000] }],
    });
  });

  it('EfficientNet: Rescaling, Normalization (mean, variance, count) and the imagenet Rescaling by 1/√std', () => {
    const built = buildArchitecture('efficientnet_b0');
    expect(layerNames(built.model).slice(0, 6)).toEqual([
      'input_1', 'rescaling', 'normalization', 'rescaling_1', 'stem_conv_pad', 'stem_conv',
    ]); // prettier-ignore
    expect(built.weights[0]).toEqual({
      layer: 'normalization',
      className: 'Normalization',
      weights: [
        { name: 'normalization/mean:0', shape: [3], role: 'mean' },
        { name: 'normalization/variance:0', shape: [3], role: 'variance' },
        { name: 'normalization/count:0', shape: [], role: 'count' },
      ],
    });
    const names = layerNames(built.model);
    expect(names.slice(names.indexOf('block2b_se_excite') - 5, names.indexOf('block2b_se_excite') + 5)).toEqual([
      'block2b_activation', 'block2b_se_squeeze', 'block2b_se_reshape', 'block2b_se_reduce', 'block2b_se_expand',
      'block2b_se_excite', 'block2b_project_conv', 'block2b_project_bn', 'block2b_drop', 'block2b_add',
    ]); // prettier-ignore
    expect(names.filter((n) => /^block\d[a-z]_add$/.test(n))).toHaveLength(9);
    expect(
      buildArchitecture('efficientnet_b7').model.config.layers.filter((l) => l.class_name === 'Multiply'),
    ).toHaveLength(55);
  });

  it('ResNetV2 uses pre-activation blocks with max-pool shortcuts where a block strides', () => {
    const names = layerNames(buildArchitecture('resnet50_v2').model);
    expect(names.slice(0, 8)).toEqual([
      'input_1', 'conv1_pad', 'conv1_conv', 'pool1_pad', 'pool1_pool', 'conv2_block1_preact_bn',
      'conv2_block1_preact_relu', 'conv2_block1_1_conv',
    ]); // prettier-ignore
    expect(names.filter((n) => n.startsWith('max_pooling2d_'))).toHaveLength(3);
    expect(names.slice(-4)).toEqual(['post_bn', 'post_relu', 'avg_pool', 'probs']);
  });

  it('VGG16 top layers and weight order', () => {
    const built = buildArchitecture('vgg16');
    expect(layerNames(built.model).slice(-4)).toEqual(['flatten', 'fc1', 'fc2', 'predictions']);
    expect(built.weights[0]?.weights.map((w) => [w.name, w.shape])).toEqual([
      ['block1_conv1/kernel:0', [3, 3, 3, 64]],
      ['block1_conv1/bias:0', [64]],
    ]);
    expect(built.weights.find((l) => l.layer === 'fc1')?.weights[0]?.shape).toEqual([25088, 4096]);
  });
});

describe('configs', () => {
  const bnEpsilons = (model: KerasModelJson): Set<unknown> =>
    new Set(
      model.config.layers
        .filter((l) => l.class_name === 'BatchNormalization')
        .map((l) => l.config['epsilon']),
    );

  it('ResNet50 BatchNormalization epsilon is 1e-3 (keras-applications) or 1.001e-5 (tf.keras)', () => {
    expect(bnEpsilons(buildArchitecture('resnet50', { resnet50Naming: 'keras-applications' }).model)).toEqual(
      new Set([1e-3]),
    );
    expect(bnEpsilons(buildArchitecture('resnet50', { resnet50Naming: 'tf-keras' }).model)).toEqual(
      new Set([1.001e-5]),
    );
  });

  it('model class names and versions follow the Keras generation', () => {
    expect(buildArchitecture('resnet50', { resnet50Naming: 'tf-keras' }).model.class_name).toBe('Functional');
    expect(buildArchitecture('vgg16').model).toMatchObject({ class_name: 'Model', keras_version: '2.2.4' });
  });

  it('InceptionV3 BN has no gamma (scale=False) and its convolutions no bias', () => {
    const built = buildArchitecture('inception_v3');
    expect(
      built.weights.find((l) => l.layer === 'batch_normalization_1')?.weights.map((w) => w.name),
    ).toEqual([
      'batch_normalization_1/beta:0',
      'batch_normalization_1/moving_mean:0',
      'batch_normalization_1/moving_variance:0',
    ]);
    expect(built.weights.find((l) => l.layer === 'conv2d_1')?.weights).toHaveLength(1);
  });

  it('pooling, classes and input shape', () => {
    expect(buildArchitecture('resnet50', { includeTop: false }).outputShape).toEqual([7, 7, 2048]);
    const avg = buildArchitecture('resnet50', { includeTop: false, pooling: 'avg' });
    expect(avg.outputShape).toEqual([2048]);
    expect(avg.model.config.output_layers).toEqual([['avg_pool', 0, 0]]);
    const max = buildArchitecture('inception_v3', { includeTop: false, pooling: 'max' });
    expect(max.model.config.output_layers).toEqual([['global_max_pooling2d_1', 0, 0]]);
    expect(buildArchitecture('xception', { classes: 5 }).outputShape).toEqual([5]);
    expect(buildArchitecture('xception', { classes: 5 }).parameters).toBe(22_910_480 - 2049 * 995);
    expect(buildArchitecture('vgg16', { includeTop: false, inputShape: [160, 96, 3] }).outputShape).toEqual([
      5, 3, 512,
    ]);
    expect(buildArchitecture('inception_v3').model.config.layers[0]?.config['batch_input_shape']).toEqual([
      null,
      299,
      299,
      3,
    ]);
  });

  it('classes and pooling on the new families (a 1×1-conv classifier, Reshape targets, pooling names)', () => {
    const mobilenet = buildArchitecture('mobilenet', { classes: 5 });
    expect(mobilenet.outputShape).toEqual([5]);
    expect(mobilenet.weights.at(-1)?.weights.map((w) => w.shape)).toEqual([[1, 1, 1024, 5], [5]]);
    expect(mobilenet.model.config.layers.find((l) => l.name === 'reshape_2')?.config['target_shape']).toEqual(
      [5],
    );
    expect(buildArchitecture('efficientnet_b0', { classes: 5 }).parameters).toBe(5_330_571 - 1281 * 995);
    expect(buildArchitecture('mobilenet_v3_small', { classes: 5 }).outputShape).toEqual([5]);
    const notop = buildArchitecture('nasnet_mobile', { includeTop: false, pooling: 'max' });
    expect(notop.model.config.output_layers).toEqual([['global_max_pooling2d_1', 0, 0]]);
    expect(
      buildArchitecture('densenet121', { includeTop: false, pooling: 'max' }).model.config.output_layers,
    ).toEqual([['max_pool', 0, 0]]);
    expect(buildArchitecture('efficientnet_b3', { includeTop: false }).outputShape).toEqual([10, 10, 1536]);
    expect(
      buildArchitecture('mobilenet_v2', { includeTop: false, inputShape: [96, 128, 3] }).outputShape,
    ).toEqual([3, 4, 1280]);
  });

  it('rejects bad options with errors naming the valid values', () => {
    const fails = (f: () => unknown, pattern: RegExp): void => {
      expect(f).toThrow(NetlensError);
      expect(f).toThrow(pattern);
    };
    fails(() => buildArchitecture('xception', { inputShape: [64, 64, 3] }), /≥ 71/);
    fails(() => buildArchitecture('vgg16', { inputShape: [224, 224, 1] }), /3 channels/);
    fails(() => buildArchitecture('resnet50', { classes: 0 }), /positive integer/);
    fails(() => buildArchitecture('resnet50', { pooling: 'mean' as 'avg' }), /avg, max, none/);
    fails(() => buildArchitecture('inception_resnet_v2', { inputShape: [74, 74, 3] }), /≥ 75/);
    fails(() => buildArchitecture('efficientnet_b7', { inputShape: [31, 64, 3] }), /≥ 32/);
  });
});
