import type { JsonObject, KerasFlavour } from './keras-json.js';

/**
 * Layer `config` objects exactly as Keras serialises them (every field `get_config()` writes), for the
 * layer classes the built-in architectures use. `flavour` picks standalone Keras 2.2.4 or tf.keras 2.x / Keras 3.
 */

type Pair = [number, number];

function initializer(
  flavour: KerasFlavour,
  kind: 'glorot_uniform' | 'he_normal' | 'zeros' | 'ones',
): JsonObject {
  if (flavour !== 'keras-2.2') {
    const className = {
      glorot_uniform: 'GlorotUniform',
      he_normal: 'HeNormal',
      zeros: 'Zeros',
      ones: 'Ones',
    }[kind];
    return { class_name: className, config: kind === 'zeros' || kind === 'ones' ? {} : { seed: null } };
  }
  switch (kind) {
    case 'glorot_uniform':
      return {
        class_name: 'VarianceScaling',
        config: { scale: 1.0, mode: 'fan_avg', distribution: 'uniform', seed: null },
      };
    case 'he_normal':
      return {
        class_name: 'VarianceScaling',
        config: { scale: 2.0, mode: 'fan_in', distribution: 'normal', seed: null },
      };
    case 'zeros':
      return { class_name: 'Zeros', config: {} };
    case 'ones':
      return { class_name: 'Ones', config: {} };
  }
}

function base(name: string, flavour: KerasFlavour): JsonObject {
  return flavour !== 'keras-2.2' ? { name, trainable: true, dtype: 'float32' } : { name, trainable: true };
}

export function inputLayerConfig(name: string, shape: readonly number[], flavour: KerasFlavour): JsonObject {
  const config: JsonObject = { batch_input_shape: [null, ...shape], dtype: 'float32', sparse: false, name };
  if (flavour !== 'keras-2.2') config['ragged'] = false;
  return config;
}

export interface Conv2DOptions {
  filters: number;
  kernel: Pair;
  strides?: Pair;
  padding?: 'valid' | 'same';
  activation?: string;
  useBias?: boolean;
  init?: 'glorot_uniform' | 'he_normal';
  /** A kernel initializer written as is (EfficientNet's VarianceScaling fan_out). */
  initializer?: JsonObject;
}

export function conv2dConfig(name: string, o: Conv2DOptions, flavour: KerasFlavour): JsonObject {
  const config: JsonObject = {
    ...base(name, flavour),
    filters: o.filters,
    kernel_size: [...o.kernel],
    strides: [...(o.strides ?? [1, 1])],
    padding: o.padding ?? 'valid',
    data_format: 'channels_last',
    dilation_rate: [1, 1],
  };
  if (flavour !== 'keras-2.2') config['groups'] = 1;
  return {
    ...config,
    activation: o.activation ?? 'linear',
    use_bias: o.useBias ?? true,
    kernel_initializer: o.initializer ?? initializer(flavour, o.init ?? 'glorot_uniform'),
    bias_initializer: initializer(flavour, 'zeros'),
    kernel_regularizer: null,
    bias_regularizer: null,
    activity_regularizer: null,
    kernel_constraint: null,
    bias_constraint: null,
  };
}

export interface DepthwiseConv2DOptions {
  kernel: Pair;
  strides?: Pair;
  padding?: 'valid' | 'same';
  useBias?: boolean;
  depthMultiplier?: number;
  initializer?: JsonObject;
}

/** Conv2D's config without filters and the kernel_* entries, plus depth_multiplier and depthwise_* (Keras' get_config). */
export function depthwiseConv2dConfig(
  name: string,
  o: DepthwiseConv2DOptions,
  flavour: KerasFlavour,
): JsonObject {
  return {
    ...base(name, flavour),
    kernel_size: [...o.kernel],
    strides: [...(o.strides ?? [1, 1])],
    padding: o.padding ?? 'valid',
    data_format: 'channels_last',
    dilation_rate: [1, 1],
    activation: 'linear',
    use_bias: o.useBias ?? true,
    bias_initializer: initializer(flavour, 'zeros'),
    bias_regularizer: null,
    activity_regularizer: null,
    bias_constraint: null,
    depth_multiplier: o.depthMultiplier ?? 1,
    depthwise_initializer: o.initializer ?? initializer(flavour, 'glorot_uniform'),
    depthwise_regularizer: null,
    depthwise_constraint: null,
  };
}

export interface SeparableConv2DOptions {
  filters: number;
  kernel: Pair;
  strides?: Pair;
  padding?: 'valid' | 'same';
  useBias?: boolean;
  init?: 'glorot_uniform' | 'he_normal';
}

export function separableConv2dConfig(
  name: string,
  o: SeparableConv2DOptions,
  flavour: KerasFlavour,
): JsonObject {
  return {
    ...base(name, flavour),
    filters: o.filters,
    kernel_size: [...o.kernel],
    strides: [...(o.strides ?? [1, 1])],
    padding: o.padding ?? 'valid',
    data_format: 'channels_last',
    dilation_rate: [1, 1],
    activation: 'linear',
    use_bias: o.useBias ?? true,
    bias_initializer: initializer(flavour, 'zeros'),
    bias_regularizer: null,
    activity_regularizer: null,
    bias_constraint: null,
    depth_multiplier: 1,
    depthwise_initializer: initializer(flavour, o.init ?? 'glorot_uniform'),
    pointwise_initializer: initializer(flavour, o.init ?? 'glorot_uniform'),
    depthwise_regularizer: null,
    pointwise_regularizer: null,
    depthwise_constraint: null,
    pointwise_constraint: null,
  };
}

export interface BatchNormOptions {
  epsilon: number;
  axis?: number;
  scale?: boolean;
  center?: boolean;
  momentum?: number;
}

export function batchNormConfig(name: string, o: BatchNormOptions, flavour: KerasFlavour): JsonObject {
  return {
    ...base(name, flavour),
    axis: o.axis ?? 3,
    momentum: o.momentum ?? 0.99,
    epsilon: o.epsilon,
    center: o.center ?? true,
    scale: o.scale ?? true,
    beta_initializer: initializer(flavour, 'zeros'),
    gamma_initializer: initializer(flavour, 'ones'),
    moving_mean_initializer: initializer(flavour, 'zeros'),
    moving_variance_initializer: initializer(flavour, 'ones'),
    beta_regularizer: null,
    gamma_regularizer: null,
    beta_constraint: null,
    gamma_constraint: null,
  };
}

export function activationConfig(name: string, activation: string, flavour: KerasFlavour): JsonObject {
  return { ...base(name, flavour), activation };
}

/** keras.layers.ReLU: max_value null for a plain ReLU, 6 for ReLU(6.). */
export function reluConfig(name: string, maxValue: number | null, flavour: KerasFlavour): JsonObject {
  return { ...base(name, flavour), max_value: maxValue, negative_slope: 0, threshold: 0 };
}

export function reshapeConfig(
  name: string,
  targetShape: readonly number[],
  flavour: KerasFlavour,
): JsonObject {
  return { ...base(name, flavour), target_shape: [...targetShape] };
}

export function dropoutConfig(
  name: string,
  rate: number,
  noiseShape: (number | null)[] | null,
  flavour: KerasFlavour,
): JsonObject {
  return { ...base(name, flavour), rate, noise_shape: noiseShape, seed: null };
}

/** keras.layers.Rescaling: x·scale + offset (scale and offset a number or one value per channel). */
export function rescalingConfig(
  name: string,
  scale: number | number[],
  offset: number,
  flavour: KerasFlavour,
): JsonObject {
  return { ...base(name, flavour), scale: Array.isArray(scale) ? [...scale] : scale, offset };
}

/** keras.layers.Normalization adapted beforehand: mean and variance are weights, not config. */
export function normalizationConfig(name: string, axis: number, flavour: KerasFlavour): JsonObject {
  return { ...base(name, flavour), axis: [axis], mean: null, variance: null };
}

export function croppingConfig(name: string, cropping: [Pair, Pair], flavour: KerasFlavour): JsonObject {
  return { ...base(name, flavour), cropping: cropping.map((p) => [...p]), data_format: 'channels_last' };
}

export function zeroPaddingConfig(name: string, padding: [Pair, Pair], flavour: KerasFlavour): JsonObject {
  return { ...base(name, flavour), padding: padding.map((p) => [...p]), data_format: 'channels_last' };
}

export interface PoolOptions {
  pool: Pair;
  strides: Pair;
  padding?: 'valid' | 'same';
}

export function pool2dConfig(name: string, o: PoolOptions, flavour: KerasFlavour): JsonObject {
  return {
    ...base(name, flavour),
    pool_size: [...o.pool],
    padding: o.padding ?? 'valid',
    strides: [...o.strides],
    data_format: 'channels_last',
  };
}

export function globalPoolConfig(name: string, flavour: KerasFlavour, keepdims = false): JsonObject {
  const config: JsonObject = { ...base(name, flavour), data_format: 'channels_last' };
  if (flavour !== 'keras-2.2') config['keepdims'] = keepdims;
  else if (keepdims) throw new Error('keepdims needs tf.keras');
  return config;
}

export function flattenConfig(name: string, flavour: KerasFlavour): JsonObject {
  return { ...base(name, flavour), data_format: 'channels_last' };
}

export function denseConfig(
  name: string,
  units: number,
  activation: string,
  flavour: KerasFlavour,
): JsonObject {
  return {
    ...base(name, flavour),
    units,
    activation,
    use_bias: true,
    kernel_initializer: initializer(flavour, 'glorot_uniform'),
    bias_initializer: initializer(flavour, 'zeros'),
    kernel_regularizer: null,
    bias_regularizer: null,
    activity_regularizer: null,
    kernel_constraint: null,
    bias_constraint: null,
  };
}

export function mergeConfig(name: string, flavour: KerasFlavour): JsonObject {
  return base(name, flavour);
}

export function concatenateConfig(name: string, axis: number, flavour: KerasFlavour): JsonObject {
  return { ...base(name, flavour), axis };
}

/** tf.keras' TFOpLambda (what `x + 3.` on a Keras tensor becomes): the TF function's name, e.g. '__operators__.add'. */
export function tfOpLambdaConfig(name: string, fn: string, flavour: KerasFlavour): JsonObject {
  if (flavour === 'keras-2.2') throw new Error('TFOpLambda needs tf.keras');
  return { name, trainable: true, dtype: 'float32', function: fn };
}
