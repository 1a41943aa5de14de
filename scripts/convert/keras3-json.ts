/**
 * Writes a built architecture's model JSON (the Keras 2 form the builders produce, in the 'keras-3'
 * naming flavour) as Keras 3's `model.to_json()` / config.json writes it: `{module, class_name, config,
 * registered_name, build_config}` objects, DTypePolicy objects, InputLayer `batch_shape`, inbound nodes as
 * `{args: [KerasTensor…], kwargs}`, and tf.keras' TFOpLambda arithmetic as Keras 3 operation nodes
 * (`x + 3.0` → module keras.src.ops.numpy, class Add, args [x, 3.0]). For test files: the converter reads
 * this form back through src/convert/keras/keras3-config.ts.
 */
import type {
  JsonObject,
  JsonValue,
  KerasLayerJson,
  KerasModelJson,
} from '../../src/convert/architectures/keras-json.js';

const POLICY: JsonObject = {
  module: 'keras',
  class_name: 'DTypePolicy',
  config: { name: 'float32' },
  registered_name: null,
};

/** Keras 3 operation classes for the TFOpLambda functions the builders use. */
const OPERATIONS: Record<string, string> = { '__operators__.add': 'Add', 'math.multiply': 'Multiply' };
const MERGES = new Set(['Add', 'Multiply', 'Concatenate', 'Subtract', 'Average', 'Maximum', 'Minimum']);

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Config values in Keras 3's serialisation: initializers with their module, dtype as a policy. */
function configValue(key: string, value: JsonValue): JsonValue {
  if (key === 'dtype' && value === 'float32') return POLICY;
  if (key.endsWith('_initializer') && isObject(value))
    return { module: 'keras.initializers', ...value, registered_name: null };
  if (key === 'axis' && Array.isArray(value)) return { class_name: '__tuple__', items: value };
  return value;
}

function layerConfig(layer: KerasLayerJson, trainable: boolean): JsonObject {
  const config: JsonObject = {};
  for (const [k, v] of Object.entries(layer.config)) config[k] = configValue(k, v);
  if ('trainable' in config) config['trainable'] = trainable;
  if (layer.class_name === 'BatchNormalization') config['synchronized'] = false;
  if (layer.class_name === 'Normalization') config['invert'] = false;
  return config;
}

function kerasTensor(layer: string, shape: readonly number[]): JsonObject {
  return {
    class_name: '__keras_tensor__',
    config: { shape: [null, ...shape], dtype: 'float32', keras_history: [layer, 0, 0] },
  };
}

/**
 * One layer of a Functional model in Keras 3's form. `shapes` holds every layer's output shape (without
 * the batch), for the KerasTensors of its inputs and its build_config.
 */
export function keras3Layer(
  layer: KerasLayerJson,
  shapes: ReadonlyMap<string, number[]>,
  trainable: boolean,
): JsonObject {
  const refs = layer.inbound_nodes[0] ?? [];
  const inputs = refs.map(([name]) => kerasTensor(name, shapes.get(name) ?? []));
  const inputShapes = refs.map(([name]) => [null, ...(shapes.get(name) ?? [])]);
  if (layer.class_name === 'InputLayer') {
    const { batch_input_shape: batchShape, ragged: _ragged, ...rest } = layer.config;
    return {
      module: 'keras.layers',
      class_name: 'InputLayer',
      config: { batch_shape: batchShape ?? null, ...rest, ragged: false },
      registered_name: null,
      name: layer.name,
      inbound_nodes: [],
    };
  }
  if (layer.class_name === 'TFOpLambda') {
    const fn = String(layer.config['function']);
    const operation = OPERATIONS[fn];
    if (!operation) throw new Error(`no Keras 3 operation for TFOpLambda '${fn}'`);
    const y = refs[0]?.[3]['y'] ?? null;
    return {
      module: 'keras.src.ops.numpy',
      class_name: operation,
      config: { name: layer.name },
      registered_name: operation,
      name: layer.name,
      inbound_nodes: [{ args: [...inputs, y], kwargs: {} }],
    };
  }
  const merge = MERGES.has(layer.class_name);
  return {
    module: 'keras.layers',
    class_name: layer.class_name,
    config: layerConfig(layer, trainable),
    registered_name: null,
    build_config: { input_shape: merge ? inputShapes : (inputShapes[0] ?? null) },
    name: layer.name,
    inbound_nodes: [{ args: merge ? [inputs] : inputs, kwargs: {} }],
  };
}

/** A Functional model used as a layer (a backbone inside a Sequential), in Keras 3's form. */
export function keras3Functional(
  model: KerasModelJson,
  shapes: ReadonlyMap<string, number[]>,
  trainable: boolean,
): JsonObject {
  const input = model.config.input_layers[0] as [string, number, number];
  const output = model.config.output_layers[0] as [string, number, number];
  return {
    module: 'keras.src.models.functional',
    class_name: 'Functional',
    config: {
      name: model.config.name,
      trainable,
      layers: model.config.layers.map((l) => keras3Layer(l, shapes, trainable)),
      input_layers: [...input],
      output_layers: [...output],
    },
    registered_name: 'Functional',
    build_config: { input_shape: [null, ...(shapes.get(input[0]) ?? [])] },
  };
}
