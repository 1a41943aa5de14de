import { NetlensError } from '../../../core/errors.js';
import { floatAttr } from '../../onnx/index.js';
import { onnxAxis, type LoweringContext, type Value } from './context.js';

export const SUPPORTED_ACTIVATIONS = [
  'linear',
  'relu',
  'relu6',
  'sigmoid',
  'hard_sigmoid',
  'tanh',
  'softmax',
  'elu',
  'selu',
  'swish',
  'silu',
  'gelu',
  'softplus',
  'softsign',
  'exponential',
] as const;

/** Reads a layer's `activation` (a string, or `{class_name, config}` in some configs). */
export function activationName(value: unknown): string {
  if (value === undefined || value === null) return 'linear';
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && 'class_name' in value)
    return String((value as { class_name: unknown }).class_name);
  return String(value);
}

/** Applies a Keras activation by name, with Keras' exact formula. */
export function applyActivation(
  ctx: LoweringContext,
  x: Value,
  activation: string,
  base: string,
  where: string,
): Value {
  const a = activation.toLowerCase();
  const out = (name: string): Value => ({ name, shape: x.shape });
  switch (a) {
    case 'linear':
    case 'identity':
      return x;
    case 'relu':
      return out(ctx.op('Relu', [x.name], base));
    case 'relu6':
      return out(ctx.op('Clip', [x.name, ctx.scalar(`${base}/zero`, 0), ctx.scalar(`${base}/six`, 6)], base));
    case 'sigmoid':
      return out(ctx.op('Sigmoid', [x.name], base));
    case 'hard_sigmoid':
      // Keras 2 / TF.js: clip(0.2x + 0.5, 0, 1); Keras 3: relu6(x + 3) / 6.
      return out(
        ctx.op('HardSigmoid', [x.name], base, {
          alpha: ctx.options.semantics.keras3 ? 1 / 6 : 0.2,
          beta: 0.5,
        }),
      );
    case 'tanh':
      return out(ctx.op('Tanh', [x.name], base));
    case 'softmax':
      return out(ctx.op('Softmax', [x.name], base, { axis: onnxAxis(-1, x.shape.length) }));
    case 'elu':
      return out(ctx.op('Elu', [x.name], base, { alpha: floatAttr(1) }));
    case 'selu':
      return out(ctx.op('Selu', [x.name], base));
    case 'swish':
    case 'silu':
      return out(ctx.op('Mul', [x.name, ctx.op('Sigmoid', [x.name], base)], base));
    case 'gelu': {
      // Keras' default gelu is exact: 0.5·x·(1 + erf(x/√2)).
      const scaled = ctx.op('Mul', [x.name, ctx.scalar(`${base}/inv_sqrt2`, Math.SQRT1_2)], base);
      const erf = ctx.op('Erf', [scaled], base);
      const onePlus = ctx.op('Add', [erf, ctx.scalar(`${base}/one`, 1)], base);
      const half = ctx.op('Mul', [x.name, ctx.scalar(`${base}/half`, 0.5)], base);
      return out(ctx.op('Mul', [half, onePlus], base));
    }
    case 'softplus':
      return out(ctx.op('Softplus', [x.name], base));
    case 'softsign':
      return out(ctx.op('Softsign', [x.name], base));
    case 'exponential':
      return out(ctx.op('Exp', [x.name], base));
    default:
      throw new NetlensError(
        'unsupported_layer',
        `${ctx.source}: ${where} uses activation '${activation}', which the converter does not support. ` +
          `Supported activations: ${SUPPORTED_ACTIVATIONS.join(', ')}`,
        { details: { activation, supported: SUPPORTED_ACTIVATIONS } },
      );
  }
}
