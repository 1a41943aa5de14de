import type { KerasLayer } from '../config.js';
import { layerError, onnxAxis, type LoweringContext, type Value } from './context.js';

const ELEMENTWISE: Record<string, string> = {
  Add: 'Sum',
  Multiply: 'Mul',
  Maximum: 'Max',
  Minimum: 'Min',
  Average: 'Mean',
};

function sameShapes(ctx: LoweringContext, layer: KerasLayer, inputs: Value[]): void {
  const first = inputs[0];
  if (!first || inputs.length < 2)
    throw layerError(ctx, layer, `needs at least two inputs, got ${inputs.length}`);
  for (const v of inputs) {
    if (v.shape.join(',') !== first.shape.join(',')) {
      throw layerError(
        ctx,
        layer,
        `inputs have different shapes (${inputs.map((i) => `[${i.shape.join(', ')}]`).join(' vs ')}); broadcasting merges are not supported`,
      );
    }
  }
}

export function lowerElementwise(ctx: LoweringContext, layer: KerasLayer, inputs: Value[]): Value {
  sameShapes(ctx, layer, inputs);
  const shape = (inputs[0] as Value).shape;
  if (layer.className === 'Subtract') {
    if (inputs.length !== 2) throw layerError(ctx, layer, `needs exactly two inputs, got ${inputs.length}`);
    return {
      name: ctx.op(
        'Sub',
        inputs.map((v) => v.name),
        layer.name,
      ),
      shape,
    };
  }
  const op = ELEMENTWISE[layer.className] as string;
  if (op === 'Mul') {
    // Mul is binary: chain it.
    let acc = (inputs[0] as Value).name;
    for (const v of inputs.slice(1)) acc = ctx.op('Mul', [acc, v.name], layer.name);
    return { name: acc, shape };
  }
  // Binary Add lets onnxruntime fuse Conv+Add+Relu; Sum/Max/Min/Mean are variadic.
  const opType = op === 'Sum' && inputs.length === 2 ? 'Add' : op;
  return {
    name: ctx.op(
      opType,
      inputs.map((v) => v.name),
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
