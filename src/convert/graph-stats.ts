import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import protobuf from 'protobufjs';
import { NetlensError, messageOf } from '../core/errors.js';
import { ONNX_SCHEMA } from './onnx/schema.js';

/**
 * What onnxruntime makes of a converted graph: the node types before and after its CPU graph
 * optimisations (level 'all': constant folding, BatchNormalization folded into Conv, Conv + activation
 * fusion, x·sigmoid(x) → QuickGelu, Gelu, NCHWc layout), and which activations it fused into the
 * preceding Conv/Gemm or left as nodes of their own. Recorded in the manifest's provenance.graph.
 */
export interface GraphStats {
  opset: number;
  nodes: number;
  ops: Record<string, number>;
  optimizedNodes: number;
  optimizedOps: Record<string, number>;
  /** Fusions found in the optimised graph: 'Conv+Clip' (a Conv or NCHWc Conv carrying the activation), 'QuickGelu', … */
  fused: Record<string, number>;
  /** Activation nodes still on their own after optimisation (each one a pass over its tensor). */
  unfusedActivations: Record<string, number>;
  /** The optimiser: onnxruntime-node version, execution provider and level. */
  optimizer: string;
}

/** Activations onnxruntime's ConvActivationFusion / GemmActivationFusion can fold into the op before them. */
const ACTIVATIONS = new Set([
  'Relu',
  'Clip',
  'LeakyRelu',
  'Sigmoid',
  'HardSigmoid',
  'Tanh',
  'Elu',
  'Selu',
  'Softplus',
  'HardSwish',
  'PRelu',
  'ThresholdedRelu',
]);

/** Contrib ops that are themselves fusions of several ONNX nodes. */
const FUSED_OPS = new Set(['QuickGelu', 'Gelu', 'FastGelu', 'BiasGelu', 'FusedMatMul', 'LayerNormalization']);

interface DecodedNode {
  opType?: string;
  domain?: string;
  attribute?: { name?: string; s?: Uint8Array }[];
}

function histogram(types: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of types.sort()) out[t] = (out[t] ?? 0) + 1;
  return out;
}

/** The graph's nodes, from an ONNX file whose large initializers live in an external file (not read). */
function decodeNodes(bytes: Uint8Array): DecodedNode[] {
  const root = protobuf.Root.fromJSON(ONNX_SCHEMA as unknown as protobuf.INamespace);
  const model = root.lookupType('onnx.ModelProto').decode(bytes) as unknown as {
    graph?: { node?: DecodedNode[] };
  };
  return model.graph?.node ?? [];
}

/** A node's op type; onnxruntime's NCHWc-layout ops (domain com.microsoft.nchwc) as 'NchwcConv', …. */
function opName(node: DecodedNode): string {
  const op = node.opType ?? '';
  return node.domain === 'com.microsoft.nchwc' ? `Nchwc${op}` : op;
}

/** Fusions and lone activations among the optimised graph's nodes. */
export function summariseOptimised(
  nodes: readonly DecodedNode[],
): Pick<GraphStats, 'fused' | 'unfusedActivations'> {
  const fused: string[] = [];
  const lone: string[] = [];
  for (const node of nodes) {
    const op = opName(node);
    const activation = node.attribute?.find((a) => a.name === 'activation')?.s;
    if (activation && /^(FusedConv|NchwcConv|FusedGemm)$/.test(op)) {
      const base = op === 'FusedGemm' ? 'Gemm' : 'Conv';
      fused.push(`${base}+${new TextDecoder().decode(activation)}`);
    } else if (FUSED_OPS.has(op)) fused.push(op);
    else if (ACTIVATIONS.has(op)) lone.push(op);
  }
  return { fused: histogram(fused), unfusedActivations: histogram(lone) };
}

/**
 * Session options that make onnxruntime write the optimised graph to `file`, its initializers to a
 * separate file next to it that is never read back (only the nodes are counted).
 */
export function saveOptimisedGraphOptions(file: string): {
  optimizedModelFilePath: string;
  logSeverityLevel: 3;
  extra: Record<string, unknown>;
} {
  return {
    optimizedModelFilePath: file,
    // Errors only: saving an NCHWc-optimised graph warns that it is hardware-specific (it is only counted).
    logSeverityLevel: 3,
    extra: {
      session: {
        optimized_model_external_initializers_file_name: `${path.basename(file)}.initializers`,
        optimized_model_external_initializers_min_size_in_bytes: '64',
      },
    },
  };
}

/** Counts the nodes of an optimised graph written with saveOptimisedGraphOptions. */
export async function readOptimisedGraphStats(
  optimisedFile: string,
  before: { opset: number; ops: Record<string, number> },
): Promise<GraphStats> {
  const ort = await import('onnxruntime-node');
  const nodes = decodeNodes(new Uint8Array(await readFile(optimisedFile)));
  return {
    opset: before.opset,
    nodes: Object.values(before.ops).reduce((a, b) => a + b, 0),
    ops: before.ops,
    optimizedNodes: nodes.length,
    optimizedOps: histogram(nodes.map(opName)),
    ...summariseOptimised(nodes),
    optimizer: `onnxruntime-node ${ort.env.versions.node ?? ort.env.versions.common}, cpu, graphOptimizationLevel all`,
  };
}

/**
 * Loads the ONNX file in onnxruntime-node (CPU, one thread, level 'all') only to write and count its
 * optimised graph. This holds the model in onnxruntime (≈ 3× the file's size): convertModelFile does it
 * only when asked; with --verify it reads the graph the verification's session wrote instead.
 */
export async function optimisedGraphStats(
  onnxPath: string,
  before: { opset: number; ops: Record<string, number> },
): Promise<GraphStats> {
  const ort = await import('onnxruntime-node');
  const dir = await mkdtemp(path.join(tmpdir(), 'netlens-graph-'));
  const optimised = path.join(dir, 'optimised.onnx');
  try {
    const session = await ort.InferenceSession.create(onnxPath, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      intraOpNumThreads: 1,
      ...saveOptimisedGraphOptions(optimised),
    });
    await session.release();
    return await readOptimisedGraphStats(optimised, before);
  } catch (cause) {
    throw new NetlensError('internal', `onnxruntime could not optimise ${onnxPath}: ${messageOf(cause)}`, {
      cause,
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
