import type { KerasLayer } from '../config.js';
import { floatAttr } from '../../onnx/index.js';
import { layerError, numberOr, type LoweringContext, type Value } from './context.js';

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
