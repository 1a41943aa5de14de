import { NetlensError } from '../../../core/errors.js';
import type { KerasLayer } from '../config.js';
import { lowerConv2D, lowerDense, lowerDepthwiseConv2D, lowerSeparableConv2D } from './conv.js';
import {
  lowerActivationLayer,
  lowerELU,
  lowerLeakyReLU,
  lowerPReLU,
  lowerReLU,
  lowerSoftmax,
  lowerThresholdedReLU,
} from './activation-layers.js';
import { lowerBatchNormalization, lowerLayerNormalization } from './normalization-layers.js';
import { layerError, type LoweringContext, type Value } from './context.js';
import { lowerNormalization, lowerRescaling } from './preprocessing-layers.js';
import { lowerFlatten, lowerPermute, lowerReshape } from './reshape-layers.js';
import { lowerConcatenate, lowerElementwise } from './merge.js';
import { lowerTfOp } from './tf-ops.js';
import { lowerConv2DTranspose, lowerUpSampling2D } from './upsampling.js';
import { lowerCropping2D, lowerGlobalPool2D, lowerPool2D, lowerZeroPadding2D } from './pool.js';

/** A single-input layer lowering. `skipSoftmax` drops a trailing softmax (for logits outputs). */
type UnaryLowering = (ctx: LoweringContext, layer: KerasLayer, input: Value, skipSoftmax: boolean) => Value;
type MergeLowering = (ctx: LoweringContext, layer: KerasLayer, inputs: Value[]) => Value;

const identity: UnaryLowering = (_ctx, _layer, input) => input;

const UNARY: Record<string, UnaryLowering> = {
  Conv2D: lowerConv2D,
  Convolution2D: lowerConv2D,
  DepthwiseConv2D: lowerDepthwiseConv2D,
  SeparableConv2D: lowerSeparableConv2D,
  SeparableConvolution2D: lowerSeparableConv2D,
  Conv2DTranspose: lowerConv2DTranspose,
  Convolution2DTranspose: lowerConv2DTranspose,
  UpSampling2D: lowerUpSampling2D,
  Dense: lowerDense,
  BatchNormalization: lowerBatchNormalization,
  LayerNormalization: lowerLayerNormalization,
  Activation: lowerActivationLayer,
  ReLU: lowerReLU,
  LeakyReLU: lowerLeakyReLU,
  PReLU: lowerPReLU,
  ELU: lowerELU,
  ThresholdedReLU: lowerThresholdedReLU,
  Softmax: lowerSoftmax,
  MaxPooling2D: (c, l, x) => lowerPool2D(c, l, x, 'max'),
  MaxPool2D: (c, l, x) => lowerPool2D(c, l, x, 'max'),
  AveragePooling2D: (c, l, x) => lowerPool2D(c, l, x, 'avg'),
  AvgPool2D: (c, l, x) => lowerPool2D(c, l, x, 'avg'),
  GlobalAveragePooling2D: (c, l, x) => lowerGlobalPool2D(c, l, x, 'avg'),
  GlobalAvgPool2D: (c, l, x) => lowerGlobalPool2D(c, l, x, 'avg'),
  GlobalMaxPooling2D: (c, l, x) => lowerGlobalPool2D(c, l, x, 'max'),
  GlobalMaxPool2D: (c, l, x) => lowerGlobalPool2D(c, l, x, 'max'),
  ZeroPadding2D: lowerZeroPadding2D,
  Cropping2D: lowerCropping2D,
  Flatten: lowerFlatten,
  Reshape: lowerReshape,
  Permute: lowerPermute,
  Rescaling: lowerRescaling,
  Normalization: lowerNormalization,
  Dropout: identity,
  SpatialDropout2D: identity,
  GaussianNoise: identity,
  GaussianDropout: identity,
  AlphaDropout: identity,
  ActivityRegularization: identity,
};

const MERGE: Record<string, MergeLowering> = {
  Add: lowerElementwise,
  Subtract: lowerElementwise,
  Multiply: lowerElementwise,
  Average: lowerElementwise,
  Maximum: lowerElementwise,
  Minimum: lowerElementwise,
  Concatenate: lowerConcatenate,
};

export const SUPPORTED_LAYERS: readonly string[] = [
  'InputLayer',
  ...Object.keys(UNARY),
  ...Object.keys(MERGE),
  'TFOpLambda',
  'Functional',
  'Model',
  'Sequential',
].sort();

export function lowerLayer(
  ctx: LoweringContext,
  layer: KerasLayer,
  inputs: Value[],
  skipSoftmax: boolean,
  kwargs: Record<string, unknown> = {},
): Value {
  if (layer.className === 'TFOpLambda') return lowerTfOp(ctx, layer, inputs, kwargs);
  const merge = MERGE[layer.className];
  if (merge) return merge(ctx, layer, inputs);
  const unary = UNARY[layer.className];
  if (!unary) throw unsupportedLayer(ctx.source, layer);
  const [input] = inputs;
  if (!input || inputs.length !== 1) throw layerError(ctx, layer, `expects one input, got ${inputs.length}`);
  return unary(ctx, layer, input, skipSoftmax);
}

export function unsupportedLayer(source: string, layer: KerasLayer): NetlensError {
  if (layer.className === 'Lambda') {
    return new NetlensError(
      'unsupported_layer',
      `${source}: layer '${layer.name}' is a Lambda layer. Lambda layers hold arbitrary Python code (stored as ` +
        `marshalled bytecode) that cannot be read outside Python, so no converter can translate them. Replace the ` +
        `Lambda with built-in layers (e.g. Rescaling, Activation, Reshape) in Keras, save the model again and convert that.`,
      { details: { layer: layer.name, className: 'Lambda', supported: SUPPORTED_LAYERS } },
    );
  }
  return new NetlensError(
    'unsupported_layer',
    `${source}: layer '${layer.name}' has class ${layer.className}, which the converter does not support. ` +
      `Supported layers: ${SUPPORTED_LAYERS.join(', ')}`,
    { details: { layer: layer.name, className: layer.className, supported: SUPPORTED_LAYERS } },
  );
}
