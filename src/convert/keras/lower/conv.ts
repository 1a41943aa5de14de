import type { KerasLayer } from '../config.js';
import { activationOf, applyActivation } from './activations.js';
import { layerError, numberOr, pair, type LoweringContext, type Value } from './context.js';
import { depthwiseToOnnxDeferred, hwioToOihwDeferred } from './kernel-layout.js';

/** TensorFlow's padding for one spatial axis: output size and [before, after] pads. */
export function tfPadding(
  size: number,
  kernel: number,
  stride: number,
  dilation: number,
  padding: string,
): { out: number; before: number; after: number } {
  const effective = (kernel - 1) * dilation + 1;
  if (padding === 'valid') return { out: Math.floor((size - effective) / stride) + 1, before: 0, after: 0 };
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + effective - size, 0);
  const before = Math.floor(total / 2);
  return { out, before, after: total - before };
}

export interface SpatialGeometry {
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
  pads: [number, number, number, number];
  outH: number;
  outW: number;
}

export function spatialGeometry(
  ctx: LoweringContext,
  layer: KerasLayer,
  input: Value,
  kernel: [number, number],
  strides: [number, number],
  dilations: [number, number],
): SpatialGeometry {
  const padding = String(layer.config['padding'] ?? 'valid').toLowerCase();
  if (padding !== 'valid' && padding !== 'same') {
    throw layerError(ctx, layer, `padding '${padding}' is not supported (valid, same)`);
  }
  const format = layer.config['data_format'];
  if (format !== undefined && format !== null && format !== 'channels_last') {
    throw layerError(ctx, layer, `data_format '${String(format)}' is not supported; only channels_last`);
  }
  if (input.shape.length !== 3) {
    throw layerError(
      ctx,
      layer,
      `expects an image tensor (H, W, C) but got shape [${input.shape.join(', ')}]`,
    );
  }
  const [h, w] = input.shape as [number, number, number];
  const y = tfPadding(h, kernel[0], strides[0], dilations[0], padding);
  const x = tfPadding(w, kernel[1], strides[1], dilations[1], padding);
  if (y.out <= 0 || x.out <= 0) {
    throw layerError(ctx, layer, `the ${h}×${w} input is smaller than the ${kernel[0]}×${kernel[1]} window`);
  }
  return {
    kernel,
    strides,
    dilations,
    pads: [y.before, x.before, y.after, x.after],
    outH: y.out,
    outW: x.out,
  };
}

function convAttributes(g: SpatialGeometry, group: number): Record<string, number[] | number> {
  return { kernel_shape: g.kernel, strides: g.strides, dilations: g.dilations, pads: g.pads, group };
}

/** The layer's own `activation`, applied to its output (a trailing softmax dropped when asked). */
export function finish(
  ctx: LoweringContext,
  layer: KerasLayer,
  name: string,
  shape: number[],
  skipSoftmax: boolean,
): Value {
  const activation = activationOf(layer.config['activation']);
  const value = { name, shape };
  if (skipSoftmax && activation.name === 'softmax') return value;
  return applyActivation(ctx, value, activation, layer.name, `layer '${layer.name}' (${layer.className})`);
}

/** Output geometry from a convolution layer's own kernel_size, strides and dilation_rate. */
function layerGeometry(ctx: LoweringContext, layer: KerasLayer, input: Value): SpatialGeometry {
  const c = layer.config;
  return spatialGeometry(
    ctx,
    layer,
    input,
    pair(c['kernel_size'], [1, 1]),
    pair(c['strides'], [1, 1]),
    pair(c['dilation_rate'], [1, 1]),
  );
}

export function lowerConv2D(
  ctx: LoweringContext,
  layer: KerasLayer,
  input: Value,
  skipSoftmax = false,
): Value {
  const c = layer.config;
  const g = layerGeometry(ctx, layer, input);
  const kernel = g.kernel;
  const filters = numberOr(c['filters'], 0);
  const groups = numberOr(c['groups'], 1);
  const useBias = c['use_bias'] !== false;
  const cin = input.shape[2] as number;
  if (filters <= 0 || cin % groups !== 0)
    throw layerError(ctx, layer, `invalid filters/groups for ${cin} input channels`);
  const expected = [{ role: 'kernel', dims: [kernel[0], kernel[1], cin / groups, filters] }];
  if (useBias) expected.push({ role: 'bias', dims: [filters] });
  const [k, bias] = ctx.takeWeights(layer, expected);
  const w = ctx.constFloat(
    `${layer.name}/kernel`,
    hwioToOihwDeferred(k as Float32Array, kernel[0], kernel[1], cin / groups, filters),
    [filters, cin / groups, kernel[0], kernel[1]],
  );
  const inputs = [input.name, w];
  if (bias) inputs.push(ctx.constFloat(`${layer.name}/bias`, bias, [filters]));
  const y = ctx.op('Conv', inputs, layer.name, convAttributes(g, groups));
  return finish(ctx, layer, y, [g.outH, g.outW, filters], skipSoftmax);
}

function depthwise(
  ctx: LoweringContext,
  layer: KerasLayer,
  input: Value,
  kernelData: Float32Array,
  g: SpatialGeometry,
  multiplier: number,
  bias: Float32Array | undefined,
): { name: string; channels: number } {
  const cin = input.shape[2] as number;
  const channels = cin * multiplier;
  const w = ctx.constFloat(
    `${layer.name}/depthwise_kernel`,
    depthwiseToOnnxDeferred(kernelData, g.kernel[0], g.kernel[1], cin, multiplier),
    [channels, 1, g.kernel[0], g.kernel[1]],
  );
  const inputs = [input.name, w];
  if (bias) inputs.push(ctx.constFloat(`${layer.name}/bias`, bias, [channels]));
  return { name: ctx.op('Conv', inputs, `${layer.name}/depthwise`, convAttributes(g, cin)), channels };
}

export function lowerDepthwiseConv2D(
  ctx: LoweringContext,
  layer: KerasLayer,
  input: Value,
  skipSoftmax = false,
): Value {
  const c = layer.config;
  const g = layerGeometry(ctx, layer, input);
  const kernel = g.kernel;
  const m = numberOr(c['depth_multiplier'], 1);
  const cin = input.shape[2] as number;
  const expected = [{ role: 'depthwise_kernel', dims: [kernel[0], kernel[1], cin, m] }];
  if (c['use_bias'] !== false) expected.push({ role: 'bias', dims: [cin * m] });
  const [k, bias] = ctx.takeWeights(layer, expected);
  const d = depthwise(ctx, layer, input, k as Float32Array, g, m, bias);
  return finish(ctx, layer, d.name, [g.outH, g.outW, d.channels], skipSoftmax);
}

export function lowerSeparableConv2D(
  ctx: LoweringContext,
  layer: KerasLayer,
  input: Value,
  skipSoftmax = false,
): Value {
  const c = layer.config;
  const g = layerGeometry(ctx, layer, input);
  const kernel = g.kernel;
  const m = numberOr(c['depth_multiplier'], 1);
  const filters = numberOr(c['filters'], 0);
  const cin = input.shape[2] as number;
  const expected = [
    { role: 'depthwise_kernel', dims: [kernel[0], kernel[1], cin, m] },
    { role: 'pointwise_kernel', dims: [1, 1, cin * m, filters] },
  ];
  if (c['use_bias'] !== false) expected.push({ role: 'bias', dims: [filters] });
  const [dk, pk, bias] = ctx.takeWeights(layer, expected);
  const d = depthwise(ctx, layer, input, dk as Float32Array, g, m, undefined);
  const pw = ctx.constFloat(
    `${layer.name}/pointwise_kernel`,
    hwioToOihwDeferred(pk as Float32Array, 1, 1, d.channels, filters),
    [filters, d.channels, 1, 1],
  );
  const inputs = [d.name, pw];
  if (bias) inputs.push(ctx.constFloat(`${layer.name}/bias`, bias, [filters]));
  const y = ctx.op('Conv', inputs, `${layer.name}/pointwise`, { kernel_shape: [1, 1] });
  return finish(ctx, layer, y, [g.outH, g.outW, filters], skipSoftmax);
}

export function lowerDense(
  ctx: LoweringContext,
  layer: KerasLayer,
  input: Value,
  skipSoftmax = false,
): Value {
  const units = numberOr(layer.config['units'], 0);
  const inFeatures = input.shape[input.shape.length - 1];
  if (units <= 0 || inFeatures === undefined) {
    throw layerError(
      ctx,
      layer,
      `invalid units ${String(layer.config['units'])} for input [${input.shape.join(', ')}]`,
    );
  }
  const useBias = layer.config['use_bias'] !== false;
  const expected = [{ role: 'kernel', dims: [inFeatures, units] }];
  if (useBias) expected.push({ role: 'bias', dims: [units] });
  const [k, bias] = ctx.takeWeights(layer, expected);
  const kernel = k as Float32Array;
  const outShape = [...input.shape.slice(0, -1), units];
  if (input.shape.length === 3) {
    // Dense on an image tensor acts on the channel axis: exactly a 1×1 convolution in NCHW.
    const w = ctx.constFloat(`${layer.name}/kernel`, hwioToOihwDeferred(kernel, 1, 1, inFeatures, units), [
      units,
      inFeatures,
      1,
      1,
    ]);
    const inputs = [input.name, w];
    if (bias) inputs.push(ctx.constFloat(`${layer.name}/bias`, bias, [units]));
    return finish(
      ctx,
      layer,
      ctx.op('Conv', inputs, layer.name, { kernel_shape: [1, 1] }),
      outShape,
      skipSoftmax,
    );
  }
  const w = ctx.constFloat(`${layer.name}/kernel`, kernel, [inFeatures, units]);
  if (input.shape.length === 1) {
    const inputs = [input.name, w];
    if (bias) inputs.push(ctx.constFloat(`${layer.name}/bias`, bias, [units]));
    return finish(ctx, layer, ctx.op('Gemm', inputs, layer.name), outShape, skipSoftmax);
  }
  // Other ranks keep Keras' layout: MatMul over the last axis.
  let y = ctx.op('MatMul', [input.name, w], layer.name);
  if (bias) y = ctx.op('Add', [y, ctx.constFloat(`${layer.name}/bias`, bias, [units])], layer.name);
  return finish(ctx, layer, y, outShape, skipSoftmax);
}
