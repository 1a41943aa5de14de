import { NetlensError } from '../../core/errors.js';
import type { JsonObject, JsonValue, KerasLayerJson, KerasModelJson } from './keras-json.js';

/** One weight variable of a layer, named as Keras names it (`block1_conv1/kernel:0`). */
export interface WeightSpec {
  name: string;
  shape: number[];
  /** What the value means, for seeded generation: conv/dense kernels, biases and BN parameters. */
  role:
    | 'kernel'
    | 'depthwise_kernel'
    | 'pointwise_kernel'
    | 'bias'
    | 'gamma'
    | 'beta'
    | 'moving_mean'
    | 'moving_variance'
    | 'mean'
    | 'variance'
    | 'count';
}

export interface LayerWeightSpec {
  layer: string;
  className: string;
  weights: WeightSpec[];
}

/** Output shape without the batch dimension, e.g. [224, 224, 3] or [1000]. */
export type Shape = number[];

function pair(value: JsonValue | undefined, what: string): [number, number] {
  if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'number')) {
    return [value[0] as number, value[1] as number];
  }
  throw new Error(`${what} is not a pair of numbers`);
}

function num(config: JsonObject, key: string): number {
  const value = config[key];
  if (typeof value !== 'number') throw new Error(`config.${key} is not a number`);
  return value;
}

function convOut(size: number, kernel: number, stride: number, padding: JsonValue | undefined): number {
  return padding === 'same' ? Math.ceil(size / stride) : Math.floor((size - kernel) / stride) + 1;
}

function spatial(shape: Shape, config: JsonObject, kernelKey: string): Shape {
  const [kh, kw] = pair(config[kernelKey], kernelKey);
  const [sh, sw] = pair(config['strides'], 'strides');
  const [h = 0, w = 0] = shape;
  return [convOut(h, kh, sh, config['padding']), convOut(w, kw, sw, config['padding'])];
}

function channels(shape: Shape): number {
  const c = shape[shape.length - 1];
  if (c === undefined) throw new Error('input has no channel dimension');
  return c;
}

/** Keras' broadcasting of merge inputs ([7, 7, 96] × [1, 1, 96] → [7, 7, 96]). */
function broadcast(shapes: readonly Shape[]): Shape {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: Shape = [];
  for (let i = 0; i < rank; i++) {
    const dims = shapes.map((s) => s[s.length - rank + i] ?? 1);
    const big = dims.filter((d) => d !== 1);
    if (new Set(big).size > 1)
      throw new Error(`inputs [${shapes.map((s) => s.join(', ')).join('] and [')}] do not broadcast`);
    out.push(big[0] ?? 1);
  }
  return out;
}

/** Infers the output shape and the weights of one layer from its config and input shapes. */
export function inferLayer(layer: KerasLayerJson, inputs: Shape[]): { shape: Shape; weights: WeightSpec[] } {
  const c = layer.config;
  const w = (suffix: string, shape: number[], role: WeightSpec['role']): WeightSpec => ({
    name: `${layer.name}/${suffix}:0`,
    shape,
    role,
  });
  const first = inputs[0] ?? [];
  switch (layer.class_name) {
    case 'InputLayer': {
      const batchShape = c['batch_input_shape'];
      if (!Array.isArray(batchShape)) throw new Error('batch_input_shape is missing');
      return { shape: batchShape.slice(1).map(Number), weights: [] };
    }
    case 'Conv2D': {
      const [kh, kw] = pair(c['kernel_size'], 'kernel_size');
      const filters = num(c, 'filters');
      const weights = [w('kernel', [kh, kw, channels(first), filters], 'kernel')];
      if (c['use_bias'] !== false) weights.push(w('bias', [filters], 'bias'));
      return { shape: [...spatial(first, c, 'kernel_size'), filters], weights };
    }
    case 'SeparableConv2D': {
      const [kh, kw] = pair(c['kernel_size'], 'kernel_size');
      const filters = num(c, 'filters');
      const multiplier = num(c, 'depth_multiplier');
      const cin = channels(first);
      const weights = [
        w('depthwise_kernel', [kh, kw, cin, multiplier], 'depthwise_kernel'),
        w('pointwise_kernel', [1, 1, cin * multiplier, filters], 'pointwise_kernel'),
      ];
      if (c['use_bias'] !== false) weights.push(w('bias', [filters], 'bias'));
      return { shape: [...spatial(first, c, 'kernel_size'), filters], weights };
    }
    case 'DepthwiseConv2D': {
      const [kh, kw] = pair(c['kernel_size'], 'kernel_size');
      const multiplier = num(c, 'depth_multiplier');
      const cin = channels(first);
      const weights = [w('depthwise_kernel', [kh, kw, cin, multiplier], 'depthwise_kernel')];
      if (c['use_bias'] !== false) weights.push(w('bias', [cin * multiplier], 'bias'));
      return { shape: [...spatial(first, c, 'kernel_size'), cin * multiplier], weights };
    }
    case 'Normalization': {
      const n = channels(first);
      return {
        shape: first,
        weights: [w('mean', [n], 'mean'), w('variance', [n], 'variance'), w('count', [], 'count')],
      };
    }
    case 'BatchNormalization': {
      const n = channels(first);
      const weights: WeightSpec[] = [];
      if (c['scale'] !== false) weights.push(w('gamma', [n], 'gamma'));
      if (c['center'] !== false) weights.push(w('beta', [n], 'beta'));
      weights.push(w('moving_mean', [n], 'moving_mean'), w('moving_variance', [n], 'moving_variance'));
      return { shape: first, weights };
    }
    case 'Dense': {
      const units = num(c, 'units');
      const weights = [w('kernel', [channels(first), units], 'kernel')];
      if (c['use_bias'] !== false) weights.push(w('bias', [units], 'bias'));
      return { shape: [...first.slice(0, -1), units], weights };
    }
    case 'MaxPooling2D':
    case 'AveragePooling2D':
      return { shape: [...spatial(first, c, 'pool_size'), channels(first)], weights: [] };
    case 'ZeroPadding2D': {
      const padding = c['padding'];
      if (!Array.isArray(padding)) throw new Error('padding is not [[top, bottom], [left, right]]');
      const [top, bottom] = pair(padding[0], 'padding[0]');
      const [left, right] = pair(padding[1], 'padding[1]');
      const [h = 0, wd = 0] = first;
      return { shape: [h + top + bottom, wd + left + right, channels(first)], weights: [] };
    }
    case 'Cropping2D': {
      const cropping = c['cropping'];
      if (!Array.isArray(cropping)) throw new Error('cropping is not [[top, bottom], [left, right]]');
      const [top, bottom] = pair(cropping[0], 'cropping[0]');
      const [left, right] = pair(cropping[1], 'cropping[1]');
      const [h = 0, wd = 0] = first;
      return { shape: [h - top - bottom, wd - left - right, channels(first)], weights: [] };
    }
    case 'GlobalAveragePooling2D':
    case 'GlobalMaxPooling2D':
      return { shape: c['keepdims'] === true ? [1, 1, channels(first)] : [channels(first)], weights: [] };
    case 'Reshape': {
      const target = c['target_shape'];
      if (!Array.isArray(target) || !target.every((d) => typeof d === 'number' && d > 0))
        throw new Error('target_shape is not a list of positive integers');
      const shape = target as number[];
      if (shape.reduce((a, b) => a * b, 1) !== first.reduce((a, b) => a * b, 1))
        throw new Error(`cannot reshape [${first.join(', ')}] to [${shape.join(', ')}]`);
      return { shape: [...shape], weights: [] };
    }
    case 'Flatten':
      return { shape: [first.reduce((a, b) => a * b, 1)], weights: [] };
    case 'Concatenate': {
      const total = inputs.reduce((sum, shape) => sum + channels(shape), 0);
      return { shape: [...first.slice(0, -1), total], weights: [] };
    }
    case 'Add':
    case 'Multiply':
      return { shape: broadcast(inputs), weights: [] };
    // TFOpLambda: the built-ins use it only for arithmetic with a constant (x + 3., x * (1/6)).
    case 'TFOpLambda':
    case 'Activation':
    case 'ReLU':
    case 'Rescaling':
    case 'Dropout':
      return { shape: first, weights: [] };
    default:
      throw new NetlensError(
        'unsupported_layer',
        `layer '${layer.name}': class ${layer.class_name} is not used by the built-in architectures`,
      );
  }
}

/** Output shapes and weights of every layer, in the model JSON's layer order (Keras' `model.layers`). */
export function inferModel(model: KerasModelJson): {
  shapes: Map<string, Shape>;
  weights: LayerWeightSpec[];
} {
  const shapes = new Map<string, Shape>();
  const weights: LayerWeightSpec[] = [];
  for (const layer of model.config.layers) {
    const inputs = (layer.inbound_nodes[0] ?? []).map(([name]) => {
      const shape = shapes.get(name);
      if (!shape) throw new Error(`layer '${layer.name}' uses '${name}' before it is defined`);
      return shape;
    });
    try {
      const inferred = inferLayer(layer, inputs);
      shapes.set(layer.name, inferred.shape);
      if (inferred.weights.length > 0)
        weights.push({ layer: layer.name, className: layer.class_name, weights: inferred.weights });
    } catch (error) {
      if (error instanceof NetlensError) throw error;
      throw new NetlensError(
        'invalid_model_file',
        `layer '${layer.name}' (${layer.class_name}): ${(error as Error).message}`,
        { cause: error },
      );
    }
  }
  return { shapes, weights };
}

export function countParameters(weights: readonly LayerWeightSpec[]): number {
  let total = 0;
  for (const layer of weights) {
    for (const weight of layer.weights) total += weight.shape.reduce((a, b) => a * b, 1);
  }
  return total;
}
