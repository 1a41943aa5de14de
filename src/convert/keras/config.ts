import { NetlensError } from '../../core/errors.js';
import { normaliseModelConfig } from './keras3-config.js';

/** A reference to one output tensor of one call ("node") of a layer. */
export interface TensorRef {
  layer: string;
  node: number;
  tensor: number;
}

export interface KerasLayer {
  name: string;
  className: string;
  config: Record<string, unknown>;
  /** One entry per call of the layer; each lists the tensors fed to that call. */
  inbound: TensorRef[][];
  /**
   * Keyword arguments of each call (same index as `inbound`), e.g. `{y: 3}` for tf.keras' TFOpLambda
   * `x + 3`; Keras writes them as the 4th element of the call's tensor references.
   */
  callKwargs?: Record<string, unknown>[];
  /** For nested models used as layers. */
  model?: KerasGraphModel;
}

/** A Keras functional graph, the common form of Functional, Model and Sequential configs. */
export interface KerasGraphModel {
  name: string;
  layers: KerasLayer[];
  inputs: TensorRef[];
  outputs: TensorRef[];
}

const MODEL_CLASSES = new Set(['Model', 'Functional', 'Sequential']);

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(source: string, message: string): never {
  throw new NetlensError('invalid_model_file', `${source}: ${message}`, { details: { file: source } });
}

function parseRef(value: unknown, source: string, where: string): TensorRef {
  if (Array.isArray(value) && typeof value[0] === 'string') {
    return { layer: value[0], node: Number(value[1] ?? 0), tensor: Number(value[2] ?? 0) };
  }
  return fail(
    source,
    `${where}: expected [layer_name, node_index, tensor_index], got ${JSON.stringify(value)}`,
  );
}

function parseRefList(value: unknown, source: string, where: string): TensorRef[] {
  if (!Array.isArray(value)) return fail(source, `${where} is missing`);
  // A single-input model may store [name, 0, 0] instead of [[name, 0, 0]] (Keras 3).
  if (typeof value[0] === 'string') return [parseRef(value, source, where)];
  return value.map((v) => parseRef(v, source, where));
}

function detectKeras1(layer: Record<string, unknown>, source: string): void {
  const className = String(layer['class_name'] ?? '');
  const config = isRecord(layer['config']) ? layer['config'] : {};
  const keras1Classes = ['Convolution2D', 'Convolution1D', 'AtrousConvolution2D', 'Deconvolution2D', 'Merge'];
  if (
    keras1Classes.includes(className) ||
    'nb_filter' in config ||
    'border_mode' in config ||
    'dim_ordering' in config
  ) {
    throw new NetlensError(
      'invalid_model_file',
      `${source}: this is a Keras 1 model (layer '${String(config['name'] ?? className)}' is a ${className} with Keras 1 ` +
        `arguments such as nb_filter/border_mode/dim_ordering). Keras 1 files are not supported: load the model in ` +
        `Keras 2.x (which converts Keras 1 configs) and save it again with model.save().`,
      { details: { file: source, layer: config['name'], className } },
    );
  }
}

/** Normalises a Keras model config (Keras 2.x, tf.keras, Keras 3; Functional/Model/Sequential) to a graph. */
export function parseModelConfig(json: unknown, source: string): KerasGraphModel {
  const root = normaliseModelConfig(json);
  if (!isRecord(root)) return fail(source, 'the model config is not a JSON object');
  const className = root['class_name'];
  if (typeof className !== 'string' || !MODEL_CLASSES.has(className)) {
    return fail(
      source,
      `the model config's class_name is ${JSON.stringify(className)}; expected one of Functional, Model, Sequential`,
    );
  }
  const config = root['config'];
  if (className === 'Sequential') return parseSequential(config, source);
  if (!isRecord(config)) return fail(source, 'the model config has no "config" object');
  return parseFunctional(config, source);
}

function parseLayer(raw: unknown, source: string): KerasLayer {
  if (!isRecord(raw))
    return fail(source, `a layer entry is not an object: ${JSON.stringify(raw).slice(0, 80)}`);
  detectKeras1(raw, source);
  const layer = raw;
  const className = String(layer['class_name']);
  const config = isRecord(layer['config']) ? { ...layer['config'] } : {};
  const name = String(layer['name'] ?? config['name'] ?? '');
  if (!name) fail(source, `a ${className} layer has no name`);
  const inboundRaw = Array.isArray(layer['inbound_nodes']) ? layer['inbound_nodes'] : [];
  const inbound = inboundRaw.map((node, i) => {
    if (!Array.isArray(node)) return fail(source, `layer '${name}' inbound node ${i} is not a list`);
    return node.map((ref) => parseRef(ref, source, `layer '${name}' inbound node ${i}`));
  });
  const parsed: KerasLayer = { name, className, config, inbound };
  const callKwargs = inboundRaw.map((node) => {
    const refs = Array.isArray(node) ? (node as unknown[]) : [];
    const withKwargs = refs.find((ref) => Array.isArray(ref) && isRecord(ref[3])) as unknown[] | undefined;
    return (withKwargs?.[3] ?? {}) as Record<string, unknown>;
  });
  if (callKwargs.some((k) => Object.keys(k).length > 0)) parsed.callKwargs = callKwargs;
  if (MODEL_CLASSES.has(className)) {
    parsed.model = parseModelConfig({ class_name: className, config: layer['config'] }, source);
  }
  return parsed;
}

function parseFunctional(config: Record<string, unknown>, source: string): KerasGraphModel {
  const layersRaw = config['layers'];
  if (!Array.isArray(layersRaw)) return fail(source, 'the model config has no "layers" list');
  const layers = layersRaw.map((l) => parseLayer(l, source));
  return {
    name: String(config['name'] ?? 'model'),
    layers,
    inputs: parseRefList(config['input_layers'], source, 'input_layers'),
    outputs: parseRefList(config['output_layers'], source, 'output_layers'),
  };
}

/** Sequential → functional: an InputLayer (explicit or from the first layer's batch_input_shape) and a chain. */
function parseSequential(config: unknown, source: string): KerasGraphModel {
  const layersRaw = Array.isArray(config) ? config : isRecord(config) ? config['layers'] : undefined;
  const name = isRecord(config) && typeof config['name'] === 'string' ? config['name'] : 'sequential';
  if (!Array.isArray(layersRaw) || layersRaw.length === 0) {
    return fail(source, `Sequential model '${name}' has no layers`);
  }
  const layers: KerasLayer[] = [];
  let previous: TensorRef | undefined;
  const seqConfig = isRecord(config) ? config : {};
  for (const raw of layersRaw) {
    const layer = parseLayer(raw, source);
    if (layer.className === 'InputLayer') {
      layer.inbound = [];
      layers.push(layer);
      previous = { layer: layer.name, node: 0, tensor: 0 };
      continue;
    }
    if (!previous) {
      const shape =
        layer.config['batch_input_shape'] ?? layer.config['batch_shape'] ?? seqConfig['build_input_shape'];
      if (!Array.isArray(shape)) {
        return fail(source, `Sequential model '${name}': the first layer '${layer.name}' has no input shape`);
      }
      const inputName = `${name}_input`;
      layers.push({
        name: inputName,
        className: 'InputLayer',
        config: { name: inputName, batch_input_shape: shape, dtype: 'float32' },
        inbound: [],
      });
      previous = { layer: inputName, node: 0, tensor: 0 };
    }
    layer.inbound = [[previous]];
    layers.push(layer);
    previous = { layer: layer.name, node: 0, tensor: 0 };
  }
  const first = layers[0];
  if (!first || !previous) return fail(source, `Sequential model '${name}' has no layers`);
  return { name, layers, inputs: [{ layer: first.name, node: 0, tensor: 0 }], outputs: [previous] };
}
