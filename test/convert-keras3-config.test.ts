import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { parseModelConfig } from '../src/convert/keras/config.js';
import { normaliseModelConfig } from '../src/convert/keras/keras3-config.js';
import { lowerKerasModel } from '../src/convert/keras/convert.js';
import type { KerasWeights } from '../src/convert/keras/types.js';
import { randomInputs } from '../src/convert/verify/verify.js';
import { functionalConfig, seeded } from './convert-harness.js';

// Keras 3 writes Functional configs differently from Keras 2 (module keys, DTypePolicy objects,
// batch_shape, inbound nodes as {args: [KerasTensor…], kwargs}); the converter normalises them.
const dtype = {
  module: 'keras',
  class_name: 'DTypePolicy',
  config: { name: 'float32' },
  registered_name: null,
};
const tensor = (layer: string) => ({
  class_name: '__keras_tensor__',
  config: { shape: [null, 6, 6, 4], dtype: 'float32', keras_history: [layer, 0, 0] },
});
const conv = (name: string, activation: string) => ({
  module: 'keras.layers',
  class_name: 'Conv2D',
  config: {
    name,
    dtype,
    filters: 4,
    kernel_size: [3, 3],
    strides: [1, 1],
    padding: 'same',
    activation,
    use_bias: true,
  },
  registered_name: null,
  build_config: { input_shape: [null, 6, 6, 2] },
  name,
  inbound_nodes: [{ args: [tensor('input_layer')], kwargs: {} }],
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
        config: { batch_shape: [null, 6, 6, 2], dtype: 'float32', sparse: false, name: 'input_layer' },
        registered_name: null,
        name: 'input_layer',
        inbound_nodes: [],
      },
      conv('a', 'relu'),
      conv('b', 'hard_sigmoid'),
      {
        module: 'keras.layers',
        class_name: 'Add',
        config: { name: 'add', dtype },
        registered_name: null,
        name: 'add',
        inbound_nodes: [{ args: [[tensor('a'), tensor('b')]], kwargs: {} }],
      },
    ],
    input_layers: [['input_layer', 0, 0]],
    output_layers: [['add', 0, 0]],
  },
};

function weights(): KerasWeights {
  const next = seeded(4);
  const t = (name: string, dims: number[]) => ({
    name,
    dims,
    data: Float32Array.from({ length: dims.reduce((p, q) => p * q, 1) }, () => next() * 2 - 1),
  });
  return new Map(['a', 'b'].map((n) => [n, [t(`${n}/kernel`, [3, 3, 2, 4]), t(`${n}/bias`, [4])]]));
}

/** The ONNX graph alone: these models take 2 channels, which only a serving manifest would refuse. */
function lower(...args: Parameters<typeof lowerKerasModel>) {
  const l = lowerKerasModel(...args);
  return { onnx: l.builder.toBytes(), summary: { opHistogram: l.builder.opHistogram() } };
}

async function run(bytes: Uint8Array, x: Float32Array): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(bytes);
  const out = await s.run({ input: new ort.Tensor('float32', x, [1, 6, 6, 2]) });
  await s.release();
  return out['output']?.data as Float32Array;
}

describe('Keras 3 Functional configs', () => {
  it("a single-input model's [name, 0, 0] inputs and outputs become Keras 2's [[name, 0, 0]] (TF.js needs them)", () => {
    const single = {
      ...keras3,
      config: { ...keras3.config, input_layers: ['input_layer', 0, 0], output_layers: ['add', 0, 0] },
    };
    const normalised = normaliseModelConfig(single) as {
      config: { input_layers: unknown; output_layers: unknown };
    };
    expect(normalised.config.input_layers).toEqual([['input_layer', 0, 0]]);
    expect(normalised.config.output_layers).toEqual([['add', 0, 0]]);
  });

  it('normalise to the Keras 2 graph: inputs, list arguments of merges, batch_shape', () => {
    const graph = parseModelConfig(keras3, 'keras3.json');
    expect(graph.inputs).toEqual([{ layer: 'input_layer', node: 0, tensor: 0 }]);
    const add = graph.layers.find((l) => l.name === 'add');
    expect(add?.inbound).toEqual([
      [
        { layer: 'a', node: 0, tensor: 0 },
        { layer: 'b', node: 0, tensor: 0 },
      ],
    ]);
    expect(graph.layers[0]?.config['batch_input_shape']).toEqual([null, 6, 6, 2]);
    expect(graph.layers[1]?.config['dtype']).toBe('float32');
  });

  it('convert exactly like the same model in Keras 2 form', async () => {
    const sigmoidB = {
      ...keras3,
      config: {
        ...keras3.config,
        layers: keras3.config.layers.map((l) => (l.name === 'b' ? conv('b', 'sigmoid') : l)),
      },
    };
    const keras2 = functionalConfig(
      [6, 6, 2],
      [
        {
          class_name: 'Conv2D',
          config: { ...conv('a', 'relu').config, dtype: 'float32' },
          inputs: ['input_1'],
        },
        {
          class_name: 'Conv2D',
          config: { ...conv('b', 'sigmoid').config, dtype: 'float32' },
          inputs: ['input_1'],
        },
        { class_name: 'Add', config: { name: 'add' }, inputs: ['a', 'b'] },
      ],
    );
    const [x] = randomInputs(1, [6, 6, 2], 2, -3, 3);
    const k3 = lower(
      { config: sigmoidB, weights: weights(), format: 'keras-v3', source: 'k3' },
      { name: 'k3' },
    );
    const k2 = lower(
      { config: keras2, weights: weights(), format: 'keras-h5-model', source: 'k2' },
      { name: 'k2' },
    );
    expect(k3.summary.opHistogram).toEqual(k2.summary.opHistogram);
    expect(Array.from(await run(k3.onnx, x!.data))).toEqual(Array.from(await run(k2.onnx, x!.data)));
  });

  it("hard_sigmoid follows Keras 3's clip(x/6 + 1/2, 0, 1)", async () => {
    const single = (activation: string) => ({
      ...keras3,
      config: {
        ...keras3.config,
        layers: [keras3.config.layers[0], conv('b', activation)],
        output_layers: [['b', 0, 0]],
      },
    });
    const [x] = randomInputs(1, [6, 6, 2], 3, -6, 6);
    const convert = async (activation: string) =>
      run(
        lower(
          { config: single(activation), weights: weights(), format: 'keras-v3', source: 'k3' },
          { name: 'k3' },
        ).onnx,
        x!.data,
      );
    const linear = await convert('linear');
    const hard = await convert('hard_sigmoid');
    const expected = Array.from(linear, (z) => Math.min(1, Math.max(0, z / 6 + 0.5)));
    expect(Math.max(...Array.from(hard, (v, i) => Math.abs(v - (expected[i] as number))))).toBeLessThan(1e-6);
    expect(expected.some((v) => v > 0 && v < 1)).toBe(true);
  });
});
