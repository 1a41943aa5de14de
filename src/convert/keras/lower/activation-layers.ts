import type { KerasLayer } from '../config.js';
import { floatAttr } from '../../onnx/index.js';
import { activationOf, applyActivation } from './activations.js';
import { layerError, numberOr, onnxAxis, type LoweringContext, type Value } from './context.js';

/** Activation layers (keras/src/layers/activations/*.py), each one ONNX op where Keras' formula allows. */

export function lowerActivationLayer(
  ctx: LoweringContext,
  layer: KerasLayer,
  input: Value,
  skipSoftmax = false,
): Value {
  const activation = activationOf(layer.config['activation']);
  if (skipSoftmax && activation.name === 'softmax') return input;
  return applyActivation(ctx, input, activation, layer.name, `layer '${layer.name}' (Activation)`);
}

export function lowerSoftmax(
  ctx: LoweringContext,
  layer: KerasLayer,
  input: Value,
  skipSoftmax = false,
): Value {
  if (skipSoftmax) return input;
  const axisValue = layer.config['axis'];
  const axis =
    typeof axisValue === 'number' ? axisValue : Array.isArray(axisValue) ? Number(axisValue[0]) : -1;
  return {
    name: ctx.op('Softmax', [input.name], layer.name, { axis: onnxAxis(axis, input.shape.length) }),
    shape: input.shape,
  };
}

/**
 * Keras ReLU (keras/src/activations/activations.py `ReLU.static_call`, the same in tf.keras 2's
 * backend.relu): for x > threshold, x clipped to [0, max_value]; otherwise negative_slope·(x − threshold).
 * The common forms are single ops onnxruntime fuses into a preceding Conv: Relu, Clip(0, max_value)
 * (ReLU(6.) in MobileNets; a Relu followed by Min is not fused), LeakyRelu.
 */
export function lowerReLU(ctx: LoweringContext, layer: KerasLayer, input: Value): Value {
  const c = layer.config;
  const maxValue = typeof c['max_value'] === 'number' ? c['max_value'] : undefined;
  const slope = numberOr(c['negative_slope'], 0);
  const threshold = numberOr(c['threshold'], 0);
  const base = layer.name;
  const clip = (x: string): string =>
    maxValue === undefined
      ? x
      : ctx.op('Clip', [x, ctx.scalar(`${base}/min`, 0), ctx.scalar(`${base}/max_value`, maxValue)], base);
  let y: string;
  if (threshold === 0 && slope === 0) {
    y = maxValue === undefined ? ctx.op('Relu', [input.name], base) : clip(input.name);
  } else if (threshold === 0) {
    // x < 0: slope·x; x ≥ 0: min(x, max_value).
    y = ctx.op('LeakyRelu', [input.name], base, { alpha: floatAttr(slope) });
    if (maxValue !== undefined) y = ctx.op('Min', [y, ctx.scalar(`${base}/max_value`, maxValue)], base);
  } else {
    const t = ctx.scalar(`${base}/threshold`, threshold);
    const above = ctx.op('Greater', [input.name, t], base);
    const below =
      slope === 0
        ? ctx.scalar(`${base}/zero`, 0)
        : ctx.op(
            'Mul',
            [ctx.op('Sub', [input.name, t], base), ctx.scalar(`${base}/negative_slope`, slope)],
            base,
          );
    y = ctx.op('Where', [above, clip(input.name), below], base);
  }
  return { name: y, shape: input.shape };
}

export function lowerLeakyReLU(ctx: LoweringContext, layer: KerasLayer, input: Value): Value {
  const alpha = numberOr(layer.config['negative_slope'], numberOr(layer.config['alpha'], 0.3));
  return {
    name: ctx.op('LeakyRelu', [input.name], layer.name, { alpha: floatAttr(alpha) }),
    shape: input.shape,
  };
}

/** ELU: x > 0 ? x : alpha·(exp(x) − 1) (keras/src/layers/activations/elu.py). */
export function lowerELU(ctx: LoweringContext, layer: KerasLayer, input: Value): Value {
  const alpha = numberOr(layer.config['alpha'], 1);
  return { name: ctx.op('Elu', [input.name], layer.name, { alpha: floatAttr(alpha) }), shape: input.shape };
}

/** tf.keras ThresholdedReLU: x > theta ? x : 0 (Keras 3 dropped the layer). ONNX ThresholdedRelu exactly. */
export function lowerThresholdedReLU(ctx: LoweringContext, layer: KerasLayer, input: Value): Value {
  const theta = numberOr(layer.config['theta'], 1);
  return {
    name: ctx.op('ThresholdedRelu', [input.name], layer.name, { alpha: floatAttr(theta) }),
    shape: input.shape,
  };
}

/**
 * PReLU (keras/src/layers/activations/prelu.py): x ≥ 0 ? x : alpha·x with a learned alpha shaped like
 * the input without batch, size 1 on `shared_axes` (numbered from 1). ONNX PRelu broadcasts the slope
 * the same way once it is laid out like the graph's tensor (CHW for images).
 */
export function lowerPReLU(ctx: LoweringContext, layer: KerasLayer, input: Value): Value {
  const raw = layer.config['shared_axes'];
  const shared = raw === null || raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  const rank = input.shape.length;
  if (!shared.every((a) => Number.isInteger(a) && (a as number) >= 1 && (a as number) <= rank)) {
    throw layerError(ctx, layer, `shared_axes ${JSON.stringify(raw)} must be axes 1…${rank}`);
  }
  const dims = input.shape.map((d, i) => (shared.includes(i + 1) ? 1 : d));
  const [alpha] = ctx.takeWeights(layer, [{ role: 'alpha', dims }]);
  let slope = alpha as Float32Array;
  let slopeDims = dims;
  if (rank === 3) {
    // [H, W, C] → [C, H, W]
    const [h, w, c] = dims as [number, number, number];
    const chw = new Float32Array(slope.length);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let k = 0; k < c; k++) chw[(k * h + y) * w + x] = slope[(y * w + x) * c + k] as number;
    slope = chw;
    slopeDims = [c, h, w];
  }
  const s = ctx.constFloat(`${layer.name}/alpha`, slope, slopeDims);
  return { name: ctx.op('PRelu', [input.name, s], layer.name), shape: input.shape };
}
