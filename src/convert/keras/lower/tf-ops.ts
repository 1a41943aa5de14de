import { NetlensError } from '../../../core/errors.js';
import type { KerasLayer } from '../config.js';
import { applyActivation } from './activations.js';
import { layerError, type LoweringContext, type Value } from './context.js';
import { broadcastShapes, expandToRank } from './merge.js';

/**
 * Operations applied to tensors in a Functional model, stored as layers: tf.keras 2's TFOpLambda
 * (`x + 3.` in tf.keras' MobileNetV3 is `TFOpLambda(function='__operators__.add')` with `{y: 3.0}` as
 * a call keyword) and Keras 3's operation nodes (`keras.src.ops.numpy.Add` with args `[x, 3.0]`, which
 * keras3-config.ts rewrites into the same form). Operands are the call's tensors in order, with a
 * number (or one number per channel) in the `x` or `y` keyword standing for a constant operand.
 */
const BINARY: Record<string, string> = {
  'operators.add': 'Add',
  'math.add': 'Add',
  'operators.sub': 'Sub',
  'math.subtract': 'Sub',
  'operators.mul': 'Mul',
  'math.multiply': 'Mul',
  'operators.truediv': 'Div',
  'math.truediv': 'Div',
  'math.divide': 'Div',
  'math.maximum': 'Max',
  'math.minimum': 'Min',
};

/** Element-wise functions that are Keras activations (lowered as activations.ts does). */
const UNARY: Record<string, string> = {
  'nn.relu': 'relu',
  'nn.relu6': 'relu6',
  'math.sigmoid': 'sigmoid',
  'nn.sigmoid': 'sigmoid',
  'math.tanh': 'tanh',
  'nn.tanh': 'tanh',
  'nn.silu': 'silu',
  'nn.swish': 'silu',
  'nn.hardsigmoid': 'hard_sigmoid',
  'nn.hardsilu': 'hard_silu',
  'nn.hardswish': 'hard_silu',
  'nn.gelu': 'gelu',
  'nn.elu': 'elu',
  'nn.selu': 'selu',
  'math.softplus': 'softplus',
  'nn.softplus': 'softplus',
  'math.exp': 'exponential',
};

export const SUPPORTED_TF_OPS = [...Object.keys(BINARY), ...Object.keys(UNARY)];

/** 'tf.__operators__.add', '__operators__.add' and TF.js' camel-cased 'Operators__.add' all → 'operators.add'. */
export function tfOpKey(fn: string): string {
  return fn.replace(/^tf\./, '').replace(/_/g, '').toLowerCase();
}

function isConstant(value: unknown): boolean {
  if (typeof value === 'number') return true;
  if (!Array.isArray(value)) return false;
  const flat = value.flat(4) as unknown[];
  return flat.length > 0 && flat.every((v) => typeof v === 'number');
}

function constant(
  ctx: LoweringContext,
  layer: KerasLayer,
  value: unknown,
  rank: number,
  role: string,
): Value {
  const values = typeof value === 'number' ? [value] : Array.isArray(value) ? value.flat(4) : [];
  if (values.length === 0 || !values.every((v) => typeof v === 'number')) {
    throw layerError(ctx, layer, `operand ${role}=${JSON.stringify(value)} is neither a tensor nor numbers`);
  }
  const data = Float32Array.from(values as number[]);
  // One value per channel broadcasts on the last Keras axis: the channel axis of an NCHW image tensor.
  const dims = data.length === 1 ? [] : rank === 3 ? [data.length, 1, 1] : [data.length];
  return {
    name: ctx.constFloat(`${layer.name}/${role}`, data, dims),
    shape: data.length === 1 ? [] : [data.length],
  };
}

export function lowerTfOp(
  ctx: LoweringContext,
  layer: KerasLayer,
  inputs: Value[],
  kwargs: Record<string, unknown>,
): Value {
  const fn = String(layer.config['function'] ?? '');
  const key = tfOpKey(fn);
  const first = inputs[0];
  if (!first) throw layerError(ctx, layer, 'has no tensor input');
  const unary = UNARY[key];
  if (unary && inputs.length === 1)
    return applyActivation(ctx, first, unary, layer.name, `layer '${layer.name}' (${fn})`);
  const op = BINARY[key];
  if (!op) {
    throw new NetlensError(
      'unsupported_layer',
      `${ctx.source}: layer '${layer.name}' (${layer.className}) applies '${fn}', which the converter does not ` +
        `support. Supported operations: ${SUPPORTED_TF_OPS.join(', ')}`,
      {
        details: { layer: layer.name, className: layer.className, function: fn, supported: SUPPORTED_TF_OPS },
      },
    );
  }
  const rank = Math.max(...inputs.map((v) => v.shape.length));
  const tensors = [...inputs];
  const operand = (role: 'x' | 'y'): Value | undefined => {
    const value = kwargs[role];
    if (value === undefined || value === null) return tensors.shift();
    if (isConstant(value)) return constant(ctx, layer, value, rank, role);
    throw layerError(ctx, layer, `operand ${role} is a tensor passed as a keyword, which is not supported`);
  };
  const x = operand('x');
  const y = operand('y');
  if (!x || !y || tensors.length > 0) {
    throw layerError(
      ctx,
      layer,
      `'${fn}' needs two operands; got ${inputs.length} tensor(s) and keywords ${JSON.stringify(kwargs)}`,
    );
  }
  const isTensor = (v: Value): boolean => inputs.includes(v);
  const shape = broadcastShapes(
    ctx,
    layer,
    [x, y].filter(isTensor).map((v) => v.shape),
  );
  const [a, b] = [x, y].map((v) => (isTensor(v) ? expandToRank(ctx, v, shape.length, layer.name) : v)) as [
    Value,
    Value,
  ];
  return { name: ctx.op(op, [a.name, b.name], layer.name), shape };
}
