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

/** [H, W, C] values → [C, H, W]. */
function hwcToChw(data: Float32Array, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let k = 0; k < c; k++) out[(k * h + y) * w + x] = data[(y * w + x) * c + k] as number;
  return out;
}

/**
 * LayerNormalization (keras/src/layers/normalization/layer_normalization.py; tf.keras 2 computes the
 * same): (x − mean) / √(variance + epsilon) · gamma + beta over `axis`, statistics per sample. ONNX
 * LayerNormalization normalises the trailing axes from one axis on, so the Keras axes must be the last
 * ones. On an image, H, W, C together are NCHW's trailing axes too; channels only (or W and C) go
 * through NHWC with a Transpose each side, except when H·W = 1.
 */
export function lowerLayerNormalization(ctx: LoweringContext, layer: KerasLayer, input: Value): Value {
  const c = layer.config;
  if (c['rms_scaling'] === true) throw layerError(ctx, layer, 'rms_scaling=True is not supported');
  const rank = input.shape.length;
  const raw = c['axis'] ?? -1;
  const list = (Array.isArray(raw) ? raw : [raw]).map(Number);
  const axes = [...new Set(list.map((a) => (a < 0 ? a + rank + 1 : a) - 1))].sort((a, b) => a - b);
  const suffix = axes.every((a, i) => a === rank - axes.length + i) && axes.length > 0;
  if (!suffix || (axes[0] as number) < 0) {
    throw layerError(
      ctx,
      layer,
      `axis ${JSON.stringify(raw)} is not supported; the normalised axes must be the last ones`,
    );
  }
  const paramDims = axes.map((a) => input.shape[a] as number);
  const expected: { role: string; dims: number[] }[] = [];
  if (c['scale'] !== false) expected.push({ role: 'gamma', dims: paramDims });
  if (c['center'] !== false) expected.push({ role: 'beta', dims: paramDims });
  const w = ctx.takeWeights(layer, expected);
  const size = paramDims.reduce((a, b) => a * b, 1);
  const gamma = c['scale'] !== false ? (w.shift() as Float32Array) : new Float32Array(size).fill(1);
  const beta = c['center'] !== false ? (w.shift() as Float32Array) : new Float32Array(size);
  const epsilon = floatAttr(numberOr(c['epsilon'], 1e-3));
  const base = layer.name;
  const norm = (x: string, axis: number, g: Float32Array, b: Float32Array, dims: number[]): string =>
    ctx.op(
      'LayerNormalization',
      [x, ctx.constFloat(`${base}/gamma`, g, dims), ctx.constFloat(`${base}/beta`, b, dims)],
      base,
      {
        axis,
        epsilon,
      },
    );
  if (rank !== 3)
    return { name: norm(input.name, (axes[0] as number) + 1, gamma, beta, paramDims), shape: input.shape };
  const [h, wd, ch] = input.shape as [number, number, number];
  if (axes.length === 3) {
    return {
      name: norm(input.name, 1, hwcToChw(gamma, h, wd, ch), hwcToChw(beta, h, wd, ch), [ch, h, wd]),
      shape: input.shape,
    };
  }
  if (axes.length === 1 && h * wd === 1) {
    return { name: norm(input.name, 1, gamma, beta, [ch, 1, 1]), shape: input.shape };
  }
  // Channels (or W and channels) of an image: normalise in NHWC.
  const nhwc = ctx.op('Transpose', [input.name], base, { perm: [0, 2, 3, 1] });
  const y = norm(nhwc, (axes[0] as number) + 1, gamma, beta, paramDims);
  return { name: ctx.op('Transpose', [y], base, { perm: [0, 3, 1, 2] }), shape: input.shape };
}
