import { FunctionalBuilder, type BuiltModel, type TensorRef } from './functional-builder.js';
import {
  activation,
  add,
  batchNorm,
  conv2d,
  dense,
  globalAveragePool,
  input,
  maxPool,
  zeroPadding,
} from './layers.js';
import type { ArchitectureOptions } from './options.js';
import { resnet, stack1, stacks } from './resnet-common.js';
import { poolFeatures } from './vgg.js';

/** Stage widths [filters of the 1×1 and 3×3 convolutions, blocks] for stages 2…5. */
const STAGES: readonly [number, number][] = [
  [64, 3],
  [128, 4],
  [256, 6],
  [512, 3],
];
const BLOCK_LETTERS = 'abcdef';

/** keras-applications 1.0.x `resnet50.ResNet50`: res2a_branch2a / bn2a_branch2a names, BN epsilon 1e-3, he_normal. */
function resnet50KerasApplications(o: ArchitectureOptions): BuiltModel {
  const b = new FunctionalBuilder('keras-2.2');
  const bn = (x: TensorRef, name: string): TensorRef => batchNorm(b, x, { epsilon: 1e-3, axis: 3 }, name);
  const relu = (x: TensorRef): TensorRef => activation(b, x, 'relu');
  const conv = (
    x: TensorRef,
    filters: number,
    k: number,
    name: string,
    strides: [number, number] = [1, 1],
  ): TensorRef =>
    conv2d(
      b,
      x,
      { filters, kernel: [k, k], strides, padding: k === 1 ? 'valid' : 'same', init: 'he_normal' },
      name,
    );

  const block = (
    inputTensor: TensorRef,
    filters: number,
    stage: number,
    letter: string,
    strides: [number, number] | null,
  ): TensorRef => {
    const convBase = `res${stage}${letter}_branch`;
    const bnBase = `bn${stage}${letter}_branch`;
    let x = relu(bn(conv(inputTensor, filters, 1, `${convBase}2a`, strides ?? [1, 1]), `${bnBase}2a`));
    x = relu(bn(conv(x, filters, 3, `${convBase}2b`), `${bnBase}2b`));
    x = bn(conv(x, filters * 4, 1, `${convBase}2c`), `${bnBase}2c`);
    const shortcut = strides
      ? bn(conv(inputTensor, filters * 4, 1, `${convBase}1`, strides), `${bnBase}1`)
      : inputTensor;
    return relu(add(b, [x, shortcut]));
  };

  const img = input(b, o.inputShape);
  let x = zeroPadding(b, img, 3, 'conv1_pad');
  x = conv2d(
    b,
    x,
    { filters: 64, kernel: [7, 7], strides: [2, 2], padding: 'valid', init: 'he_normal' },
    'conv1',
  );
  x = relu(bn(x, 'bn_conv1'));
  x = zeroPadding(b, x, 1, 'pool1_pad');
  x = maxPool(b, x, { pool: [3, 3], strides: [2, 2] });
  STAGES.forEach(([filters, blocks], index) => {
    const stage = index + 2;
    for (let i = 0; i < blocks; i++) {
      const strides: [number, number] | null = i > 0 ? null : stage === 2 ? [1, 1] : [2, 2];
      x = block(x, filters, stage, BLOCK_LETTERS[i] ?? '?', strides);
    }
  });
  if (o.includeTop) {
    x = globalAveragePool(b, x, 'avg_pool');
    x = dense(b, x, o.classes, 'softmax', 'fc1000');
  } else {
    x = poolFeatures(b, x, o.pooling);
  }
  return b.toJson('resnet50', img, x);
}

/** tf.keras 2.x `resnet.ResNet50`: resnet_common's code with tf.keras naming ('predictions', class Functional). */
function resnet50TfKeras(o: ArchitectureOptions): BuiltModel {
  return resnet(
    {
      modelName: 'resnet50',
      flavour: 'tf-keras-2',
      top: 'predictions',
      preact: false,
      stack: stacks(
        stack1(64, 3, 1, 'conv2'),
        stack1(128, 4, 2, 'conv3'),
        stack1(256, 6, 2, 'conv4'),
        stack1(512, 3, 2, 'conv5'),
      ),
    },
    o,
  );
}

/** keras.applications.ResNet50 (25,636,712 parameters with the top) in either naming generation. */
export function resnet50(o: ArchitectureOptions): BuiltModel {
  return o.resnet50Naming === 'keras-applications' ? resnet50KerasApplications(o) : resnet50TfKeras(o);
}
