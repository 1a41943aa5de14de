import type { KerasLayer } from '../config.js';
import { fromKerasLayout, layerError, onnxAxis, type LoweringContext, type Value } from './context.js';

/** Element-wise merges and their ONNX op; every one of these ONNX ops broadcasts like numpy. */
const ELEMENTWISE: Record<string, string> = {
  Add: 'Add',
  Subtract: 'Sub',
  Multiply: 'Mul',
  Maximum: 'Max',
  Minimum: 'Min',
  Average: 'Mean',
};

/**
 * The output shape of an element-wise merge, by Keras' rule (keras/src/layers/merging/base_merge.py,
 * `_compute_elemwise_op_output_shape`): shapes are aligned on their last axis; each axis pair must be
 * equal or one of them 1.
 */
export function broadcastShapes(
  ctx: LoweringContext,
  layer: KerasLayer,
  shapes: readonly (readonly number[])[],
): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const shape of shapes) {
    const offset = rank - shape.length;
    shape.forEach((d, i) => {
      const current = out[offset + i] as number;
      if (current !== 1 && d !== 1 && current !== d) {
        throw layerError(
          ctx,
          layer,
          `inputs have incompatible shapes for broadcasting (${shapes.map((s) => `[${s.join(', ')}]`).join(' vs ')}): ` +
            `axis sizes must be equal or 1`,
        );
      }
      out[offset + i] = current === 1 ? d : current;
    });
  }
  return out;
}

/**
 * Brings a value to `rank` the way Keras' merge call does when ranks differ: insert axes of size 1
 * right after the batch axis (base_merge.py `call`, `ops.expand_dims(x, axis=1)` repeated), in the
 * internal layout of the new rank (rank-3 image tensors are NCHW).
 */
export function expandToRank(ctx: LoweringContext, value: Value, rank: number, base: string): Value {
  const missing = rank - value.shape.length;
  if (missing <= 0) return value;
  const shape = [...new Array<number>(missing).fill(1), ...value.shape];
  if (rank === 3 && value.shape.length === 1) {
    // [N, C] → [N, C, 1, 1]: the NCHW form of Keras' [N, 1, 1, C], without a transpose.
    const axes = ctx.constInt64(`${base}/unsqueeze_axes`, [2, 3]);
    return { name: ctx.op('Unsqueeze', [value.name, axes], base), shape };
  }
  const axes = ctx.constInt64(
    `${base}/unsqueeze_axes`,
    Array.from({ length: missing }, (_, i) => i + 1),
  );
  const expanded = ctx.op('Unsqueeze', [value.name, axes], base);
  return fromKerasLayout(ctx, expanded, shape, base);
}

/** Add, Subtract, Multiply, Maximum, Minimum, Average, with Keras' broadcasting. */
export function lowerElementwise(ctx: LoweringContext, layer: KerasLayer, inputs: Value[]): Value {
  const first = inputs[0];
  if (!first) throw layerError(ctx, layer, 'has no inputs');
  if (layer.className === 'Subtract' && inputs.length !== 2) {
    throw layerError(ctx, layer, `needs exactly two inputs, got ${inputs.length}`);
  }
  // Keras 3 accepts a single input (the merge is then the identity); Keras 2 needs two or more.
  if (inputs.length === 1) return first;
  const shape = broadcastShapes(
    ctx,
    layer,
    inputs.map((v) => v.shape),
  );
  const aligned = inputs.map((v) => expandToRank(ctx, v, shape.length, layer.name));
  const op = ELEMENTWISE[layer.className] as string;
  if (op === 'Add' || op === 'Mul') {
    // Binary Add/Mul (not Sum) so onnxruntime can fuse Conv+Add(+Relu); more inputs are chained.
    let acc = (aligned[0] as Value).name;
    for (const v of aligned.slice(1)) acc = ctx.op(op, [acc, v.name], layer.name);
    return { name: acc, shape };
  }
  return {
    name: ctx.op(
      op,
      aligned.map((v) => v.name),
      layer.name,
    ),
    shape,
  };
}

export function lowerConcatenate(ctx: LoweringContext, layer: KerasLayer, inputs: Value[]): Value {
  const first = inputs[0];
  if (!first) throw layerError(ctx, layer, 'has no inputs');
  const rank = first.shape.length;
  const kerasAxis = typeof layer.config['axis'] === 'number' ? layer.config['axis'] : -1;
  const a = kerasAxis < 0 ? kerasAxis + rank + 1 : kerasAxis; // counting batch
  if (a < 1 || a > rank)
    throw layerError(ctx, layer, `axis ${kerasAxis} is out of range for rank ${rank + 1}`);
  const shape = [...first.shape];
  shape[a - 1] = inputs.reduce((sum, v) => sum + (v.shape[a - 1] ?? 0), 0);
  return {
    name: ctx.op(
      'Concat',
      inputs.map((v) => v.name),
      layer.name,
      { axis: onnxAxis(kerasAxis, rank) },
    ),
    shape,
  };
}
