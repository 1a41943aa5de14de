import { NetlensError } from '../core/errors.js';
import type { OnnxAttributeValue, OnnxDataType, OnnxDim } from '../convert/onnx/index.js';

/**
 * An ONNX inference graph held in memory so that passes can rewrite it: what `readOnnxModel` reads from
 * a file and `writeOnnxModel` writes back through the converter's OnnxGraphBuilder. Only the subset of
 * ONNX that netlens models use (one graph, default domain, initializers as dense tensors).
 */

/** Dense tensor values; Uint16Array holds float16 bit patterns. */
export type TensorData = Float32Array | Uint16Array | Uint8Array | Int8Array | Int32Array | BigInt64Array;

export interface Tensor {
  readonly dims: readonly number[];
  readonly data: TensorData;
}

export interface GraphNode {
  name: string;
  opType: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, OnnxAttributeValue>;
}

export interface GraphValue {
  name: string;
  /** null: shape unknown. */
  dims: OnnxDim[] | null;
  dtype: OnnxDataType;
}

export interface Graph {
  name: string;
  opset: number;
  inputs: GraphValue[];
  outputs: GraphValue[];
  /** In topological order. */
  nodes: GraphNode[];
  initializers: Map<string, Tensor>;
  metadata: Map<string, string>;
  producerName: string;
  docString: string;
}

export function dataTypeOf(data: TensorData): OnnxDataType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Uint16Array) return 'float16';
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Int32Array) return 'int32';
  return 'int64';
}

/** Every node that reads `tensor`. */
export function consumersOf(graph: Graph, tensor: string): GraphNode[] {
  return graph.nodes.filter((n) => n.inputs.includes(tensor));
}

/** A map from tensor name to the nodes that read it (built once for passes that ask often). */
export function consumerIndex(graph: Graph): Map<string, GraphNode[]> {
  const index = new Map<string, GraphNode[]>();
  for (const node of graph.nodes) {
    for (const input of new Set(node.inputs)) {
      if (input === '') continue;
      const list = index.get(input);
      if (list) list.push(node);
      else index.set(input, [node]);
    }
  }
  return index;
}

/** A map from tensor name to the node that writes it. */
export function producerIndex(graph: Graph): Map<string, GraphNode> {
  const index = new Map<string, GraphNode>();
  for (const node of graph.nodes) for (const output of node.outputs) index.set(output, node);
  return index;
}

export function isGraphOutput(graph: Graph, tensor: string): boolean {
  return graph.outputs.some((o) => o.name === tensor);
}

/** The float32 initializer `name`, or undefined when `name` is not a float32 initializer. */
export function floatInitializer(graph: Graph, name: string): Float32Array | undefined {
  const t = graph.initializers.get(name);
  return t && t.data instanceof Float32Array ? t.data : undefined;
}

export function attributeInts(node: GraphNode, name: string): number[] | undefined {
  const value = node.attributes[name];
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return [...(value as readonly number[])];
  if (typeof value === 'number') return [value];
  throw new NetlensError(
    'invalid_model_file',
    `${node.opType} '${node.name}': attribute ${name} is not integers`,
  );
}

export function attributeNumber(node: GraphNode, name: string): number | undefined {
  const value = node.attributes[name];
  if (value === undefined) return undefined;
  if (typeof value === 'number') return value;
  if (typeof value === 'object' && 'kind' in value && value.kind === 'float') return value.value;
  throw new NetlensError(
    'invalid_model_file',
    `${node.opType} '${node.name}': attribute ${name} is not a number`,
  );
}

/** Replaces every read of `from` by `to` (graph outputs are not renamed). */
export function renameInputs(graph: Graph, from: string, to: string): void {
  for (const node of graph.nodes) {
    for (let i = 0; i < node.inputs.length; i++) if (node.inputs[i] === from) node.inputs[i] = to;
  }
}

/** Drops initializers that no node reads any more. */
export function pruneInitializers(graph: Graph): void {
  const used = new Set(graph.nodes.flatMap((n) => n.inputs));
  for (const name of [...graph.initializers.keys()]) if (!used.has(name)) graph.initializers.delete(name);
}

/** A name not used by any tensor or initializer of the graph, derived from `base`. */
export function freshNameFactory(graph: Graph): (base: string) => string {
  const used = new Set<string>([...graph.initializers.keys(), ...graph.inputs.map((i) => i.name)]);
  for (const node of graph.nodes) {
    for (const t of [...node.inputs, ...node.outputs]) used.add(t);
    used.add(node.name);
  }
  return (base: string): string => {
    let name = base;
    for (let n = 1; used.has(name); n++) name = `${base}_${n}`;
    used.add(name);
    return name;
  };
}

/** Deep enough copy that passes may mutate nodes, lists and the initializer map (tensor data is shared). */
export function cloneGraph(graph: Graph): Graph {
  return {
    ...graph,
    inputs: graph.inputs.map((v) => ({ ...v, dims: v.dims ? [...v.dims] : null })),
    outputs: graph.outputs.map((v) => ({ ...v, dims: v.dims ? [...v.dims] : null })),
    nodes: graph.nodes.map((n) => ({
      ...n,
      inputs: [...n.inputs],
      outputs: [...n.outputs],
      attributes: { ...n.attributes },
    })),
    initializers: new Map(graph.initializers),
    metadata: new Map(graph.metadata),
  };
}

/** Number of nodes per op type. */
export function opHistogram(graph: Graph): Record<string, number> {
  const histogram: Record<string, number> = {};
  for (const node of graph.nodes) histogram[node.opType] = (histogram[node.opType] ?? 0) + 1;
  return histogram;
}
