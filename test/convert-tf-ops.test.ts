import { describe, expect, it } from 'vitest';
import { NetlensError } from '../src/core/errors.js';
import { convertKerasModel } from '../src/convert/keras/convert.js';
import { convertAndVerify, functionalConfig, type TestLayer } from './convert-harness.js';

// Operations on tensors inside Functional models: tf.keras 2's TFOpLambda layers and Keras 3's operation
// nodes. Both MobileNetV3 builders write hard_sigmoid as `ReLU(6.)(x + 3.) * (1. / 6.)`; these cases
// check that form and the other arithmetic against the TFOpLambda layer of tfjs-keras-layers.ts.
const conv = (name: string, inputs = ['input_1']): TestLayer => ({
  class_name: 'Conv2D',
  config: { name, filters: 4, kernel_size: [3, 3], padding: 'same', activation: 'linear' },
  inputs,
});

/** A tf.keras Functional config in which layer `name`'s call carries `kwargs` (TFOpLambda keywords). */
function withKwargs(config: Record<string, unknown>, kwargs: Record<string, Record<string, unknown>>) {
  const layers = (config['config'] as { layers: { name: string; inbound_nodes: unknown[][][] }[] }).layers;
  for (const layer of layers) {
    const extra = kwargs[layer.name];
    if (extra)
      layer.inbound_nodes = layer.inbound_nodes.map((node) => node.map((ref) => [...ref.slice(0, 3), extra]));
  }
  return config;
}

const op = (name: string, fn: string, inputs: string[]): TestLayer => ({
  class_name: 'TFOpLambda',
  config: { name, function: fn, trainable: true, dtype: 'float32' },
  inputs,
});

describe('tf.keras TFOpLambda', () => {
  it("MobileNetV3's hard_sigmoid and hard_swish: ReLU(6.)(x + 3.) * (1. / 6.), Multiply([x, ·])", async () => {
    const config = withKwargs(
      functionalConfig(
        [5, 4, 2],
        [
          conv('c'),
          op('tf.__operators__.add', '__operators__.add', ['c']),
          { class_name: 'ReLU', config: { name: 're_lu', max_value: 6 }, inputs: ['tf.__operators__.add'] },
          op('tf.math.multiply', 'math.multiply', ['re_lu']),
          { class_name: 'Multiply', config: { name: 'multiply' }, inputs: ['c', 'tf.math.multiply'] },
        ],
      ),
      { 'tf.__operators__.add': { y: 3.0, name: null }, 'tf.math.multiply': { y: 1 / 6, name: null } },
    );
    const v = await convertAndVerify(config, { lo: -4, hi: 4, kerasVersion: '2.9.0' });
    expect(v.maxAbsDiff).toBeLessThan(1e-5);
    expect(v.result.summary.opHistogram).toMatchObject({ Add: 1, Clip: 1, Mul: 2 });
  });

  it('subtract, divide, maximum with constants and between two tensors (broadcast)', async () => {
    const config = withKwargs(
      functionalConfig(
        [5, 4, 2],
        [
          conv('a'),
          conv('b'),
          op('tf.math.subtract', 'math.subtract', ['a']),
          op('tf.math.truediv', 'math.truediv', ['tf.math.subtract']),
          op('tf.math.maximum', 'math.maximum', ['tf.math.truediv', 'b']),
          { class_name: 'GlobalAveragePooling2D', config: { name: 'g', keepdims: true }, inputs: ['b'] },
          op('tf.math.multiply', 'math.multiply', ['tf.math.maximum', 'g']),
          op('tf.nn.relu6', 'nn.relu6', ['tf.math.multiply']),
        ],
      ),
      { 'tf.math.subtract': { y: 0.5 }, 'tf.math.truediv': { y: [2, 4, 0.5, 1] } },
    );
    const v = await convertAndVerify(config, { lo: -3, hi: 3 });
    expect(v.maxAbsDiff).toBeLessThan(1e-5);
  });

  it('an unsupported function names the layer, its class, the function and the supported ones', async () => {
    const spec = {
      config: functionalConfig([5, 4, 2], [op('tf.compat.v1.gather', 'compat.v1.gather', ['input_1'])]),
      weights: new Map(),
      format: 'keras-h5-model' as const,
      source: 'm.h5',
    };
    const error = await convertKerasModel(spec, { name: 'm' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetlensError);
    expect((error as NetlensError).code).toBe('unsupported_layer');
    expect((error as NetlensError).message).toMatch(
      /layer 'tf\.compat\.v1\.gather' \(TFOpLambda\) applies 'compat\.v1\.gather'.*Supported operations: operators\.add, math\.add/,
    );
  });
});

describe('Keras 3 operation nodes', () => {
  const dtype = {
    module: 'keras',
    class_name: 'DTypePolicy',
    config: { name: 'float32' },
    registered_name: null,
  };
  const tensor = (layer: string) => ({
    class_name: '__keras_tensor__',
    config: { shape: [null, 5, 4, 4], dtype: 'float32', keras_history: [layer, 0, 0] },
  });
  const operation = (module: string, className: string, name: string, args: unknown[]) => ({
    module,
    class_name: className,
    config: { name },
    registered_name: className,
    name,
    inbound_nodes: [{ args, kwargs: {} }],
  });
  const keras3 = {
    module: 'keras',
    class_name: 'Functional',
    config: {
      name: 'functional',
      layers: [
        {
          module: 'keras.layers',
          class_name: 'InputLayer',
          config: { batch_shape: [null, 5, 4, 2], dtype: 'float32', name: 'input_layer' },
          registered_name: null,
          name: 'input_layer',
          inbound_nodes: [],
        },
        {
          module: 'keras.layers',
          class_name: 'Conv2D',
          config: {
            name: 'c',
            dtype,
            filters: 4,
            kernel_size: [3, 3],
            padding: 'same',
            activation: 'linear',
          },
          registered_name: null,
          name: 'c',
          inbound_nodes: [{ args: [tensor('input_layer')], kwargs: {} }],
        },
        operation('keras.src.ops.numpy', 'Add', 'add', [tensor('c'), 3.0]),
        {
          module: 'keras.layers',
          class_name: 'ReLU',
          config: { name: 're_lu', dtype, max_value: 6.0, negative_slope: 0.0, threshold: 0.0 },
          registered_name: null,
          name: 're_lu',
          inbound_nodes: [{ args: [tensor('add')], kwargs: {} }],
        },
        operation('keras.src.ops.numpy', 'Multiply', 'multiply', [tensor('re_lu'), 1 / 6]),
        operation('keras.src.ops.numpy', 'Subtract', 'subtract', [1.5, tensor('multiply')]),
        operation('keras.src.ops.nn', 'Silu', 'silu', [tensor('subtract')]),
      ],
      input_layers: [['input_layer', 0, 0]],
      output_layers: [['silu', 0, 0]],
    },
  };

  it('x + 3.0, · (1/6), 1.5 − x and silu as TFOpLambda, against TF.js', async () => {
    const v = await convertAndVerify(keras3, { lo: -4, hi: 4, kerasVersion: '3.3.3' });
    expect(v.maxAbsDiff).toBeLessThan(1e-5);
    expect(v.result.summary.opHistogram).toMatchObject({ Add: 1, Clip: 1, Sub: 1, Sigmoid: 1 });
  });
});
