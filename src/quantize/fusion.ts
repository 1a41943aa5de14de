import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import protobuf from 'protobufjs';
import { ONNX_SCHEMA } from '../convert/onnx/schema.js';

/** One node of the graph onnxruntime really runs. */
export interface OptimisedNode {
  opType: string;
  /** '' for the default domain; onnxruntime's own kernels are 'com.microsoft', 'com.microsoft.nchwc'. */
  domain: string;
  inputs: string[];
  outputs: string[];
}

/**
 * What onnxruntime-node (CPU, all graph optimisations, one thread) really runs for a model: it loads the
 * model and saves the optimised graph (`optimizedModelFilePath`). A QDQ model is fused when this shows
 * QLinearConv / QGemm / QLinear* nodes and no DequantizeLinear left.
 */
export async function optimisedNodes(model: Uint8Array): Promise<OptimisedNode[]> {
  const dir = await mkdtemp(path.join(tmpdir(), 'netlens-optimised-'));
  const file = path.join(dir, 'model.onnx');
  try {
    const session = await ort.InferenceSession.create(model, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      optimizedModelFilePath: file,
      intraOpNumThreads: 1,
      logSeverityLevel: 3,
    });
    await session.release();
    return nodesOf(await readFile(file));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Node count per op type of the graph onnxruntime-node runs (optimisedNodes). */
export async function optimisedOpCounts(model: Uint8Array): Promise<Record<string, number>> {
  return countOps(await optimisedNodes(model));
}

let modelType: protobuf.Type | undefined;

/** The nodes of any ONNX model (every domain; nothing else is decoded). */
export function nodesOf(bytes: Uint8Array): OptimisedNode[] {
  modelType ??= protobuf.Root.fromJSON(ONNX_SCHEMA as unknown as protobuf.INamespace).lookupType(
    'onnx.ModelProto',
  );
  const model = modelType.decode(bytes) as unknown as {
    graph?: { node?: { opType: string; domain?: string; input?: string[]; output?: string[] }[] };
  };
  return (model.graph?.node ?? []).map((n) => ({
    opType: n.opType,
    domain: n.domain ?? '',
    inputs: [...(n.input ?? [])],
    outputs: [...(n.output ?? [])],
  }));
}

/** Node count per op type of any ONNX model. */
export function opCounts(bytes: Uint8Array): Record<string, number> {
  return countOps(nodesOf(bytes));
}

function countOps(nodes: readonly OptimisedNode[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const node of nodes) counts[node.opType] = (counts[node.opType] ?? 0) + 1;
  return counts;
}

/** The integer kernels among `counts` (QLinear*, QGemm, MatMulInteger*, ConvInteger). */
export function integerKernels(counts: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(counts).filter(([op]) =>
      /^(QLinear|QGemm|MatMulInteger|ConvInteger|DynamicQuantize)/.test(op),
    ),
  );
}
