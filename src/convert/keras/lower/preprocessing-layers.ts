import type { KerasLayer } from '../config.js';
import { layerError, type LoweringContext, type Value } from './context.js';

/** Keras' backend.epsilon(), the floor of Normalization's standard deviation. */
const KERAS_EPSILON = 1e-7;

/** A per-channel constant shaped to broadcast against the internal layout ([C, 1, 1] for NCHW images). */
function channelConst(ctx: LoweringContext, base: string, data: Float32Array, rank: number): string {
  const dims = data.length === 1 ? [] : rank === 3 ? [data.length, 1, 1] : [data.length];
  return ctx.constFloat(base, data, dims);
}

/** A config value that is one number, or one per channel (possibly nested, e.g. [[[a, b, c]]]). */
function perChannel(
  value: unknown,
  channels: number,
  what: string,
  ctx: LoweringContext,
  layer: KerasLayer,
): Float32Array {
  if (typeof value === 'number') return new Float32Array([value]);
  if (Array.isArray(value)) {
    const flat = value.flat(4) as unknown[];
    if (flat.every((v) => typeof v === 'number') && (flat.length === 1 || flat.length === channels)) {
      return Float32Array.from(flat as number[]);
    }
  }
  throw layerError(
    ctx,
    layer,
    `${what} ${JSON.stringify(value)} is neither a number nor one value per channel (${channels})`,
  );
}

/** keras/src/layers/preprocessing/rescaling.py: inputs · scale + offset (per channel when lists). */
export function lowerRescaling(ctx: LoweringContext, layer: KerasLayer, input: Value): Value {
  const rank = input.shape.length;
  const channels = input.shape[rank - 1] as number;
  const scale = perChannel(layer.config['scale'] ?? 1, channels, 'scale', ctx, layer);
  const offset = perChannel(layer.config['offset'] ?? 0, channels, 'offset', ctx, layer);
  let y = ctx.op('Mul', [input.name, channelConst(ctx, `${layer.name}/scale`, scale, rank)], layer.name);
  if (offset.some((v) => v !== 0)) {
    y = ctx.op('Add', [y, channelConst(ctx, `${layer.name}/offset`, offset, rank)], layer.name);
  }
  return { name: y, shape: input.shape };
}

/**
 * Normalization's kept axes: 'channel' (axis −1, or the last axis by number) or 'none' (axis None:
 * one mean and variance for everything). Other axes would keep spatial positions apart; refused.
 */
function normalisationAxes(ctx: LoweringContext, layer: KerasLayer, rank: number): 'channel' | 'none' {
  const raw = layer.config['axis'] === undefined ? -1 : layer.config['axis'];
  const axes = raw === null ? [] : Array.isArray(raw) ? raw : [raw];
  if (axes.length === 0) return 'none';
  if (axes.length === 1 && (axes[0] === -1 || axes[0] === rank)) return 'channel';
  throw layerError(
    ctx,
    layer,
    `axis ${JSON.stringify(raw)} is not supported; Normalization must keep the channel axis (-1) or none (None)`,
  );
}

/**
 * keras/src/layers/preprocessing/normalization.py (tf.keras 2's is the same formula):
 * (x − mean) / max(√variance, epsilon), or with `invert` mean + x · max(√variance, epsilon). mean and
 * variance come from the config when given there, else from the layer's weights (mean, variance, count)
 * written by adapt().
 */
export function lowerNormalization(ctx: LoweringContext, layer: KerasLayer, input: Value): Value {
  const rank = input.shape.length;
  const size = normalisationAxes(ctx, layer, rank) === 'channel' ? (input.shape[rank - 1] as number) : 1;
  let mean: Float32Array;
  let variance: Float32Array;
  const configMean = layer.config['mean'];
  if (configMean !== undefined && configMean !== null) {
    mean = perChannel(configMean, size, 'mean', ctx, layer);
    variance = perChannel(layer.config['variance'], size, 'variance', ctx, layer);
  } else {
    const [m, v] = ctx.takeWeights(
      layer,
      [
        { role: 'mean', dims: [size] },
        { role: 'variance', dims: [size] },
        { role: 'count', dims: [] },
      ],
      { sizeOnly: true },
    );
    mean = m as Float32Array;
    variance = v as Float32Array;
  }
  const std = Float32Array.from(variance, (v) => Math.max(Math.sqrt(v), KERAS_EPSILON));
  const meanName = channelConst(ctx, `${layer.name}/mean`, mean, rank);
  const stdName = channelConst(ctx, `${layer.name}/std`, std, rank);
  const y =
    layer.config['invert'] === true
      ? ctx.op('Add', [ctx.op('Mul', [input.name, stdName], layer.name), meanName], layer.name)
      : ctx.op('Div', [ctx.op('Sub', [input.name, meanName], layer.name), stdName], layer.name);
  return { name: y, shape: input.shape };
}
