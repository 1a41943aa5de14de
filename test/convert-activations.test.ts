import { describe, expect, it } from 'vitest';
import { NetlensError } from '../src/core/errors.js';
import { convertKerasModel } from '../src/convert/keras/convert.js';
import { convertAndVerify, functionalConfig, type TestLayer } from './convert-harness.js';

// Every Keras activation, inside a layer and as an Activation layer, against TensorFlow.js — its own
// activations where it has them, the Keras-exact ones of src/convert/verify/tfjs-keras-activations.ts
// where it lacks them (silu, hard_silu, leaky_relu, exponential, gelu's tanh form, Keras 3 hard_sigmoid).
const conv = (activation: unknown): TestLayer => ({
  class_name: 'Conv2D',
  config: { name: 'c', filters: 3, kernel_size: [3, 3], padding: 'same', activation },
});

// [activation, Keras version writing it, ONNX ops the activation lowers to]
const CASES: [unknown, string, Record<string, number>][] = [
  ['relu', '2.4.0', { Relu: 1 }],
  ['relu6', '2.4.0', { Clip: 1 }],
  ['leaky_relu', '3.3.3', { LeakyRelu: 1 }],
  ['sigmoid', '2.4.0', { Sigmoid: 1 }],
  ['hard_sigmoid', '2.4.0', { HardSigmoid: 1 }],
  ['hard_sigmoid', '3.3.3', { HardSigmoid: 1 }],
  ['hard_silu', '3.3.3', { HardSwish: 1 }],
  ['hard_swish', '3.3.3', { HardSwish: 1 }],
  ['swish', '2.4.0', { Sigmoid: 1, Mul: 1 }],
  ['silu', '3.3.3', { Sigmoid: 1, Mul: 1 }],
  ['gelu', '2.4.0', { Div: 1, Erf: 1, Add: 1, Mul: 2 }],
  [{ class_name: 'gelu', config: { approximate: true } }, '3.3.3', { Tanh: 1 }],
  ['gelu_new', '2.4.0', { Tanh: 1 }],
  ['mish', '3.3.3', { Softplus: 1, Tanh: 1, Mul: 1 }],
  ['elu', '2.4.0', { Elu: 1 }],
  ['selu', '2.4.0', { Selu: 1 }],
  ['tanh', '2.4.0', { Tanh: 1 }],
  ['softplus', '2.4.0', { Softplus: 1 }],
  ['softsign', '2.4.0', { Softsign: 1 }],
  ['exponential', '2.4.0', { Exp: 1 }],
  ['softmax', '2.4.0', { Softmax: 1 }],
  ['log_softmax', '3.3.3', { LogSoftmax: 1 }],
];

describe('activations match TensorFlow.js (Keras-exact where TF.js differs)', () => {
  for (const [activation, kerasVersion, ops] of CASES) {
    const label = typeof activation === 'string' ? activation : JSON.stringify(activation);
    it(`${label} (Keras ${kerasVersion}), in a Conv2D and as an Activation layer`, async () => {
      for (const layers of [
        [conv(activation)],
        [conv('linear'), { class_name: 'Activation', config: { name: 'act', activation } }],
      ]) {
        const v = await convertAndVerify(functionalConfig([5, 4, 2], layers), {
          kerasVersion,
          // exp() of a wide range has large absolute float32 differences: keep its inputs small.
          lo: label === 'exponential' ? -0.5 : -6,
          hi: label === 'exponential' ? 0.5 : 6,
          cutAt: layers.length === 1 ? 'c' : 'act',
        });
        expect(v.maxAbsDiff, label).toBeLessThan(1e-5);
        const histogram = v.result.summary.opHistogram;
        for (const [op, count] of Object.entries(ops))
          expect(histogram[op] ?? 0, `${label} ${op}`).toBe(count);
      }
    });
  }

  it('Keras 2 and Keras 3 hard_sigmoid differ as their definitions do (0.2x + 0.5 vs x/6 + 0.5)', async () => {
    const config = functionalConfig([5, 4, 2], [conv('hard_sigmoid')]);
    const k2 = await convertAndVerify(config, { kerasVersion: '2.4.0', cutAt: 'c' });
    const k3 = await convertAndVerify(config, { kerasVersion: '3.3.3', cutAt: 'c' });
    expect(k2.maxAbsDiff).toBeLessThan(1e-6);
    expect(k3.maxAbsDiff).toBeLessThan(1e-6);
    expect(Buffer.from(k2.onnx).equals(Buffer.from(k3.onnx))).toBe(false);
  });

  it('an unknown activation names the layer, its class and the supported activations', async () => {
    const spec = {
      config: functionalConfig(
        [5, 4, 2],
        [{ class_name: 'Activation', config: { name: 'act', activation: 'crelu' } }],
      ),
      weights: new Map(),
      format: 'keras-h5-model' as const,
      source: 'm.h5',
    };
    const error = await convertKerasModel(spec, { name: 'm' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetlensError);
    expect((error as NetlensError).code).toBe('unsupported_layer');
    expect((error as NetlensError).message).toMatch(
      /layer 'act' \(Activation\) uses activation 'crelu'.*Supported activations: linear, relu, relu6, .*hard_silu, gelu, mish/,
    );
  });
});
