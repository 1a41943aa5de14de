import { FunctionalBuilder, type BuiltModel, type TensorRef } from './functional-builder.js';
import {
  activation,
  add,
  batchNorm,
  conv2d,
  correctPad,
  dense,
  depthwiseConv2d,
  dropout,
  globalAveragePool,
  input,
  relu,
  reshape,
  zeroPadding,
} from './layers.js';
import type { ArchitectureOptions } from './options.js';
import { poolFeatures } from './vgg.js';

/** keras-applications `mobilenet.MobileNet` with alpha 1, depth_multiplier 1 (4,253,864 parameters with the top). */
export function mobilenet(o: ArchitectureOptions): BuiltModel {
  const b = new FunctionalBuilder('keras-2.2');
  const bn = (x: TensorRef, name: string): TensorRef => batchNorm(b, x, { epsilon: 1e-3, axis: -1 }, name);
  const pad = [
    [0, 1],
    [0, 1],
  ] as [[number, number], [number, number]];

  const depthwiseBlock = (x: TensorRef, filters: number, stride: 1 | 2, id: number): TensorRef => {
    let y = stride === 1 ? x : zeroPadding(b, x, pad, `conv_pad_${id}`);
    y = depthwiseConv2d(
      b,
      y,
      { kernel: [3, 3], strides: [stride, stride], padding: stride === 1 ? 'same' : 'valid', useBias: false },
      `conv_dw_${id}`,
    );
    y = relu(b, bn(y, `conv_dw_${id}_bn`), 6, `conv_dw_${id}_relu`);
    y = conv2d(b, y, { filters, kernel: [1, 1], padding: 'same', useBias: false }, `conv_pw_${id}`);
    return relu(b, bn(y, `conv_pw_${id}_bn`), 6, `conv_pw_${id}_relu`);
  };

  const img = input(b, o.inputShape);
  let x = zeroPadding(b, img, pad, 'conv1_pad');
  x = conv2d(b, x, { filters: 32, kernel: [3, 3], strides: [2, 2], useBias: false }, 'conv1');
  x = relu(b, bn(x, 'conv1_bn'), 6, 'conv1_relu');
  const blocks: [number, 1 | 2][] = [
    [64, 1], [128, 2], [128, 1], [256, 2], [256, 1], [512, 2],
    [512, 1], [512, 1], [512, 1], [512, 1], [512, 1], [1024, 2], [1024, 1],
  ]; // prettier-ignore
  blocks.forEach(([filters, stride], i) => {
    x = depthwiseBlock(x, filters, stride, i + 1);
  });

  if (o.includeTop) {
    x = globalAveragePool(b, x);
    x = reshape(b, x, [1, 1, 1024], 'reshape_1');
    x = dropout(b, x, 1e-3, 'dropout');
    x = conv2d(b, x, { filters: o.classes, kernel: [1, 1], padding: 'same' }, 'conv_preds');
    x = reshape(b, x, [o.classes], 'reshape_2');
    x = activation(b, x, 'softmax', 'act_softmax');
  } else {
    x = poolFeatures(b, x, o.pooling);
  }
  return b.toJson(`mobilenet_1.00_${o.inputShape[0]}`, img, x);
}

/** mobilenet_v2._make_divisible: round to a multiple of 8, never down by more than 10%. */
export function makeDivisible(v: number, divisor = 8, minValue = divisor): number {
  let newV = Math.max(minValue, Math.floor((v + divisor / 2) / divisor) * divisor);
  if (newV < 0.9 * v) newV += divisor;
  return newV;
}

/** keras-applications `mobilenet_v2.MobileNetV2` with alpha 1 (3,538,984 parameters with the top). */
export function mobilenetV2(o: ArchitectureOptions): BuiltModel {
  const b = new FunctionalBuilder('keras-2.2');
  const bn = (x: TensorRef, name: string): TensorRef =>
    batchNorm(b, x, { epsilon: 1e-3, axis: -1, momentum: 0.999 }, name);

  const invertedResBlock = (
    inputs: TensorRef,
    expansion: number,
    stride: 1 | 2,
    filters: number,
    id: number,
  ): TensorRef => {
    const inChannels = inputs.shape[2] ?? 0;
    const pointwiseFilters = makeDivisible(filters, 8);
    let x = inputs;
    let prefix = `block_${id}_`;
    if (id) {
      x = conv2d(
        b,
        x,
        { filters: expansion * inChannels, kernel: [1, 1], padding: 'same', useBias: false },
        `${prefix}expand`,
      );
      x = relu(b, bn(x, `${prefix}expand_BN`), 6, `${prefix}expand_relu`);
    } else {
      prefix = 'expanded_conv_';
    }
    if (stride === 2) x = zeroPadding(b, x, correctPad(x, 3), `${prefix}pad`);
    x = depthwiseConv2d(
      b,
      x,
      { kernel: [3, 3], strides: [stride, stride], padding: stride === 1 ? 'same' : 'valid', useBias: false },
      `${prefix}depthwise`,
    );
    x = relu(b, bn(x, `${prefix}depthwise_BN`), 6, `${prefix}depthwise_relu`);
    x = conv2d(
      b,
      x,
      { filters: pointwiseFilters, kernel: [1, 1], padding: 'same', useBias: false },
      `${prefix}project`,
    );
    x = bn(x, `${prefix}project_BN`);
    if (inChannels === pointwiseFilters && stride === 1) return add(b, [inputs, x], `${prefix}add`);
    return x;
  };

  const img = input(b, o.inputShape);
  let x = zeroPadding(b, img, correctPad(img, 3), 'Conv1_pad');
  x = conv2d(b, x, { filters: 32, kernel: [3, 3], strides: [2, 2], useBias: false }, 'Conv1');
  x = relu(b, bn(x, 'bn_Conv1'), 6, 'Conv1_relu');
  // [filters, stride, expansion] of blocks 0…16.
  const blocks: [number, 1 | 2, number][] = [
    [16, 1, 1], [24, 2, 6], [24, 1, 6], [32, 2, 6], [32, 1, 6], [32, 1, 6], [64, 2, 6], [64, 1, 6], [64, 1, 6],
    [64, 1, 6], [96, 1, 6], [96, 1, 6], [96, 1, 6], [160, 2, 6], [160, 1, 6], [160, 1, 6], [320, 1, 6],
  ]; // prettier-ignore
  blocks.forEach(([filters, stride, expansion], id) => {
    x = invertedResBlock(x, expansion, stride, filters, id);
  });
  x = conv2d(b, x, { filters: 1280, kernel: [1, 1], useBias: false }, 'Conv_1');
  x = relu(b, bn(x, 'Conv_1_bn'), 6, 'out_relu');

  if (o.includeTop) {
    x = globalAveragePool(b, x);
    x = dense(b, x, o.classes, 'softmax', 'Logits');
  } else {
    x = poolFeatures(b, x, o.pooling);
  }
  return b.toJson(`mobilenetv2_1.00_${o.inputShape[0]}`, img, x);
}
