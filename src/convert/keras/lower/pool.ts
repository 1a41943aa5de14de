import type { KerasLayer } from '../config.js';
import { spatialGeometry } from './conv.js';
import { layerError, pair, type LoweringContext, type Value } from './context.js';

export function lowerPool2D(
  ctx: LoweringContext,
  layer: KerasLayer,
  input: Value,
  kind: 'max' | 'avg',
): Value {
  const c = layer.config;
  const size = pair(c['pool_size'], [2, 2]);
  const strides = c['strides'] === null || c['strides'] === undefined ? size : pair(c['strides'], size);
  const g = spatialGeometry(ctx, layer, input, size, strides, [1, 1]);
  const attributes = { kernel_shape: g.kernel, strides: g.strides, pads: g.pads };
  // A 'valid' MaxPool says so with auto_pad VALID rather than zero pads: onnxruntime's PadFusion folds a
  // preceding zero Pad (Keras ZeroPadding2D) into a MaxPool's pads, where padding means −∞, which changes
  // the result wherever a window's real values are all negative (ResNetV2's stem). It leaves auto_pad alone.
  const maxAttributes = g.pads.every((p) => p === 0)
    ? { kernel_shape: g.kernel, strides: g.strides, auto_pad: 'VALID' }
    : attributes;
  const y =
    kind === 'max'
      ? ctx.op('MaxPool', [input.name], layer.name, maxAttributes)
      : // TF excludes padded cells from the mean.
        ctx.op('AveragePool', [input.name], layer.name, { ...attributes, count_include_pad: 0 });
  return { name: y, shape: [g.outH, g.outW, input.shape[2] as number] };
}

export function lowerGlobalPool2D(
  ctx: LoweringContext,
  layer: KerasLayer,
  input: Value,
  kind: 'max' | 'avg',
): Value {
  if (input.shape.length !== 3) {
    throw layerError(
      ctx,
      layer,
      `expects an image tensor (H, W, C) but got shape [${input.shape.join(', ')}]`,
    );
  }
  const channels = input.shape[2] as number;
  const pooled = ctx.op(kind === 'max' ? 'GlobalMaxPool' : 'GlobalAveragePool', [input.name], layer.name);
  if (layer.config['keepdims'] === true) return { name: pooled, shape: [1, 1, channels] };
  return { name: ctx.op('Flatten', [pooled], layer.name, { axis: 1 }), shape: [channels] };
}

/** Reads ((top, bottom), (left, right)) from an int, a pair of ints or a pair of pairs. */
function amounts(value: unknown): [number, number, number, number] {
  if (typeof value === 'number') return [value, value, value, value];
  if (Array.isArray(value) && value.length === 2) {
    const [a, b] = value as unknown[];
    if (typeof a === 'number' && typeof b === 'number') return [a, a, b, b];
    if (Array.isArray(a) && Array.isArray(b)) return [Number(a[0]), Number(a[1]), Number(b[0]), Number(b[1])];
  }
  return [1, 1, 1, 1];
}

export function lowerZeroPadding2D(ctx: LoweringContext, layer: KerasLayer, input: Value): Value {
  const [top, bottom, left, right] = amounts(layer.config['padding']);
  const [h, w, ch] = input.shape as [number, number, number];
  const pads = ctx.constInt64(`${layer.name}/pads`, [0, 0, top, left, 0, 0, bottom, right]);
  const y = ctx.op('Pad', [input.name, pads], layer.name, { mode: 'constant' });
  return { name: y, shape: [h + top + bottom, w + left + right, ch] };
}

export function lowerCropping2D(ctx: LoweringContext, layer: KerasLayer, input: Value): Value {
  const [top, bottom, left, right] = amounts(layer.config['cropping']);
  const [h, w, ch] = input.shape as [number, number, number];
  const starts = ctx.constInt64(`${layer.name}/starts`, [top, left]);
  const ends = ctx.constInt64(`${layer.name}/ends`, [h - bottom, w - right]);
  const axes = ctx.constInt64(`${layer.name}/axes`, [2, 3]);
  const y = ctx.op('Slice', [input.name, starts, ends, axes], layer.name);
  return { name: y, shape: [h - top - bottom, w - left - right, ch] };
}
