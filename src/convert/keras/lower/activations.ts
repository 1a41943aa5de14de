import { NetlensError } from '../../../core/errors.js';
import { floatAttr } from '../../onnx/index.js';
import { isRecord } from '../config.js';
import { onnxAxis, type LoweringContext, type Value } from './context.js';

/**
 * Keras activations by name (keras/src/activations/__init__.py, with its aliases swish → silu and
 * hard_swish → hard_silu; tf.keras 2 names too), each lowered to the ONNX ops onnxruntime fuses or
 * runs as one kernel where one exists:
 *  - relu, relu6 (Clip 0..6), sigmoid, tanh, leaky_relu, hard_sigmoid → fused into a preceding Conv;
 *  - swish/silu as x·Sigmoid(x) → onnxruntime's QuickGelu fusion;
 *  - hard_silu/hard_swish → HardSwish; gelu (exact) as x·0.5·(1 + erf(x/√2)) → onnxruntime's Gelu fusion.
 */
export const SUPPORTED_ACTIVATIONS = [
  'linear',
  'relu',
  'relu6',
  'leaky_relu',
  'sigmoid',
  'hard_sigmoid',
  'tanh',
  'softmax',
  'log_softmax',
  'elu',
  'selu',
  'swish',
  'silu',
  'hard_swish',
  'hard_silu',
  'gelu',
  'mish',
  'softplus',
  'softsign',
  'exponential',
] as const;

/** A layer's `activation`: its name and, for `gelu`, whether the tanh approximation is asked for. */
export interface ActivationSpec {
  name: string;
  approximate?: boolean;
}

/**
 * Reads a layer's `activation`: a string, or an object `{class_name, config}` (a serialised function or
 * a TF.js name such as 'gelu_new' for the tanh approximation).
 */
export function activationOf(value: unknown): ActivationSpec {
  if (value === undefined || value === null) return { name: 'linear' };
  if (typeof value === 'string')
    return value === 'gelu_new' ? { name: 'gelu', approximate: true } : { name: value };
  if (isRecord(value)) {
    const config = value['config'];
    // Keras 3 serialises some functions as {class_name: 'function', config: 'name'}.
    const name = typeof config === 'string' ? config : String(value['class_name']);
    const approximate = isRecord(config) && config['approximate'] === true;
    return approximate || name === 'gelu_new' ? { name: 'gelu', approximate: true } : { name };
  }
  return { name: String(value) };
}

/** The activation's name alone (for callers that only compare it, e.g. "ends in softmax"). */
export function activationName(value: unknown): string {
  return activationOf(value).name;
}

function gelu(ctx: LoweringContext, x: Value, base: string, approximate: boolean): string {
  const c = (name: string, v: number): string => ctx.scalar(`${base}/${name}`, v);
  if (approximate) {
    // keras/src/backend/*/nn.py gelu(approximate=True): 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
    const cube = ctx.op('Mul', [ctx.op('Mul', [x.name, x.name], base), x.name], base);
    const inner = ctx.op('Add', [x.name, ctx.op('Mul', [cube, c('coeff', 0.044715)], base)], base);
    const tanh = ctx.op(
      'Tanh',
      [ctx.op('Mul', [inner, c('sqrt_2_over_pi', Math.sqrt(2 / Math.PI))], base)],
      base,
    );
    const onePlus = ctx.op('Add', [tanh, c('one', 1)], base);
    return ctx.op('Mul', [ctx.op('Mul', [x.name, c('half', 0.5)], base), onePlus], base);
  }
  // Exact: 0.5·x·(1 + erf(x/√2)), written as onnxruntime's GeluFusion expects (Div by √2, Mul by 0.5).
  const erf = ctx.op('Erf', [ctx.op('Div', [x.name, c('sqrt2', Math.SQRT2)], base)], base);
  const onePlus = ctx.op('Add', [erf, c('one', 1)], base);
  return ctx.op('Mul', [ctx.op('Mul', [x.name, c('half', 0.5)], base), onePlus], base);
}

/** Applies a Keras activation with Keras' exact formula; `where` names the layer for errors. */
export function applyActivation(
  ctx: LoweringContext,
  x: Value,
  activation: string | ActivationSpec,
  base: string,
  where: string,
): Value {
  const spec = typeof activation === 'string' ? { name: activation } : activation;
  const a = spec.name.toLowerCase();
  const out = (name: string): Value => ({ name, shape: x.shape });
  const unary = (op: string, attributes = {}): Value => out(ctx.op(op, [x.name], base, attributes));
  switch (a) {
    case 'linear':
    case 'identity':
      return x;
    case 'relu':
      return unary('Relu');
    case 'relu6':
      return out(ctx.op('Clip', [x.name, ctx.scalar(`${base}/zero`, 0), ctx.scalar(`${base}/six`, 6)], base));
    case 'leaky_relu':
      return unary('LeakyRelu', { alpha: floatAttr(0.2) });
    case 'sigmoid':
      return unary('Sigmoid');
    case 'hard_sigmoid':
      // Keras 2 / TF.js: clip(0.2x + 0.5, 0, 1); Keras 3: relu6(x + 3) / 6 = clip(x/6 + 0.5, 0, 1).
      return unary('HardSigmoid', {
        alpha: floatAttr(ctx.options.semantics.keras3 ? 1 / 6 : 0.2),
        beta: floatAttr(0.5),
      });
    case 'hard_swish':
    case 'hard_silu':
      // keras/src/activations: x · relu6(x + 3) / 6 — ONNX HardSwish (alpha 1/6, beta 0.5) exactly.
      return unary('HardSwish');
    case 'tanh':
      return unary('Tanh');
    case 'softmax':
      return unary('Softmax', { axis: onnxAxis(-1, x.shape.length) });
    case 'log_softmax':
      return unary('LogSoftmax', { axis: onnxAxis(-1, x.shape.length) });
    case 'elu':
      return unary('Elu', { alpha: floatAttr(1) });
    case 'selu':
      return unary('Selu');
    case 'swish':
    case 'silu':
      return out(ctx.op('Mul', [x.name, ctx.op('Sigmoid', [x.name], base)], base));
    case 'gelu':
      return out(gelu(ctx, x, base, spec.approximate === true));
    case 'mish': {
      // keras/src/activations/activations.py Mish: x · tanh(softplus(x)).
      const t = ctx.op('Tanh', [ctx.op('Softplus', [x.name], base)], base);
      return out(ctx.op('Mul', [x.name, t], base));
    }
    case 'softplus':
      return unary('Softplus');
    case 'softsign':
      return unary('Softsign');
    case 'exponential':
      return unary('Exp');
    default:
      throw new NetlensError(
        'unsupported_layer',
        `${ctx.source}: ${where} uses activation '${spec.name}', which the converter does not support. ` +
          `Supported activations: ${SUPPORTED_ACTIVATIONS.join(', ')}`,
        { details: { activation: spec.name, supported: SUPPORTED_ACTIVATIONS } },
      );
  }
}
