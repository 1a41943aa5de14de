import { NetlensError } from '../core/errors.js';
import {
  attributeInts,
  attributeNumber,
  consumerIndex,
  floatInitializer,
  freshNameFactory,
  isGraphOutput,
  pruneInitializers,
  type Graph,
  type GraphNode,
} from './graph.js';

/**
 * Float32 → float32 rewrites done before quantizing, each exact up to float rounding (≈1e-6), so that
 * every weight is quantized in its final form and onnxruntime can fuse what remains:
 *
 * - BatchNormalization after a Conv is folded into the Conv's weights and bias (a BN left alone would
 *   sit between two quantized ops and be run in float).
 * - A constant-zero Pad before a Conv, or before an AveragePool that has no padding of its own, becomes
 *   the consumer's `pads` (an AveragePool then counts the padded zeros, as the Pad made it do); before a
 *   MaxPool too when its input comes from a Relu (never negative, so 0-padding and MaxPool's −∞-padding
 *   give the same maxima) — ResNet50's ZeroPadding2D + MaxPooling2D.
 * - Relu followed by Min with a constant (Keras `ReLU(max_value=6)`) becomes one Clip, which quantizes
 *   into the output range of the layer before it (see qdq.ts).
 * - Optionally (`movePoolsBelowConv`), an AveragePool followed by a 1×1 Conv with fewer output than
 *   input channels swaps places with it (InceptionV3's pooling branches: 3×3 average over 192–2048 channels, then a 1×1 Conv to 32–192).
 *   Both are linear and the pool averages each channel alone, so Conv(Pool(x)) = Pool(Conv(x)) — at the
 *   border too when the pool does not count its padding (its divisor is then the same for every
 *   channel, and it averages the Conv's bias to itself). The pool then runs on 4–10× fewer channels:
 *   onnxruntime's QLinearAveragePool took 31 of InceptionV3 int8's 85 ms per image on one thread, 7
 *   after the move. The Conv's output is then quantized before its Relu, in a signed range: pool-floor.ts
 *   narrows it, and `netlens quantize` tries the move as a speed rewrite, keeping it only when validation
 *   agreement holds (rewrites.ts; docs/quantize.md).
 *
 * Each pass mutates `graph` and returns how many rewrites it made.
 */
export interface FoldReport {
  batchNormsFolded: number;
  padsFolded: number;
  clipsFused: number;
  poolsMovedBelowConv: number;
}

export interface FoldOptions {
  /** Move an AveragePool below the 1×1 Conv that follows it (default false). */
  movePoolsBelowConv?: boolean;
}

export function foldForQuantization(graph: Graph, options: FoldOptions = {}): FoldReport {
  const report = {
    batchNormsFolded: foldBatchNormIntoConv(graph),
    padsFolded: foldPadIntoConsumer(graph),
    clipsFused: fuseReluMinIntoClip(graph),
    poolsMovedBelowConv: options.movePoolsBelowConv ? moveAveragePoolBelowPointwiseConv(graph) : 0,
  };
  pruneInitializers(graph);
  return report;
}

/** The single node reading `tensor`, when exactly one does and it is not a graph output. */
function soleConsumer(graph: Graph, index: Map<string, GraphNode[]>, tensor: string): GraphNode | undefined {
  const readers = index.get(tensor) ?? [];
  return readers.length === 1 && !isGraphOutput(graph, tensor) ? readers[0] : undefined;
}

function removeNodes(graph: Graph, removed: Set<GraphNode>): void {
  graph.nodes = graph.nodes.filter((n) => !removed.has(n));
}

export function foldBatchNormIntoConv(graph: Graph): number {
  const index = consumerIndex(graph);
  const fresh = freshNameFactory(graph);
  const removed = new Set<GraphNode>();
  for (const conv of graph.nodes) {
    if (conv.opType !== 'Conv' || conv.outputs.length !== 1) continue;
    const bn = soleConsumer(graph, index, conv.outputs[0] ?? '');
    if (
      !bn ||
      bn.opType !== 'BatchNormalization' ||
      bn.inputs[0] !== conv.outputs[0] ||
      bn.outputs.length !== 1
    )
      continue;
    if ((attributeNumber(bn, 'training_mode') ?? 0) !== 0) continue;
    const weight = conv.inputs[1] ?? '';
    const w = floatInitializer(graph, weight);
    const [gamma, beta, mean, variance] = bn.inputs.slice(1).map((name) => floatInitializer(graph, name));
    if (!w || !gamma || !beta || !mean || !variance) continue;
    const channels = gamma.length;
    const bias = conv.inputs[2] ? floatInitializer(graph, conv.inputs[2]) : new Float32Array(channels);
    if (!bias || w.length % channels !== 0) continue;
    const epsilon = attributeNumber(bn, 'epsilon') ?? 1e-5;
    const perChannel = w.length / channels;
    const newW = new Float32Array(w.length);
    const newB = new Float32Array(channels);
    for (let c = 0; c < channels; c++) {
      const k = (gamma[c] as number) / Math.sqrt((variance[c] as number) + epsilon);
      for (let i = c * perChannel; i < (c + 1) * perChannel; i++) newW[i] = (w[i] as number) * k;
      newB[c] = ((bias[c] as number) - (mean[c] as number)) * k + (beta[c] as number);
    }
    const dims = graph.initializers.get(weight)?.dims ?? [];
    const wName = fresh(`${weight}/bn_folded`);
    const bName = fresh(`${weight}/bn_folded_bias`);
    graph.initializers.set(wName, { dims, data: newW });
    graph.initializers.set(bName, { dims: [channels], data: newB });
    conv.inputs = [conv.inputs[0] ?? '', wName, bName];
    conv.outputs = [bn.outputs[0] ?? ''];
    removed.add(bn);
  }
  removeNodes(graph, removed);
  return removed.size;
}

/** [top, left, bottom, right] of a 4-D constant-zero Pad that pads only H and W, else undefined. */
function spatialZeroPads(graph: Graph, pad: GraphNode): [number, number, number, number] | undefined {
  const mode = pad.attributes['mode'] ?? 'constant';
  if (mode !== 'constant') return undefined;
  const value = pad.inputs[2] ? floatInitializer(graph, pad.inputs[2]) : new Float32Array(1);
  if (!value || value.some((v) => v !== 0) || (pad.inputs[3] ?? '') !== '') return undefined;
  const pads = graph.initializers.get(pad.inputs[1] ?? '')?.data;
  if (!(pads instanceof BigInt64Array) || pads.length !== 8) return undefined;
  const p = Array.from(pads, Number);
  if (p[0] !== 0 || p[1] !== 0 || p[4] !== 0 || p[5] !== 0 || p.some((v) => v < 0)) return undefined;
  return [p[2] ?? 0, p[3] ?? 0, p[6] ?? 0, p[7] ?? 0];
}

export function foldPadIntoConsumer(graph: Graph): number {
  const index = consumerIndex(graph);
  const removed = new Set<GraphNode>();
  for (const pad of graph.nodes) {
    if (pad.opType !== 'Pad') continue;
    const amounts = spatialZeroPads(graph, pad);
    const consumer = soleConsumer(graph, index, pad.outputs[0] ?? '');
    if (!amounts || !consumer || consumer.inputs[0] !== pad.outputs[0]) continue;
    if ((consumer.attributes['auto_pad'] ?? 'NOTSET') !== 'NOTSET') continue;
    const own = attributeInts(consumer, 'pads') ?? [0, 0, 0, 0];
    if (own.length !== 4) continue;
    if (consumer.opType === 'AveragePool') {
      // Pad's zeros are averaged in: only equivalent with count_include_pad when the pool pads nothing itself.
      if (own.some((v) => v !== 0)) continue;
      consumer.attributes['count_include_pad'] = 1;
    } else if (consumer.opType === 'MaxPool') {
      // MaxPool pads with −∞, Pad with 0: the same maxima when the input is never negative and every
      // window still holds a real element.
      if (!nonNegative(graph, pad.inputs[0] ?? '') || !windowsHoldInput(consumer, own, amounts)) continue;
    } else if (consumer.opType !== 'Conv') continue;
    consumer.attributes['pads'] = own.map((v, i) => v + (amounts[i] as number));
    consumer.inputs[0] = pad.inputs[0] ?? '';
    removed.add(pad);
  }
  removeNodes(graph, removed);
  return removed.size;
}

/** True when `tensor` is written by a Relu, or a Clip whose lower limit is ≥ 0. */
function nonNegative(graph: Graph, tensor: string): boolean {
  const producer = graph.nodes.find((n) => n.outputs.includes(tensor));
  if (producer?.opType === 'Relu') return true;
  if (producer?.opType !== 'Clip') return false;
  const lo = floatInitializer(graph, producer.inputs[1] ?? '');
  return lo !== undefined && lo.length === 1 && (lo[0] as number) >= 0;
}

/** True when no window of a MaxPool (no dilation) padded by `own` + `extra` lies entirely in padding. */
export function windowsHoldInput(pool: GraphNode, own: number[], extra: readonly number[]): boolean {
  const kernel = attributeInts(pool, 'kernel_shape') ?? [];
  const dilations = attributeInts(pool, 'dilations') ?? [1, 1];
  if (kernel.length !== 2 || dilations.some((d) => d !== 1)) return false;
  return own.every((v, i) => v + (extra[i] as number) < (kernel[i % 2] as number));
}

export function fuseReluMinIntoClip(graph: Graph): number {
  const index = consumerIndex(graph);
  const fresh = freshNameFactory(graph);
  const removed = new Set<GraphNode>();
  for (const relu of graph.nodes) {
    if (relu.opType !== 'Relu') continue;
    const min = soleConsumer(graph, index, relu.outputs[0] ?? '');
    if (!min || min.opType !== 'Min' || min.inputs.length !== 2) continue;
    const other = min.inputs[0] === relu.outputs[0] ? min.inputs[1] : min.inputs[0];
    const limit = floatInitializer(graph, other ?? '');
    if (!limit || limit.length !== 1 || !((limit[0] as number) > 0)) continue;
    const lo = fresh(`${min.name}/clip_min`);
    const hi = fresh(`${min.name}/clip_max`);
    graph.initializers.set(lo, { dims: [], data: new Float32Array([0]) });
    graph.initializers.set(hi, { dims: [], data: new Float32Array([limit[0] as number]) });
    relu.opType = 'Clip';
    relu.inputs = [relu.inputs[0] ?? '', lo, hi];
    relu.outputs = [min.outputs[0] ?? ''];
    relu.attributes = {};
    removed.add(min);
  }
  removeNodes(graph, removed);
  return removed.size;
}

export function moveAveragePoolBelowPointwiseConv(graph: Graph): number {
  const index = consumerIndex(graph);
  const fresh = freshNameFactory(graph);
  let moved = 0;
  for (const pool of [...graph.nodes]) {
    if (pool.opType !== 'AveragePool' || pool.outputs.length !== 1) continue;
    const conv = soleConsumer(graph, index, pool.outputs[0] ?? '');
    if (!conv || conv.opType !== 'Conv' || conv.inputs[0] !== pool.outputs[0] || conv.outputs.length !== 1)
      continue;
    if (!countsOnlyInput(pool) || !isPointwise(conv)) continue;
    const dims = graph.initializers.get(conv.inputs[1] ?? '')?.dims;
    if (!dims || dims.length !== 4 || (dims[0] as number) >= (dims[1] as number)) continue;
    const mixed = fresh(`${conv.outputs[0] ?? ''}/before_pool`);
    const out = conv.outputs[0] ?? '';
    conv.inputs = [pool.inputs[0] ?? '', ...conv.inputs.slice(1)];
    conv.outputs = [mixed];
    pool.inputs = [mixed];
    pool.outputs = [out];
    const at = graph.nodes.indexOf(pool);
    graph.nodes[graph.nodes.indexOf(conv)] = pool;
    graph.nodes[at] = conv;
    moved++;
  }
  return moved;
}

/** An AveragePool whose divisor never counts padding (count_include_pad 0, or nothing padded). */
function countsOnlyInput(pool: GraphNode): boolean {
  if ((pool.attributes['auto_pad'] ?? 'NOTSET') !== 'NOTSET') return false;
  const pads = attributeInts(pool, 'pads') ?? [];
  return (attributeNumber(pool, 'count_include_pad') ?? 0) === 0 || pads.every((p) => p === 0);
}

/** A plain 1×1 Conv: stride 1, no padding, no groups, no dilation. */
function isPointwise(conv: GraphNode): boolean {
  const ones = (name: string) => (attributeInts(conv, name) ?? [1, 1]).every((v) => v === 1);
  const kernel = attributeInts(conv, 'kernel_shape');
  return (
    (kernel === undefined || kernel.every((k) => k === 1)) &&
    ones('strides') &&
    ones('dilations') &&
    (attributeNumber(conv, 'group') ?? 1) === 1 &&
    (attributeInts(conv, 'pads') ?? [0, 0, 0, 0]).every((p) => p === 0) &&
    (conv.attributes['auto_pad'] ?? 'NOTSET') !== 'SAME_UPPER' &&
    (conv.attributes['auto_pad'] ?? 'NOTSET') !== 'SAME_LOWER'
  );
}

/** Throws when the graph's nodes are not in topological order (a pass bug, never user input). */
export function assertTopological(graph: Graph): void {
  const known = new Set([...graph.inputs.map((i) => i.name), ...graph.initializers.keys()]);
  for (const node of graph.nodes) {
    for (const input of node.inputs) {
      if (input !== '' && !known.has(input))
        throw new NetlensError(
          'internal',
          `${node.opType} '${node.name}' reads '${input}' before it is produced`,
        );
    }
    for (const output of node.outputs) known.add(output);
  }
}
