import { NetlensError } from '../core/errors.js';
import type { Range } from './calibrate.js';
import {
  attributeNumber,
  cloneGraph,
  floatInitializer,
  freshNameFactory,
  pruneInitializers,
  type Graph,
  type GraphNode,
} from './graph.js';
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
  /**
   * Per-channel means of the inputs of Conv and Gemm nodes over the calibration inputs, by tensor. When
   * given, each bias absorbs the mean error its weights' rounding adds to the output (bias correction,
   * Nagel et al. 2019, "Data-Free Quantization", §4.2, empirical form).
   */
  inputMeans?: ReadonlyMap<string, Float64Array>;
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
 * (per channel along the output-channel axis), biases int32 with scale input scale × weight scale, both
 * with zero point 0 — written only where onnxruntime's fusion needs it (Gemm's weights: no QGemm
 * without; MatMul's kept alike), elsewhere left to DequantizeLinear's default. The
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
  /** Tensor → its QuantizeLinear's output. */
  const quantizedOf = new Map<string, string>();
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
    quantizedOf.set(tensor, q);
  };

  for (const input of graph.inputs) if (quantized.has(input.name)) emitQdq(input.name);
  for (const original of graph.nodes) {
    const n = { ...original, inputs: original.inputs.map((t) => dequantized.get(t) ?? t) };
    const w = weighted.get(n.name);
    if (w) {
      const inputParams = params.get(original.inputs[0] ?? '');
      if (!inputParams)
        throw new NetlensError('internal', `${n.opType} '${n.name}': its input is not quantized`);
      const means = options.inputMeans?.get(original.inputs[0] ?? '');
      nodes.push(...quantizeWeights(graph, n, w, inputParams.scale, options.perChannel, means, fresh));
    } else {
      const guard = floatKeepingDequantize(graph, original, quantizedOf, initializersOf, fresh);
      if (guard) {
        nodes.push(guard);
        n.inputs[0] = guard.outputs[0] ?? '';
      }
    }
    nodes.push(n);
    for (const output of n.outputs) if (quantized.has(output)) emitQdq(output);
  }
  graph.nodes = withoutUnreadDequantize(graph, nodes);
  pruneInitializers(graph);
  return { graph, params };
}

/**
 * Drops the DequantizeLinear nodes nothing reads: a tensor's shared one when its only readers are float
 * Conv/Gemm nodes with their own (floatKeepingDequantize). onnxruntime does not remove them itself: each
 * would still convert its whole tensor to float32 on every run.
 */
function withoutUnreadDequantize(graph: Graph, nodes: readonly GraphNode[]): GraphNode[] {
  const read = new Set([...nodes.flatMap((n) => n.inputs), ...graph.outputs.map((o) => o.name)]);
  return nodes.filter((n) => n.opType !== 'DequantizeLinear' || n.outputs.some((o) => read.has(o)));
}

/**
 * A float32 Conv or Gemm that reads a dequantized tensor gets its own DequantizeLinear of that tensor with
 * the scale and zero point repeated per input channel (axis 1), so that it stays float32 in onnxruntime.
 * onnxruntime's WeightBiasQuantization (level-1 optimisation, 1.2x) otherwise quantizes the float weights
 * of any Conv/Gemm between a per-tensor DequantizeLinear and a QuantizeLinear itself — per tensor, which
 * is worse than our per-channel int8 and defeats keeping the node float (measured on resnet8_cifar10:
 * keeping one Conv float raised its output's error 2.5×). Undefined when the node needs no guard (its input
 * is float, its weight is not a float initializer) or cannot have one (a single input channel: a
 * one-element scale counts as per-tensor).
 */
function floatKeepingDequantize(
  graph: Graph,
  n: GraphNode,
  quantizedOf: ReadonlyMap<string, string>,
  initializersOf: (tensor: string) => { scale: string; zeroPoint: string },
  fresh: (base: string) => string,
): GraphNode | undefined {
  const input = n.inputs[0] ?? '';
  const weight = graph.initializers.get(n.inputs[1] ?? '');
  const quantized = quantizedOf.get(input);
  if (quantized === undefined || !weight || !floatInitializer(graph, n.inputs[1] ?? '')) return undefined;
  let channels: number | undefined;
  if (n.opType === 'Conv') channels = (weight.dims[1] ?? 0) * (attributeNumber(n, 'group') ?? 1);
  else if (n.opType === 'Gemm' && (attributeNumber(n, 'transA') ?? 0) === 0)
    channels = weight.dims[(attributeNumber(n, 'transB') ?? 0) === 1 ? 1 : 0];
  if (channels === undefined || channels < 2) return undefined;
  const shared = initializersOf(input);
  const scale = (graph.initializers.get(shared.scale)?.data[0] as number | undefined) ?? 1;
  const zeroPoint = (graph.initializers.get(shared.zeroPoint)?.data[0] as number | undefined) ?? 0;
  const names = { scale: fresh(`${n.name}/input_scale`), zeroPoint: fresh(`${n.name}/input_zero_point`) };
  graph.initializers.set(names.scale, { dims: [channels], data: new Float32Array(channels).fill(scale) });
  graph.initializers.set(names.zeroPoint, {
    dims: [channels],
    data: new Uint8Array(channels).fill(zeroPoint),
  });
  return node(
    'DequantizeLinear',
    [quantized, names.scale, names.zeroPoint],
    fresh(`${n.name}/input_float32`),
    fresh(`${n.name}/DequantizeLinear`),
    1,
  );
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
  perChannel: boolean,
  inputMeans: Float64Array | undefined,
  fresh: (base: string) => string,
): GraphNode[] {
  const weight = graph.initializers.get(w.weight);
  if (!weight || !(weight.data instanceof Float32Array))
    throw new NetlensError('internal', `${n.opType} '${n.name}': weight '${w.weight}' is not float32`);
  const channels = weight.dims[w.axis] as number;
  const given = w.bias === undefined ? undefined : graph.initializers.get(w.bias)?.data;
  let bias = given instanceof Float32Array ? given : undefined;
  const axis = perChannel ? w.axis : undefined;
  const minScales = bias ? minWeightScalesForBias(bias, inputScale, axis === undefined) : undefined;
  const q = quantizeWeight(weight.data, weight.dims, axis, minScales);
  if (inputMeans && w.opType !== 'MatMul') {
    const shift = roundingShift(n, w, weight.data, weight.dims, q, inputMeans);
    if (shift) bias = (bias ?? new Float32Array(channels)).map((b, c) => b - (shift[c] as number));
  }
  // Zero points are optional in DequantizeLinear (0 when absent): a Conv's int8 weights and every int32
  // bias go without, but onnxruntime fuses a Gemm (QGemm) only when its weight's zero point is given.
  const weightZeroPoints = w.opType === 'Conv' ? undefined : new Int8Array(q.scales.length);
  const out = [dequantized(graph, w.weight, weight.dims, q.values, q.scales, weightZeroPoints, axis, fresh)];
  n.inputs[1] = out[0]?.outputs[0] ?? '';
  if (bias) {
    const b = quantizeBias(bias, inputScale, q.scales);
    const scales = axis === undefined ? Float32Array.of(b.scales[0] ?? 1) : b.scales;
    const name = w.bias ?? `${w.weight}/bias`;
    out.push(
      dequantized(
        graph,
        name,
        [b.values.length],
        b.values,
        scales,
        undefined,
        axis === undefined ? undefined : 0,
        fresh,
      ),
    );
    n.inputs[2] = out[1]?.outputs[0] ?? '';
  }
  return out;
}

/**
 * A DequantizeLinear of new initializers `<base>/quantized`, `/scale` and, when given, `/zero_point`
 * (without one, DequantizeLinear's zero point is 0).
 */
function dequantized(
  graph: Graph,
  base: string,
  dims: readonly number[],
  values: Int8Array | Int32Array,
  scales: Float32Array,
  zeroPoints: Int8Array | undefined,
  axis: number | undefined,
  fresh: (base: string) => string,
): GraphNode {
  const names = { values: fresh(`${base}/quantized`), scale: fresh(`${base}/scale`) };
  const scaleDims = axis === undefined ? [] : [scales.length];
  graph.initializers.set(names.values, { dims, data: values });
  graph.initializers.set(names.scale, { dims: scaleDims, data: scales });
  const inputs = [names.values, names.scale];
  if (zeroPoints) {
    const zeroPoint = fresh(`${base}/zero_point`);
    graph.initializers.set(zeroPoint, { dims: scaleDims, data: zeroPoints });
    inputs.push(zeroPoint);
  }
  return node(
    'DequantizeLinear',
    inputs,
    fresh(`${base}/dequantized`),
    fresh(`${base}/DequantizeLinear`),
    axis,
  );
}

/**
 * The mean output error of rounding the weights, per output channel: Σ (Wq − W) · E[x] over the
 * channel's inputs (and kernel positions, ignoring that the border sees padding). Undefined when the
 * means do not match the weight's input channels.
 */
function roundingShift(
  n: GraphNode,
  w: WeightedNode,
  data: Float32Array,
  dims: readonly number[],
  q: { values: Int8Array; scales: Float32Array },
  means: Float64Array,
): Float64Array | undefined {
  const channels = dims[w.axis] as number;
  const shift = new Float64Array(channels);
  const scaleOf = (c: number): number =>
    q.scales.length === 1 ? (q.scales[0] as number) : (q.scales[c] as number);
  const error = (i: number, c: number): number => (q.values[i] as number) * scaleOf(c) - (data[i] as number);
  if (w.opType === 'Conv') {
    const group = Number(n.attributes['group'] ?? 1);
    const perGroupIn = dims[1] as number;
    const kernel = dims.slice(2).reduce((a, b) => a * b, 1);
    if (means.length !== perGroupIn * group) return undefined;
    for (let o = 0; o < channels; o++) {
      const first = Math.floor(o / (channels / group)) * perGroupIn;
      for (let i = 0; i < perGroupIn; i++) {
        const m = means[first + i] as number;
        for (let k = 0; k < kernel; k++)
          shift[o] = (shift[o] as number) + error((o * perGroupIn + i) * kernel + k, o) * m;
      }
    }
    return shift;
  }
  // Gemm: B is [N, K] (axis 0) or [K, N] (axis 1); the input is [batch, K].
  const k = dims[1 - w.axis] as number;
  if (means.length !== k) return undefined;
  for (let c = 0; c < channels; c++) {
    for (let j = 0; j < k; j++) {
      const i = w.axis === 0 ? c * k + j : j * channels + c;
      shift[c] = (shift[c] as number) + error(i, c) * (means[j] as number);
    }
  }
  return shift;
}
