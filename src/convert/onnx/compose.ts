import protobuf from 'protobufjs';
import { NetlensError } from '../../core/errors.js';
import { ONNX_SCHEMA } from './schema.js';

/**
 * Joins two ONNX models into one, as `onnx.compose.merge_models` does in ONNX's Python API: the first
 * model's graph, then the second's, whose single input is fed by one of the first's outputs. The
 * second graph's tensor and node names get a prefix so they cannot collide; the result's inputs are
 * the first's, its outputs the second's. Both must import the same default-domain opset.
 *
 * Models are decoded with the converter's ONNX schema (a subset of onnx.proto): a model using fields
 * outside it is refused rather than silently stripped.
 */
export interface ComposeOptions {
  /** The output of `first` that feeds `second`'s input. */
  connect: string;
  /** Prefix for every tensor and node name of `second` (default 'head/'). */
  prefix?: string;
}

interface ValueInfo {
  name: string;
}
interface NodeProto {
  input: string[];
  output: string[];
  name: string;
}
interface TensorProto {
  name: string;
  dims: (number | { toNumber(): number })[];
}
interface GraphProto {
  node: NodeProto[];
  initializer: TensorProto[];
  input: ValueInfo[];
  output: ValueInfo[];
  valueInfo: ValueInfo[];
}
interface ModelProto {
  graph: GraphProto;
  opsetImport: { domain?: string; version: number | { toNumber(): number } }[];
}

let modelType: protobuf.Type | undefined;
function modelProto(): protobuf.Type {
  modelType ??= protobuf.Root.fromJSON(ONNX_SCHEMA as unknown as protobuf.INamespace).lookupType(
    'onnx.ModelProto',
  );
  return modelType;
}

/** Decodes a model, refusing one that uses fields the schema does not know (they would be lost). */
function decodeModel(bytes: Uint8Array, what: string): ModelProto {
  const type = modelProto();
  let message: protobuf.Message;
  try {
    message = type.decode(bytes);
  } catch (error) {
    throw new NetlensError('invalid_model_file', `${what} is not an ONNX model`, { cause: error });
  }
  if (type.encode(message).finish().length !== bytes.length) {
    throw new NetlensError(
      'invalid_model_file',
      `${what} uses ONNX fields netlens does not write (only models from netlens convert can be composed)`,
    );
  }
  // The decoded message itself (not toObject): re-encoding writes exactly the fields that were present.
  return message as unknown as ModelProto;
}

/** The version of the default ONNX domain a model imports. */
export function onnxOpset(bytes: Uint8Array, what = 'model'): number {
  return defaultOpset(decodeModel(bytes, what));
}

function defaultOpset(model: ModelProto): number {
  const entry = model.opsetImport.find((o) => (o.domain ?? '') === '');
  if (!entry) return 0;
  return typeof entry.version === 'number' ? entry.version : entry.version.toNumber();
}

/** Renames the graph's tensors and nodes in place: `input` becomes `connect`, the rest get `prefix`. */
function rename(graph: GraphProto, input: string, connect: string, prefix: string): GraphProto {
  const name = (n: string): string => (n === '' ? n : n === input ? connect : `${prefix}${n}`);
  for (const n of graph.node) {
    n.input = n.input.map(name);
    n.output = n.output.map(name);
    n.name = `${prefix}${n.name}`;
  }
  for (const t of [...graph.initializer, ...graph.output, ...graph.valueInfo]) t.name = name(t.name);
  graph.input = [];
  return graph;
}

function tensorNames(graph: GraphProto): Set<string> {
  const names = new Set<string>();
  for (const v of graph.input) names.add(v.name);
  for (const t of graph.initializer) names.add(t.name);
  for (const n of graph.node) for (const o of n.output) names.add(o);
  return names;
}

export interface ComposedModel {
  readonly bytes: Uint8Array;
  /** Values in all initializers (the parameter count). */
  readonly parameters: number;
}

/** `first` → `second`, one model; see ComposeOptions. */
export function composeModels(first: Uint8Array, second: Uint8Array, options: ComposeOptions): ComposedModel {
  const [a, b] = [decodeModel(first, 'the first model'), decodeModel(second, 'the second model')];
  if (defaultOpset(a) !== defaultOpset(b)) {
    throw new NetlensError(
      'invalid_argument',
      `cannot compose ONNX models of opset ${defaultOpset(a)} and ${defaultOpset(b)}`,
    );
  }
  const outputs = a.graph.output.map((o) => o.name);
  if (!outputs.includes(options.connect)) {
    throw new NetlensError(
      'invalid_argument',
      `the first model has no output '${options.connect}' (it has: ${outputs.join(', ')})`,
    );
  }
  const inputs = b.graph.input.filter((i) => !b.graph.initializer.some((t) => t.name === i.name));
  if (inputs.length !== 1) {
    throw new NetlensError('invalid_argument', `the second model must have one input, not ${inputs.length}`);
  }
  const tail = rename(b.graph, inputs[0]!.name, options.connect, options.prefix ?? 'head/');
  const taken = tensorNames(a.graph);
  const clash = [...tensorNames(tail)].find((n) => n !== options.connect && taken.has(n));
  if (clash !== undefined) {
    throw new NetlensError(
      'invalid_argument',
      `tensor name '${clash}' is in both models; use another prefix`,
    );
  }
  const graph = a.graph;
  graph.node = [...graph.node, ...tail.node];
  graph.initializer = [...graph.initializer, ...tail.initializer];
  graph.output = tail.output;
  graph.valueInfo = [...graph.valueInfo, ...tail.valueInfo];
  const parameters = graph.initializer.reduce(
    (sum, t) => sum + t.dims.reduce<number>((n, d) => n * (typeof d === 'number' ? d : d.toNumber()), 1),
    0,
  );
  return {
    bytes: modelProto()
      .encode(a as unknown as protobuf.Message)
      .finish(),
    parameters,
  };
}
