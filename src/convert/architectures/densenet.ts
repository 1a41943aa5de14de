import { FunctionalBuilder, type BuiltModel, type TensorRef } from './functional-builder.js';
import {
  activation,
  averagePool,
  batchNorm,
  concatenate,
  conv2d,
  dense,
  globalAveragePool,
  input,
  maxPool,
  zeroPadding,
} from './layers.js';
import type { ArchitectureOptions } from './options.js';
import { poolFeatures } from './vgg.js';

const GROWTH_RATE = 32;

/** keras-applications `densenet.DenseNet`: 'conv1/conv', 'conv2_block1_0_bn' names, BN epsilon 1.001e-5. */
function densenet(
  name: string,
  blocks: [number, number, number, number],
  o: ArchitectureOptions,
): BuiltModel {
  const b = new FunctionalBuilder('keras-2.2');
  const bn = (x: TensorRef, n: string): TensorRef => batchNorm(b, x, { epsilon: 1.001e-5, axis: 3 }, n);
  const relu = (x: TensorRef, n: string): TensorRef => activation(b, x, 'relu', n);

  const convBlock = (x: TensorRef, n: string): TensorRef => {
    let y = relu(bn(x, `${n}_0_bn`), `${n}_0_relu`);
    y = conv2d(b, y, { filters: 4 * GROWTH_RATE, kernel: [1, 1], useBias: false }, `${n}_1_conv`);
    y = relu(bn(y, `${n}_1_bn`), `${n}_1_relu`);
    y = conv2d(
      b,
      y,
      { filters: GROWTH_RATE, kernel: [3, 3], padding: 'same', useBias: false },
      `${n}_2_conv`,
    );
    return concatenate(b, [x, y], 3, `${n}_concat`);
  };
  const denseBlock = (x: TensorRef, count: number, n: string): TensorRef => {
    let y = x;
    for (let i = 1; i <= count; i++) y = convBlock(y, `${n}_block${i}`);
    return y;
  };
  const transitionBlock = (x: TensorRef, n: string): TensorRef => {
    let y = relu(bn(x, `${n}_bn`), `${n}_relu`);
    const filters = Math.floor((y.shape[2] ?? 0) * 0.5);
    y = conv2d(b, y, { filters, kernel: [1, 1], useBias: false }, `${n}_conv`);
    return averagePool(b, y, { pool: [2, 2], strides: [2, 2] }, `${n}_pool`);
  };

  const img = input(b, o.inputShape);
  let x = zeroPadding(b, img, 3);
  x = conv2d(b, x, { filters: 64, kernel: [7, 7], strides: [2, 2], useBias: false }, 'conv1/conv');
  x = relu(bn(x, 'conv1/bn'), 'conv1/relu');
  x = zeroPadding(b, x, 1);
  x = maxPool(b, x, { pool: [3, 3], strides: [2, 2] }, 'pool1');
  x = denseBlock(x, blocks[0], 'conv2');
  x = transitionBlock(x, 'pool2');
  x = denseBlock(x, blocks[1], 'conv3');
  x = transitionBlock(x, 'pool3');
  x = denseBlock(x, blocks[2], 'conv4');
  x = transitionBlock(x, 'pool4');
  x = denseBlock(x, blocks[3], 'conv5');
  x = relu(bn(x, 'bn'), 'relu');

  if (o.includeTop) {
    x = globalAveragePool(b, x, 'avg_pool');
    x = dense(b, x, o.classes, 'softmax', 'fc1000');
  } else {
    x = poolFeatures(b, x, o.pooling, { avg: 'avg_pool', max: 'max_pool' });
  }
  return b.toJson(name, img, x);
}

/** keras.applications.DenseNet121 (8,062,504 parameters with the top). */
export const densenet121 = (o: ArchitectureOptions): BuiltModel =>
  densenet('densenet121', [6, 12, 24, 16], o);
/** keras.applications.DenseNet169 (14,307,880). */
export const densenet169 = (o: ArchitectureOptions): BuiltModel =>
  densenet('densenet169', [6, 12, 32, 32], o);
/** keras.applications.DenseNet201 (20,242,984). */
export const densenet201 = (o: ArchitectureOptions): BuiltModel =>
  densenet('densenet201', [6, 12, 48, 32], o);
