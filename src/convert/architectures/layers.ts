import type { FunctionalBuilder, TensorRef } from './functional-builder.js';
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

export function zeroPadding(b: FunctionalBuilder, x: TensorRef, pad: number, name?: string): TensorRef {
  const padding: [Pair, Pair] = [
    [pad, pad],
    [pad, pad],
  ];
  return b.add('ZeroPadding2D', name, (n) => cfg.zeroPaddingConfig(n, padding, b.flavour), [x]);
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

export function globalAveragePool(b: FunctionalBuilder, x: TensorRef, name?: string): TensorRef {
  return b.add('GlobalAveragePooling2D', name, (n) => cfg.globalPoolConfig(n, b.flavour), [x]);
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
