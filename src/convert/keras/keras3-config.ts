/**
 * Rewrites Keras 3 model JSON into the Keras 2 / tf.keras form the rest of the converter (and
 * TensorFlow.js) reads. Idempotent: Keras 2 JSON passes through unchanged apart from copies.
 *  - `{module, class_name, config, registered_name}` objects → `{class_name, config}`
 *  - dtype policies `{class_name: 'DTypePolicy', config: {name}}` → 'float32'
 *  - InputLayer `batch_shape` → `batch_input_shape`
 *  - `__tuple__`, `__numpy__` and `__tensor__` objects → their items / values
 *  - inbound nodes `{args: [KerasTensor…], kwargs}` → `[[layer, node, tensor, {}]…]`
 *  - operation nodes (keras.src.ops.*: `x + 3.0` in a Functional model) → tf.keras' TFOpLambda form
 */
function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function collectKerasTensors(value: unknown, out: unknown[][]): void {
  if (Array.isArray(value)) {
    for (const item of value) collectKerasTensors(item, out);
    return;
  }
  if (!isRecord(value)) return;
  if (value['class_name'] === '__keras_tensor__' && isRecord(value['config'])) {
    const history = value['config']['keras_history'];
    if (Array.isArray(history)) out.push([history[0], history[1] ?? 0, history[2] ?? 0, {}]);
  }
}

function normaliseInbound(nodes: unknown): unknown {
  if (!Array.isArray(nodes)) return nodes;
  return nodes.map((node) => {
    if (!isRecord(node) || !('args' in node)) return node;
    const refs: unknown[][] = [];
    collectKerasTensors(node['args'], refs);
    return refs;
  });
}

/** Keras 3 operation classes (keras.src.ops.numpy / .nn) → the tf.keras TFOpLambda function they compute. */
const KERAS3_OPERATIONS: Record<string, string> = {
  Add: 'math.add',
  Subtract: 'math.subtract',
  Multiply: 'math.multiply',
  Divide: 'math.divide',
  TrueDivide: 'math.truediv',
  Maximum: 'math.maximum',
  Minimum: 'math.minimum',
  Relu: 'nn.relu',
  Relu6: 'nn.relu6',
  Sigmoid: 'nn.sigmoid',
  Silu: 'nn.silu',
  HardSigmoid: 'nn.hard_sigmoid',
  HardSilu: 'nn.hard_silu',
  Tanh: 'math.tanh',
  Exp: 'math.exp',
};

function constantArgument(arg: unknown): unknown {
  if (isRecord(arg) && arg['class_name'] === '__numpy__' && isRecord(arg['config']))
    return arg['config']['value'];
  return arg;
}

/**
 * A Keras 3 operation node (`x + 3.0` on a KerasTensor: module keras.src.ops.numpy, class Add, args
 * [x, 3.0]) as the tf.keras TFOpLambda it equals: tensors as references, a constant first or second
 * argument as the call keyword `x` or `y` (lower/tf-ops.ts).
 */
function operationAsTfOpLambda(value: Record<string, unknown>): Record<string, unknown> {
  const className = String(value['class_name']);
  const config = isRecord(value['config']) ? value['config'] : {};
  const name = String(value['name'] ?? config['name'] ?? className);
  const nodes = Array.isArray(value['inbound_nodes']) ? value['inbound_nodes'] : [];
  const inbound = nodes.map((node) => {
    if (!isRecord(node) || !Array.isArray(node['args'])) return node;
    const refs: unknown[][] = [];
    const kwargs: Record<string, unknown> = {};
    node['args'].forEach((arg: unknown, i: number) => {
      const before = refs.length;
      collectKerasTensors(arg, refs);
      if (refs.length === before) kwargs[i === 0 ? 'x' : 'y'] = constantArgument(arg);
    });
    return refs.map((ref) => [ref[0], ref[1], ref[2], kwargs]);
  });
  return {
    class_name: 'TFOpLambda',
    name,
    config: { name, function: KERAS3_OPERATIONS[className] ?? `keras.ops.${className}` },
    inbound_nodes: inbound,
  };
}

function normaliseValue(value: unknown, key: string): unknown {
  if (Array.isArray(value)) return value.map((v) => normaliseValue(v, ''));
  if (!isRecord(value)) return value;
  if (
    typeof value['module'] === 'string' &&
    /^keras(\.src)?\.ops\b/.test(value['module']) &&
    'inbound_nodes' in value
  ) {
    return operationAsTfOpLambda(value);
  }
  if (value['class_name'] === 'DTypePolicy' || value['class_name'] === 'Policy') {
    const config = value['config'];
    return isRecord(config) && typeof config['name'] === 'string' ? config['name'] : 'float32';
  }
  if (value['class_name'] === '__tuple__' && Array.isArray(value['items'])) return value['items'];
  // Arrays and tensors in layer configs (Rescaling's per-channel scale): their values.
  if (
    (value['class_name'] === '__numpy__' || value['class_name'] === '__tensor__') &&
    isRecord(value['config']) &&
    'value' in value['config']
  ) {
    return value['config']['value'];
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === 'module' || k === 'registered_name' || k === 'build_config' || k === 'compile_config') continue;
    if (k === 'shared_object_id') continue;
    if (k === 'inbound_nodes') out[k] = normaliseInbound(v);
    else out[k] = normaliseValue(v, k);
  }
  if (key === '' && out['class_name'] === 'InputLayer' && isRecord(out['config'])) {
    const config = out['config'];
    if ('batch_shape' in config && !('batch_input_shape' in config)) {
      config['batch_input_shape'] = config['batch_shape'];
      delete config['batch_shape'];
    }
    delete config['optional'];
  }
  return out;
}

/** True when the JSON has Keras 3 markers (module keys, dict inbound nodes, batch_shape, dtype policies). */
export function isKeras3ModelConfig(root: unknown): boolean {
  const text = JSON.stringify(root);
  return (
    text.includes('"__keras_tensor__"') || text.includes('"batch_shape"') || text.includes('"DTypePolicy"')
  );
}

export function normaliseModelConfig(root: unknown): unknown {
  return normaliseValue(root, 'root');
}
