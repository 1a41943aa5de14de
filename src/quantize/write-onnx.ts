import { OnnxGraphBuilder } from '../convert/onnx/index.js';
import type { Graph } from './graph.js';

/**
 * The graph as an OnnxGraphBuilder (the converter's writer), ready for `toBytes()` or `writeOnnxFile`.
 * The builder re-checks what ONNX requires: unique tensor names and nodes in topological order.
 */
export function graphBuilder(graph: Graph, producerName = graph.producerName || 'netlens'): OnnxGraphBuilder {
  const builder = new OnnxGraphBuilder({
    name: graph.name,
    opset: graph.opset,
    producerName,
    docString: graph.docString,
  });
  for (const input of graph.inputs) builder.addInput(input.name, input.dims ?? [], input.dtype);
  for (const [name, tensor] of graph.initializers) builder.addInitializer(name, tensor.data, tensor.dims);
  for (const node of graph.nodes) {
    builder.addNode(node.opType, node.inputs, node.outputs, node.attributes, node.name);
  }
  for (const output of graph.outputs) builder.addOutput(output.name, output.dims, output.dtype);
  for (const [key, value] of graph.metadata) builder.setMetadata(key, value);
  return builder;
}

/** The graph serialised as ONNX bytes. */
export function writeOnnxModel(graph: Graph): Uint8Array {
  return graphBuilder(graph).toBytes();
}
