import type { KerasLayer } from '../config.js';
import { floatAttr } from '../../onnx/index.js';
import { activationOf, applyActivation } from './activations.js';
import { layerError, numberOr, onnxAxis, type LoweringContext, type Value } from './context.js';

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

function channelAxisOk(axis: unknown, rank: number): boolean {
  const a = Array.isArray(axis) ? axis : [axis ?? -1];
  if (a.length !== 1) return false;
  const v = Number(a[0]);
  return v === -1 || v === rank;
}

export function lowerBatchNormalization(ctx: LoweringContext, layer: KerasLayer, input: Value): Value {
  const c = layer.config;
  const rank = input.shape.length;
  if (!channelAxisOk(c['axis'], rank)) {
    throw layerError(
      ctx,
      layer,
      `axis ${JSON.stringify(c['axis'])} is not supported; only the channel axis (-1)`,
    );
  }
  const channels = input.shape[rank - 1] as number;
  const center = c['center'] !== false;
  const scale = c['scale'] !== false;
  const epsilon = numberOr(c['epsilon'], 1e-3);
  const expected: { role: string; dims: number[] }[] = [];
  if (scale) expected.push({ role: 'gamma', dims: [channels] });
  if (center) expected.push({ role: 'beta', dims: [channels] });
  expected.push({ role: 'moving_mean', dims: [channels] }, { role: 'moving_variance', dims: [channels] });
  const w = ctx.takeWeights(layer, expected);
  let i = 0;
  const gamma = scale ? (w[i++] as Float32Array) : new Float32Array(channels).fill(1);
  const beta = center ? (w[i++] as Float32Array) : new Float32Array(channels);
  const mean = w[i++] as Float32Array;
  const variance = w[i++] as Float32Array;
  if (rank === 3 || rank === 1) {
    const inputs = [
      input.name,
      ctx.constFloat(`${layer.name}/gamma`, gamma, [channels]),
      ctx.constFloat(`${layer.name}/beta`, beta, [channels]),
      ctx.constFloat(`${layer.name}/moving_mean`, mean, [channels]),
      ctx.constFloat(`${layer.name}/moving_variance`, variance, [channels]),
    ];
    return {
      name: ctx.op('BatchNormalization', inputs, layer.name, { epsilon: floatAttr(epsilon) }),
      shape: input.shape,
    };
  }
  // Other ranks keep Keras layout (channels last): x·s + t with s = γ/√(σ²+ε), t = β − μ·s.
  const s = new Float32Array(channels);
  const t = new Float32Array(channels);
  for (let k = 0; k < channels; k++) {
    const sk = (gamma[k] as number) / Math.sqrt((variance[k] as number) + epsilon);
    s[k] = sk;
    t[k] = (beta[k] as number) - (mean[k] as number) * sk;
  }
  const mul = ctx.op('Mul', [input.name, ctx.constFloat(`${layer.name}/scale`, s, [channels])], layer.name);
  return {
    name: ctx.op('Add', [mul, ctx.constFloat(`${layer.name}/shift`, t, [channels])], layer.name),
    shape: input.shape,
  };
}
