import type { KerasLayer } from '../config.js';
import { layerError, type LoweringContext, type Value } from './context.js';

/**
 * Layers that move values between axes. Keras orders values channels-last (NHWC); image tensors are
 * NCHW inside the graph, so these go through Keras' order — with no Transpose where the two orders
 * coincide (H·W = 1 or C = 1: a [1, 1, C] squeeze-and-excite tensor, a 1×1 head before Flatten).
 */

/** NCHW and NHWC hold this shape's values in the same order (or it is not an image tensor). */
function sameOrderAsKeras(shape: readonly number[]): boolean {
  return shape.length !== 3 || (shape[0] as number) * (shape[1] as number) === 1 || shape[2] === 1;
}

/** The graph's dims for a Keras shape (without batch): NCHW for rank 3. */
function internalDims(shape: readonly number[]): number[] {
  return shape.length === 3 ? [shape[2] as number, shape[0] as number, shape[1] as number] : [...shape];
}

const NCHW_TO_NHWC = [0, 2, 3, 1];
const NHWC_TO_NCHW = [0, 3, 1, 2];

/** transpose(transpose(x, first), then) as one permutation. */
function compose(first: readonly number[], then: readonly number[]): number[] {
  return then.map((i) => first[i] as number);
}

function toKerasOrder(ctx: LoweringContext, input: Value, base: string): string {
  if (sameOrderAsKeras(input.shape)) return input.name;
  return ctx.op('Transpose', [input.name], base, { perm: NCHW_TO_NHWC });
}

/** Reshapes values in Keras order to `shape`, in the graph's layout for that shape. */
function reshapeFromKerasOrder(ctx: LoweringContext, name: string, shape: number[], base: string): Value {
  if (sameOrderAsKeras(shape)) {
    const dims = ctx.constInt64(`${base}/shape`, [0, ...internalDims(shape)]);
    return { name: ctx.op('Reshape', [name, dims], base), shape };
  }
  const nhwc = ctx.op('Reshape', [name, ctx.constInt64(`${base}/shape`, [0, ...shape])], base);
  return { name: ctx.op('Transpose', [nhwc], base, { perm: NHWC_TO_NCHW }), shape };
}

export function lowerFlatten(ctx: LoweringContext, layer: KerasLayer, input: Value): Value {
  if (input.shape.length === 1) return input;
  // Keras flattens in NHWC order, which Dense kernels' rows follow.
  const size = input.shape.reduce((a, b) => a * b, 1);
  const keras = toKerasOrder(ctx, input, layer.name);
  return { name: ctx.op('Flatten', [keras], layer.name, { axis: 1 }), shape: [size] };
}

/** keras/src/layers/reshaping/reshape.py: target_shape without the batch axis; one −1 is inferred. */
export function lowerReshape(ctx: LoweringContext, layer: KerasLayer, input: Value): Value {
  const target = layer.config['target_shape'];
  const size = input.shape.reduce((a, b) => a * b, 1);
  const valid =
    Array.isArray(target) &&
    target.length > 0 &&
    target.every((d) => Number.isInteger(d) && (d === -1 || (d as number) > 0)) &&
    target.filter((d) => d === -1).length <= 1;
  if (!valid) {
    throw layerError(
      ctx,
      layer,
      `target_shape ${JSON.stringify(target)} must be a list of positive integers with at most one -1`,
    );
  }
  const dims = target as number[];
  const known = dims.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const shape = dims.map((d) => (d === -1 ? size / known : d));
  if (shape.reduce((a, b) => a * b, 1) !== size || shape.some((d) => !Number.isInteger(d))) {
    throw layerError(
      ctx,
      layer,
      `cannot reshape [${input.shape.join(', ')}] (${size} values) to [${dims.join(', ')}]`,
    );
  }
  return reshapeFromKerasOrder(ctx, toKerasOrder(ctx, input, layer.name), shape, layer.name);
}

/** keras/src/layers/reshaping/permute.py: `dims` permutes the non-batch axes, numbered from 1. */
export function lowerPermute(ctx: LoweringContext, layer: KerasLayer, input: Value): Value {
  const raw = layer.config['dims'];
  const rank = input.shape.length;
  const dims = Array.isArray(raw) ? (raw as unknown[]) : [];
  const valid =
    dims.length === rank && [...dims].sort((a, b) => Number(a) - Number(b)).every((d, i) => d === i + 1);
  if (!valid) {
    throw layerError(
      ctx,
      layer,
      `dims ${JSON.stringify(raw)} is not a permutation of 1…${rank} for input [${input.shape.join(', ')}]`,
    );
  }
  const perm = [0, ...(dims as number[])];
  const shape = perm.slice(1).map((d) => input.shape[d - 1] as number);
  // One Transpose: from the graph's layout to Keras', Keras' permutation, back to the graph's layout.
  let full = rank === 3 ? compose(NCHW_TO_NHWC, perm) : perm;
  if (shape.length === 3) full = compose(full, NHWC_TO_NCHW);
  if (full.every((d, i) => d === i)) return { name: input.name, shape };
  return { name: ctx.op('Transpose', [input.name], layer.name, { perm: full }), shape };
}
