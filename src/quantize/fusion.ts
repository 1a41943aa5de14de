import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import protobuf from 'protobufjs';
import { ONNX_SCHEMA } from '../convert/onnx/schema.js';

/**
 * What onnxruntime-node (CPU, all graph optimisations) really runs for a model: it loads the model,
 * saves the optimised graph (`optimizedModelFilePath`) and counts its nodes per op type. A QDQ model is
 * fused when this shows QLinearConv / QGemm / QLinear* nodes and no DequantizeLinear left.
 */
export async function optimisedOpCounts(model: Uint8Array): Promise<Record<string, number>> {
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
    return opCounts(await readFile(file));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

let nodesType: protobuf.Type | undefined;

/** Node count per op type of any ONNX model (every domain; nothing else is decoded). */
export function opCounts(bytes: Uint8Array): Record<string, number> {
  nodesType ??= protobuf.Root.fromJSON(ONNX_SCHEMA as unknown as protobuf.INamespace).lookupType(
    'onnx.ModelProto',
  );
  const model = nodesType.decode(bytes) as unknown as { graph?: { node?: { opType: string }[] } };
  const counts: Record<string, number> = {};
  for (const node of model.graph?.node ?? []) counts[node.opType] = (counts[node.opType] ?? 0) + 1;
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
