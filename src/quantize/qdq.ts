import { NetlensError } from '../core/errors.js';
import type { Range } from './calibrate.js';
import { cloneGraph, freshNameFactory, pruneInitializers, type Graph, type GraphNode } from './graph.js';
import type { QuantizationPlan, WeightedNode } from './plan.js';
import {
  activationParams,
  minWeightScalesForBias,
  quantizeBias,
  quantizeWeight,
  type ActivationParams,
} from './quant-math.js';

export interface QdqOptions {
  /** One weight scale per output channel (default) or one per tensor. */
  perChannel: boolean;
}

export interface QdqResult {
  graph: Graph;
  /** Activation parameters by tensor. */
  params: Map<string, ActivationParams>;
}

/**
 * Rewrites the plan's graph into QDQ form: every planned activation tensor `t` gets
 * `QuantizeLinear(t) → DequantizeLinear → t/dequantized` (uint8, the parameters of its group's range) and
 * every reader reads the dequantized tensor; weights become int8 initializers behind a DequantizeLinear
 * (per channel along the output-channel axis), biases int32 with scale input scale × weight scale. The
 * model stays a valid float model (input and output float32) that onnxruntime fuses into integer ops.
 */
export function applyQdq(
  plan: QuantizationPlan,
  ranges: ReadonlyMap<string, Range>,
  options: QdqOptions,
): QdqResult {
  const graph = cloneGraph(plan.graph);
  const fresh = freshNameFactory(graph);
  const params = groupParams(plan, ranges);
  const weighted = new Map(plan.weighted.map((w) => [w.node, w]));
  const dequantized = new Map<string, string>();
  const groupInitializers = new Map<string, { scale: string; zeroPoint: string }>();
  const nodes: GraphNode[] = [];
  const quantized = new Set(plan.tensors);

  const initializersOf = (tensor: string): { scale: string; zeroPoint: string } => {
    const group = plan.groupOf.get(tensor) ?? tensor;
    let names = groupInitializers.get(group);
    if (!names) {
      const p = params.get(tensor) as ActivationParams;
      names = { scale: fresh(`${group}/scale`), zeroPoint: fresh(`${group}/zero_point`) };
      graph.initializers.set(names.scale, { dims: [], data: Float32Array.of(p.scale) });
      graph.initializers.set(names.zeroPoint, { dims: [], data: Uint8Array.of(p.zeroPoint) });
      groupInitializers.set(group, names);
    }
    return names;
  };
  const emitQdq = (tensor: string): void => {
    const { scale, zeroPoint } = initializersOf(tensor);
    const q = fresh(`${tensor}/quantized`);
    const dq = fresh(`${tensor}/dequantized`);
    nodes.push(node('QuantizeLinear', [tensor, scale, zeroPoint], q, fresh(`${tensor}/QuantizeLinear`)));
    nodes.push(node('DequantizeLinear', [q, scale, zeroPoint], dq, fresh(`${tensor}/DequantizeLinear`)));
    dequantized.set(tensor, dq);
  };

  for (const input of graph.inputs) if (quantized.has(input.name)) emitQdq(input.name);
  for (const original of graph.nodes) {
    const n = { ...original, inputs: original.inputs.map((t) => dequantized.get(t) ?? t) };
    const w = weighted.get(n.name);
    if (w) {
      const inputParams = params.get(original.inputs[0] ?? '');
      if (!inputParams)
        throw new NetlensError('internal', `${n.opType} '${n.name}': its input is not quantized`);
      nodes.push(...quantizeWeights(graph, n, w, inputParams.scale, options, fresh));
    }
    nodes.push(n);
    for (const output of n.outputs) if (quantized.has(output)) emitQdq(output);
  }
  graph.nodes = nodes;
  pruneInitializers(graph);
  return { graph, params };
}

function node(opType: string, inputs: string[], output: string, name: string, axis?: number): GraphNode {
  return { name, opType, inputs, outputs: [output], attributes: axis === undefined ? {} : { axis } };
}

/** Each group's parameters from the union of its members' ranges, by tensor. */
function groupParams(
  plan: QuantizationPlan,
  ranges: ReadonlyMap<string, Range>,
): Map<string, ActivationParams> {
  const union = new Map<string, Range>();
  for (const t of plan.tensors) {
    const r = ranges.get(t);
    if (!r) throw new NetlensError('internal', `no calibrated range for tensor '${t}'`);
    const group = plan.groupOf.get(t) ?? t;
    const u = union.get(group);
    union.set(group, u ? { min: Math.min(u.min, r.min), max: Math.max(u.max, r.max) } : { ...r });
  }
  const clips = new Map(plan.removedActivations.map((a) => [a.tensor, a.max]));
  for (const [tensor, max] of clips) {
    const group = plan.groupOf.get(tensor) ?? tensor;
    const u = union.get(group);
    if (u && max !== undefined) u.max = Math.min(u.max, max);
  }
  const byGroup = new Map([...union].map(([g, r]) => [g, activationParams(r)]));
  return new Map(plan.tensors.map((t) => [t, byGroup.get(plan.groupOf.get(t) ?? t) as ActivationParams]));
}

/** int8 weight (+ int32 bias) initializers and their DequantizeLinear nodes; rewires `n` to read them. */
function quantizeWeights(
  graph: Graph,
  n: GraphNode,
  w: WeightedNode,
  inputScale: number,
  options: QdqOptions,
  fresh: (base: string) => string,
): GraphNode[] {
  const weight = graph.initializers.get(w.weight);
  if (!weight || !(weight.data instanceof Float32Array))
    throw new NetlensError('internal', `${n.opType} '${n.name}': weight '${w.weight}' is not float32`);
  const bias = w.bias === undefined ? undefined : graph.initializers.get(w.bias);
  const biasData = bias?.data instanceof Float32Array ? bias.data : undefined;
  const axis = options.perChannel ? w.axis : undefined;
  const minScales = biasData ? minWeightScalesForBias(biasData, inputScale, axis === undefined) : undefined;
  const q = quantizeWeight(weight.data, weight.dims, axis, minScales);
  const perChannelDims = axis === undefined ? [] : [q.scales.length];
  const names = {
    values: fresh(`${w.weight}/quantized`),
    scale: fresh(`${w.weight}/scale`),
    zeroPoint: fresh(`${w.weight}/zero_point`),
    out: fresh(`${w.weight}/dequantized`),
  };
  graph.initializers.set(names.values, { dims: weight.dims, data: q.values });
  graph.initializers.set(names.scale, { dims: perChannelDims, data: q.scales });
  graph.initializers.set(names.zeroPoint, { dims: perChannelDims, data: new Int8Array(q.scales.length) });
  const out = [
    node(
      'DequantizeLinear',
      [names.values, names.scale, names.zeroPoint],
      names.out,
      fresh(`${w.weight}/DequantizeLinear`),
      axis,
    ),
  ];
  n.inputs[1] = names.out;
  if (biasData && w.bias !== undefined) {
    const b = quantizeBias(biasData, inputScale, q.scales);
    const scales = axis === undefined ? Float32Array.of(b.scales[0] ?? 1) : b.scales;
    const dims = axis === undefined ? [] : [b.scales.length];
    const bn = {
      values: fresh(`${w.bias}/quantized`),
      scale: fresh(`${w.bias}/scale`),
      zeroPoint: fresh(`${w.bias}/zero_point`),
      out: fresh(`${w.bias}/dequantized`),
    };
    graph.initializers.set(bn.values, { dims: [b.values.length], data: b.values });
    graph.initializers.set(bn.scale, { dims, data: scales });
    graph.initializers.set(bn.zeroPoint, { dims, data: new Int32Array(scales.length) });
    out.push(
      node(
        'DequantizeLinear',
        [bn.values, bn.scale, bn.zeroPoint],
        bn.out,
        fresh(`${w.bias}/DequantizeLinear`),
        axis === undefined ? undefined : 0,
      ),
    );
    n.inputs[2] = bn.out;
  }
  return out;
}
