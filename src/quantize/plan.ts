import type { Range } from './calibrate.js';
import { windowsHoldInput } from './fold.js';
import {
  attributeInts,
  attributeNumber,
  cloneGraph,
  consumerIndex,
  floatInitializer,
  isGraphOutput,
  producerIndex,
  type Graph,
  type GraphNode,
} from './graph.js';

/**
 * Which parts of a (folded) float graph become int8, decided so that onnxruntime fuses every
 * DequantizeLinear → op → QuantizeLinear group into one integer kernel (QLinearConv, QGemm,
 * QLinearMatMul, QLinearAdd, QLinearMul, QLinearConcat, QLinearAveragePool, QLinearGlobalAveragePool) or
 * drops the Q/DQ pair around a layout op (MaxPool, Reshape, Flatten, Transpose, …), which only works
 * when its input and output share one scale and zero point.
 *
 * - A tensor is quantized when an integer op reads it (its activation inputs) — so an op whose output
 *   only a float op reads (the last Gemm before Softmax) keeps a float output.
 *   quantizeConvOutputs (tuned for onnxruntime-web: tune-for.ts) also quantizes every integer Conv's
 *   output, so that a Conv before a float32 one still runs as QLinearConv.
 * - minIntegerDepth keeps float32 the weighted ops whose dot products are shorter (depthwise Convs, 1×1
 *   Convs on few channels), where an 8-bit kernel does not beat float32 (onnxruntime-web: tune-for.ts).
 * - Layout ops run on uint8 only after an integer op: the Transpose of the NHWC input stays float.
 * - Concat's inputs and output share one scale (onnxruntime's QLinearConcat then copies bytes instead of
 *   requantizing each input), as do a layout op's input and output; tensors are grouped with union–find
 *   and a group's range is the union of its members'.
 * - A Relu or Clip(0, c) right after Conv/Gemm/MatMul/Add/Mul/AveragePool/GlobalAveragePool is removed: the quantized output of the op
 *   takes the activation's range, whose lower end is exactly 0, so QuantizeLinear's saturation is the
 *   activation. Kept instead when the output's group would reach below 0 (or above c).
 * - A Relu or Clip that stays float (after a float op: the first Conv) and feeds a MaxPool moves below
 *   it (sinkActivationsBelowMaxPool), so that the MaxPool stays float beside that op.
 * - Softmax is never quantized (8-bit probabilities would round small ones to 0); by default neither is
 *   the first Conv, which reads the image itself (keepFirstConvFloat).
 */
export const WEIGHTED_OPS = ['Conv', 'Gemm', 'MatMul'] as const;
const ELEMENTWISE_OPS = ['Add', 'Mul'];
/** Integer ops (besides weighted ones) whose output is requantized, so its saturation can be a Relu. */
const REQUANTIZING_OPS = [...ELEMENTWISE_OPS, 'AveragePool', 'GlobalAveragePool'];
const ACTIVATION_OPS = ['Concat', 'AveragePool', 'GlobalAveragePool'];
export const SAME_SCALE_OPS = ['MaxPool', 'Reshape', 'Flatten', 'Transpose', 'Squeeze', 'Unsqueeze'];
const INPUT_LAYOUT_OPS = ['Transpose', 'Reshape', 'Pad', 'Identity'];

export interface PlanOptions {
  /** Keep a Conv that reads the graph input (through layout ops only) in float32. Default true. */
  keepFirstConvFloat?: boolean;
  /** Op types to keep in float32 (e.g. 'Gemm' for the classifier head). */
  floatOps?: readonly string[];
  /** Node names to keep in float32. */
  floatNodes?: readonly string[];
  /**
   * Keep float32 every Conv/Gemm/MatMul whose dot products are shorter than this: input channels per
   * group × kernel size (a depthwise 3×3 Conv: 9; a 1×1 Conv on 32 channels: 32). Default 0 (none).
   */
  minIntegerDepth?: number;
  /**
   * Quantize the output of every integer Conv, also where only float ops read it, so that onnxruntime
   * still fuses the Conv into QLinearConv (and a Relu/Clip after it into the saturation). Default false:
   * such a Conv then stays float, which saves a QuantizeLinear/DequantizeLinear pair.
   */
  quantizeConvOutputs?: boolean;
}

interface Rules {
  keepFirstConvFloat: boolean;
  quantizeConvOutputs: boolean;
  float: (node: GraphNode) => boolean;
}

function rulesOf(options: PlanOptions, graph: Graph): Rules {
  const ops = new Set(options.floatOps ?? []);
  const nodes = new Set(options.floatNodes ?? []);
  const minDepth = options.minIntegerDepth ?? 0;
  return {
    keepFirstConvFloat: options.keepFirstConvFloat ?? true,
    quantizeConvOutputs: options.quantizeConvOutputs === true,
    float: (node) =>
      ops.has(node.opType) || nodes.has(node.name) || (minDepth > 0 && dotDepth(graph, node) < minDepth),
  };
}

/**
 * The length of the dot products a weighted node computes: a Conv's input channels per group × kernel
 * size (weight [O, I/group, kh, kw]), a Gemm's or MatMul's K. Infinity for other nodes.
 */
export function dotDepth(graph: Graph, node: GraphNode): number {
  const w = graph.initializers.get(node.inputs[1] ?? '');
  if (!w) return Infinity;
  if (node.opType === 'Conv') return w.dims.slice(1).reduce((a, b) => a * b, 1);
  if (node.opType === 'MatMul' && w.dims.length === 2) return w.dims[0] as number;
  if (node.opType === 'Gemm' && w.dims.length === 2)
    return w.dims[(attributeNumber(node, 'transB') ?? 0) === 1 ? 1 : 0] as number;
  return Infinity;
}

export interface WeightedNode {
  node: string;
  opType: (typeof WEIGHTED_OPS)[number];
  weight: string;
  /** Output-channel axis of the weight tensor (per-channel scales run along it). */
  axis: number;
  bias: string | undefined;
}

export interface RemovedActivation {
  node: string;
  opType: 'Relu' | 'Clip';
  /** The tensor the activation wrote, now written by the op before it. */
  tensor: string;
  /** Clip's upper limit. */
  max: number | undefined;
}

export interface QuantizationPlan {
  /** The folded graph with the removable activations removed; the QDQ rewrite applies to it. */
  graph: Graph;
  /** Activation tensors that get a QuantizeLinear/DequantizeLinear pair, in graph order. */
  tensors: string[];
  /** Tensor → the tensor representing its shared-scale group. */
  groupOf: Map<string, string>;
  weighted: WeightedNode[];
  removedActivations: RemovedActivation[];
  /** Float Relu/Clip nodes moved below the MaxPool they fed (sinkActivationsBelowMaxPool). */
  sunkActivations: string[];
  /** Ops that stay float32 (other than layout ops and Q/DQ): op type → node names. */
  keptFloat: Record<string, string[]>;
}

/**
 * Plans the quantization of `folded` (foldForQuantization's output). `observed` holds each tensor's
 * min/max over the calibration inputs, used to decide which activations may be removed.
 */
export function planQuantization(
  folded: Graph,
  observed: ReadonlyMap<string, Range>,
  options: PlanOptions = {},
): QuantizationPlan {
  const rules = rulesOf(options, folded);
  let candidates = removableActivations(folded, rules);
  for (;;) {
    const graph = cloneGraph(folded);
    const removed = removeActivations(graph, candidates);
    const sunk = sinkActivationsBelowMaxPool(graph, rules);
    const { tensors, groupOf } = quantizedTensors(graph, rules);
    const broken = removed.filter((a) => !groupKeepsActivation(a, groupOf, observed));
    if (broken.length === 0) {
      return {
        graph,
        tensors,
        groupOf,
        weighted: weightedNodes(graph, rules).filter((w) => tensors.includes(activationInput(graph, w.node))),
        removedActivations: removed,
        sunkActivations: sunk,
        keptFloat: keptFloatOps(graph, tensors, rules),
      };
    }
    const drop = new Set(broken.map((a) => a.node));
    candidates = candidates.filter((n) => !drop.has(n.name));
  }
}

function activationInput(graph: Graph, nodeName: string): string {
  return graph.nodes.find((n) => n.name === nodeName)?.inputs[0] ?? '';
}

/** True when the node reads the graph input through layout ops only (the image). */
function readsGraphInput(graph: Graph, node: GraphNode, producers: Map<string, GraphNode>): boolean {
  const inputs = new Set(graph.inputs.map((i) => i.name));
  let tensor = node.inputs[0] ?? '';
  for (let depth = 0; depth < 16; depth++) {
    if (inputs.has(tensor)) return true;
    const producer = producers.get(tensor);
    if (!producer || !INPUT_LAYOUT_OPS.includes(producer.opType)) return false;
    tensor = producer.inputs[0] ?? '';
  }
  return false;
}

/** Weighted nodes with constant float weights of a shape the integer kernels take. */
export function weightedNodes(graph: Graph, rules: Rules): WeightedNode[] {
  const producers = producerIndex(graph);
  const out: WeightedNode[] = [];
  for (const node of graph.nodes) {
    const weight = node.inputs[1] ?? '';
    const w = graph.initializers.get(weight);
    if (!w || !(w.data instanceof Float32Array) || rules.float(node)) continue;
    const bias = node.inputs[2] || undefined;
    if (bias !== undefined && !floatInitializer(graph, bias)) continue;
    if (node.opType === 'Conv' && w.dims.length === 4) {
      if (rules.keepFirstConvFloat && readsGraphInput(graph, node, producers)) continue;
      out.push({ node: node.name, opType: 'Conv', weight, axis: 0, bias });
    } else if (node.opType === 'Gemm' && w.dims.length === 2) {
      const plain =
        (attributeNumber(node, 'transA') ?? 0) === 0 &&
        (attributeNumber(node, 'alpha') ?? 1) === 1 &&
        (attributeNumber(node, 'beta') ?? 1) === 1;
      const outAxis = (attributeNumber(node, 'transB') ?? 0) === 1 ? 0 : 1;
      const biasLength = bias === undefined ? 0 : (graph.initializers.get(bias)?.data.length ?? 0);
      if (plain && (bias === undefined || biasLength === w.dims[outAxis]))
        out.push({ node: node.name, opType: 'Gemm', weight, axis: outAxis, bias });
    } else if (node.opType === 'MatMul' && w.dims.length === 2 && bias === undefined) {
      out.push({ node: node.name, opType: 'MatMul', weight, axis: 1, bias: undefined });
    }
  }
  return out;
}

/** Inputs of `node` that the integer kernel reads as activations, or undefined when it stays float. */
function integerOpInputs(
  graph: Graph,
  node: GraphNode,
  weighted: Set<string>,
  rules: Rules,
): string[] | undefined {
  if (weighted.has(node.name)) return [node.inputs[0] ?? ''];
  if (rules.float(node)) return undefined;
  if (ELEMENTWISE_OPS.includes(node.opType)) {
    const both = node.inputs.length === 2 && node.inputs.every((i) => !graph.initializers.has(i));
    return both ? [...node.inputs] : undefined;
  }
  if (ACTIVATION_OPS.includes(node.opType)) return node.inputs.filter((i) => !graph.initializers.has(i));
  return undefined;
}

function quantizedTensors(graph: Graph, rules: Rules): { tensors: string[]; groupOf: Map<string, string> } {
  const weighted = new Set(weightedNodes(graph, rules).map((w) => w.node));
  const consumers = consumerIndex(graph);
  const producers = producerIndex(graph);
  // A layout op is worth running on uint8 only when an integer op reads its output (maybe via more layout ops).
  const useful = new Set<string>();
  for (const node of [...graph.nodes].reverse()) {
    if (!SAME_SCALE_OPS.includes(node.opType)) continue;
    const readers = consumers.get(node.outputs[0] ?? '') ?? [];
    if (
      readers.some(
        (r) =>
          useful.has(r.name) || integerOpInputs(graph, r, weighted, rules)?.includes(node.outputs[0] ?? ''),
      )
    )
      useful.add(node.name);
  }
  const groups = new UnionFind();
  const integer = new Set<string>();
  const quantized = new Set<string>();
  for (const node of graph.nodes) {
    const inputs = integerOpInputs(graph, node, weighted, rules);
    if (inputs) {
      integer.add(node.name);
      for (const t of inputs) quantized.add(t);
      if (node.opType === 'Concat') for (const t of inputs) groups.union(node.outputs[0] ?? t, t);
      if (rules.quantizeConvOutputs && node.opType === 'Conv' && weighted.has(node.name)) {
        const out = node.outputs[0] ?? '';
        if (!isGraphOutput(graph, out)) quantized.add(out);
      }
    } else if (useful.has(node.name) && integer.has(producers.get(node.inputs[0] ?? '')?.name ?? '')) {
      integer.add(node.name);
      quantized.add(node.inputs[0] ?? '');
      groups.union(node.inputs[0] ?? '', node.outputs[0] ?? '');
    }
  }
  const order = [...graph.inputs.map((i) => i.name), ...graph.nodes.flatMap((n) => n.outputs)];
  const tensors = order.filter((t) => quantized.has(t));
  return { tensors, groupOf: new Map(tensors.map((t) => [t, groups.find(t)])) };
}

class UnionFind {
  private readonly parent = new Map<string, string>();

  find(t: string): string {
    let root = t;
    for (let p = this.parent.get(root); p !== undefined && p !== root; p = this.parent.get(root)) root = p;
    this.parent.set(t, root);
    return root;
  }

  union(a: string, b: string): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent.set(rb, ra);
  }
}

/** Relu / Clip(0, c) nodes directly after an op that will run in integer. */
function removableActivations(graph: Graph, rules: Rules): GraphNode[] {
  const weighted = new Set(weightedNodes(graph, rules).map((w) => w.node));
  const consumers = consumerIndex(graph);
  const producers = producerIndex(graph);
  return graph.nodes.filter((a) => {
    if (a.opType !== 'Relu' && a.opType !== 'Clip') return false;
    if (a.opType === 'Clip' && clipLimits(graph, a)?.min !== 0) return false;
    const t = a.inputs[0] ?? '';
    const producer = producers.get(t);
    if (!producer) return false;
    const integerProducer =
      (weighted.has(producer.name) || REQUANTIZING_OPS.includes(producer.opType)) &&
      integerOpInputs(graph, producer, weighted, rules) !== undefined;
    if (!integerProducer || (consumers.get(t) ?? []).length !== 1 || isGraphOutput(graph, t)) return false;
    const out = a.outputs[0] ?? '';
    return !isGraphOutput(graph, out) && (consumers.get(out) ?? []).length > 0;
  });
}

/**
 * Relu/Clip → MaxPool becomes MaxPool → Relu/Clip when the activation stays float because the op before
 * it does (ResNet50's first Conv → Relu → MaxPool). The MaxPool's output is quantized; left as it is,
 * onnxruntime moves that QuantizeLinear up through the MaxPool (QDQPropagationTransformer) and runs the
 * pool on uint8 in NCHW with its generic kernel, after reordering the Conv's whole output out of its
 * blocked layout — 6.5 of ResNet50 int8's 27.6 ms per image on one thread (onnxruntime's profiler). Swapped, the float Conv and
 * MaxPool run blocked together, the activation writes the quantized tensor (onnxruntime folds a Relu
 * into the QuantizeLinear after it) and the reorder touches a quarter of the values.
 *
 * Exact: max commutes with a non-decreasing activation, and padding changes nothing while every window
 * holds at least one real element (checked). Returns the moved activations' node names.
 */
function sinkActivationsBelowMaxPool(graph: Graph, rules: Rules): string[] {
  const weighted = new Set(weightedNodes(graph, rules).map((w) => w.node));
  const consumers = consumerIndex(graph);
  const producers = producerIndex(graph);
  const sunk: string[] = [];
  for (const a of [...graph.nodes]) {
    if (a.opType !== 'Relu' && !(a.opType === 'Clip' && clipLimits(graph, a))) continue;
    const producer = producers.get(a.inputs[0] ?? '');
    if (producer && integerOpInputs(graph, producer, weighted, rules)) continue;
    const out = a.outputs[0] ?? '';
    const readers = consumers.get(out) ?? [];
    const pool = readers[0];
    if (readers.length !== 1 || !pool || !poolCommutes(pool, out) || isGraphOutput(graph, out)) continue;
    const pooled = pool.outputs[0] ?? '';
    pool.inputs = [a.inputs[0] ?? ''];
    pool.outputs = [out];
    a.inputs = [out, ...a.inputs.slice(1)];
    a.outputs = [pooled];
    const i = graph.nodes.indexOf(a);
    graph.nodes[graph.nodes.indexOf(pool)] = a;
    graph.nodes[i] = pool;
    sunk.push(a.name);
  }
  return sunk;
}

/** A plain MaxPool reading `tensor` whose every window holds a real element. */
function poolCommutes(pool: GraphNode, tensor: string): boolean {
  if (pool.opType !== 'MaxPool' || pool.inputs[0] !== tensor || pool.outputs.length !== 1) return false;
  if ((pool.attributes['auto_pad'] ?? 'NOTSET') !== 'NOTSET' && pool.attributes['auto_pad'] !== 'VALID')
    return false;
  if ((attributeNumber(pool, 'ceil_mode') ?? 0) !== 0) return false;
  const pads = attributeInts(pool, 'pads') ?? [0, 0, 0, 0];
  return pads.length === 4 && windowsHoldInput(pool, pads, [0, 0, 0, 0]);
}

function clipLimits(graph: Graph, clip: GraphNode): { min: number; max: number } | undefined {
  const lo = clip.inputs[1] ? floatInitializer(graph, clip.inputs[1]) : undefined;
  const hi = clip.inputs[2] ? floatInitializer(graph, clip.inputs[2]) : undefined;
  if (!lo || !hi || lo.length !== 1 || hi.length !== 1) return undefined;
  return { min: lo[0] as number, max: hi[0] as number };
}

function removeActivations(graph: Graph, activations: readonly GraphNode[]): RemovedActivation[] {
  const names = new Set(activations.map((a) => a.name));
  const producers = producerIndex(graph);
  const removed: RemovedActivation[] = [];
  for (const a of graph.nodes) {
    if (!names.has(a.name)) continue;
    const producer = producers.get(a.inputs[0] ?? '');
    if (!producer) continue;
    const out = a.outputs[0] ?? '';
    producer.outputs = [out];
    removed.push({
      node: a.name,
      opType: a.opType as 'Relu' | 'Clip',
      tensor: out,
      max: a.opType === 'Clip' ? clipLimits(graph, a)?.max : undefined,
    });
  }
  graph.nodes = graph.nodes.filter((n) => !names.has(n.name));
  return removed;
}

/** A removed activation stays exact only when its tensor's group never goes below 0 (nor above c). */
function groupKeepsActivation(
  a: RemovedActivation,
  groupOf: ReadonlyMap<string, string>,
  observed: ReadonlyMap<string, Range>,
): boolean {
  const group = groupOf.get(a.tensor);
  if (group === undefined) return false; // nothing quantizes it: the activation must stay
  for (const [tensor, g] of groupOf) {
    if (g !== group) continue;
    const r = observed.get(tensor);
    if (!r) return false;
    if (r.min < 0 && tensor !== a.tensor) return false;
    if (a.max !== undefined && r.max > a.max) return false;
  }
  return true;
}

function keptFloatOps(graph: Graph, tensors: readonly string[], rules: Rules): Record<string, string[]> {
  const weighted = new Set(weightedNodes(graph, rules).map((w) => w.node));
  const quantized = new Set(tensors);
  const kept: Record<string, string[]> = {};
  for (const node of graph.nodes) {
    if (SAME_SCALE_OPS.includes(node.opType) || node.opType === 'Identity') continue;
    const integerInputs = integerOpInputs(graph, node, weighted, rules);
    if (integerInputs && integerInputs.every((t) => quantized.has(t))) continue;
    (kept[node.opType] ??= []).push(node.name);
  }
  return kept;
}
