import type { AddOptions, FunctionalBuilder, TensorRef } from './functional-builder.js';
import * as cfg from './layer-configs.js';

/**
 * `keras.layers` as functions on a FunctionalBuilder, so architecture code reads like Keras' own:
 * `x = conv2d(b, x, { filters: 64, kernel: [3, 3] }, 'block1_conv1')`. An undefined name gets Keras'
 * automatic name.
 */

type Pair = [number, number];

export function input(b: FunctionalBuilder, shape: readonly number[], name?: string): TensorRef {
  return b.add('InputLayer', name, (n) => cfg.inputLayerConfig(n, shape, b.flavour), []);
}

export function conv2d(b: FunctionalBuilder, x: TensorRef, o: cfg.Conv2DOptions, name?: string): TensorRef {
  return b.add('Conv2D', name, (n) => cfg.conv2dConfig(n, o, b.flavour), [x]);
}

export function separableConv2d(
  b: FunctionalBuilder,
  x: TensorRef,
  o: cfg.SeparableConv2DOptions,
  name?: string,
): TensorRef {
  return b.add('SeparableConv2D', name, (n) => cfg.separableConv2dConfig(n, o, b.flavour), [x]);
}

export function batchNorm(
  b: FunctionalBuilder,
  x: TensorRef,
  o: cfg.BatchNormOptions,
  name?: string,
): TensorRef {
  return b.add('BatchNormalization', name, (n) => cfg.batchNormConfig(n, o, b.flavour), [x]);
}

export function activation(b: FunctionalBuilder, x: TensorRef, fn: string, name?: string): TensorRef {
  return b.add('Activation', name, (n) => cfg.activationConfig(n, fn, b.flavour), [x]);
}

/** ZeroPadding2D by `pad` on every side, or ((top, bottom), (left, right)). */
export function zeroPadding(
  b: FunctionalBuilder,
  x: TensorRef,
  pad: number | [Pair, Pair],
  name?: string,
): TensorRef {
  const padding: [Pair, Pair] =
    typeof pad === 'number'
      ? [
          [pad, pad],
          [pad, pad],
        ]
      : pad;
  return b.add('ZeroPadding2D', name, (n) => cfg.zeroPaddingConfig(n, padding, b.flavour), [x]);
}

/**
 * imagenet_utils.correct_pad: the ZeroPadding2D amounts that make a stride-2 'valid' convolution of
 * `kernel` match TensorFlow's 'same' one, from the input's height and width.
 */
export function correctPad(x: TensorRef, kernel: number): [Pair, Pair] {
  const [h = 0, w = 0] = x.shape;
  const correct = Math.floor(kernel / 2);
  return [
    [correct - (1 - (h % 2)), correct],
    [correct - (1 - (w % 2)), correct],
  ];
}

export function cropping(b: FunctionalBuilder, x: TensorRef, crop: [Pair, Pair], name?: string): TensorRef {
  return b.add('Cropping2D', name, (n) => cfg.croppingConfig(n, crop, b.flavour), [x]);
}

export function depthwiseConv2d(
  b: FunctionalBuilder,
  x: TensorRef,
  o: cfg.DepthwiseConv2DOptions,
  name?: string,
): TensorRef {
  return b.add('DepthwiseConv2D', name, (n) => cfg.depthwiseConv2dConfig(n, o, b.flavour), [x]);
}

/** keras.layers.ReLU(max_value): ReLU() or ReLU(6.). */
export function relu(b: FunctionalBuilder, x: TensorRef, maxValue: number | null, name?: string): TensorRef {
  return b.add('ReLU', name, (n) => cfg.reluConfig(n, maxValue, b.flavour), [x]);
}

export function reshape(
  b: FunctionalBuilder,
  x: TensorRef,
  targetShape: readonly number[],
  name?: string,
): TensorRef {
  return b.add('Reshape', name, (n) => cfg.reshapeConfig(n, targetShape, b.flavour), [x]);
}

export function dropout(
  b: FunctionalBuilder,
  x: TensorRef,
  rate: number,
  name?: string,
  noiseShape: (number | null)[] | null = null,
): TensorRef {
  return b.add('Dropout', name, (n) => cfg.dropoutConfig(n, rate, noiseShape, b.flavour), [x]);
}

export function rescaling(
  b: FunctionalBuilder,
  x: TensorRef,
  scale: number | number[],
  offset: number,
  name?: string,
  options: AddOptions = {},
): TensorRef {
  return b.add('Rescaling', name, (n) => cfg.rescalingConfig(n, scale, offset, b.flavour), [x], options);
}

export function normalization(b: FunctionalBuilder, x: TensorRef, name?: string): TensorRef {
  return b.add('Normalization', name, (n) => cfg.normalizationConfig(n, 3, b.flavour), [x]);
}

export function multiply(b: FunctionalBuilder, xs: readonly TensorRef[], name?: string): TensorRef {
  return b.add('Multiply', name, (n) => cfg.mergeConfig(n, b.flavour), xs);
}

export function maxPool(b: FunctionalBuilder, x: TensorRef, o: cfg.PoolOptions, name?: string): TensorRef {
  return b.add('MaxPooling2D', name, (n) => cfg.pool2dConfig(n, o, b.flavour), [x]);
}

export function averagePool(
  b: FunctionalBuilder,
  x: TensorRef,
  o: cfg.PoolOptions,
  name?: string,
): TensorRef {
  return b.add('AveragePooling2D', name, (n) => cfg.pool2dConfig(n, o, b.flavour), [x]);
}

export function globalAveragePool(
  b: FunctionalBuilder,
  x: TensorRef,
  name?: string,
  keepdims = false,
): TensorRef {
  return b.add('GlobalAveragePooling2D', name, (n) => cfg.globalPoolConfig(n, b.flavour, keepdims), [x]);
}

export function globalMaxPool(b: FunctionalBuilder, x: TensorRef, name?: string): TensorRef {
  return b.add('GlobalMaxPooling2D', name, (n) => cfg.globalPoolConfig(n, b.flavour), [x]);
}

export function flatten(b: FunctionalBuilder, x: TensorRef, name?: string): TensorRef {
  return b.add('Flatten', name, (n) => cfg.flattenConfig(n, b.flavour), [x]);
}

export function dense(
  b: FunctionalBuilder,
  x: TensorRef,
  units: number,
  fn: string,
  name?: string,
): TensorRef {
  return b.add('Dense', name, (n) => cfg.denseConfig(n, units, fn, b.flavour), [x]);
}

export function add(b: FunctionalBuilder, xs: readonly TensorRef[], name?: string): TensorRef {
  return b.add('Add', name, (n) => cfg.mergeConfig(n, b.flavour), xs);
}

export function concatenate(
  b: FunctionalBuilder,
  xs: readonly TensorRef[],
  axis: number,
  name?: string,
): TensorRef {
  return b.add('Concatenate', name, (n) => cfg.concatenateConfig(n, axis, b.flavour), xs);
}

/**
 * tf.keras' TFOpLambda for `x <op> y` with a constant y: `tf.__operators__.add` for `x + 3.`,
 * `tf.math.multiply` for `x * (1. / 6.)`, automatically named after the function as tf.keras does. In
 * the Keras 3 flavour it stands for Keras 3's operation node (`add`, `multiply`), which the Keras 3
 * writer (scripts/convert/keras3-json.ts) emits as such.
 */
const KERAS3_OPERATION = { '__operators__.add': 'add', 'math.multiply': 'multiply' } as const;

export function tfOpLambda(
  b: FunctionalBuilder,
  x: TensorRef,
  fn: '__operators__.add' | 'math.multiply',
  y: number,
): TensorRef {
  return b.add('TFOpLambda', undefined, (n) => cfg.tfOpLambdaConfig(n, fn, b.flavour), [x], {
    autoPrefix: b.flavour === 'keras-3' ? KERAS3_OPERATION[fn] : `tf.${fn}`,
    kwargs: { y, name: null },
  });
}
