import { beforeAll, describe, expect, it } from 'vitest';
import { OnnxGraphBuilder } from '../convert/onnx/index.js';
import { createNodeEngine } from '../runtime/node/engine.js';
import { buildSmallCnn, maxAbsDiff, runModel, smallCnnInputs } from '../../test/support/quantize-graphs.js';
import type { Range } from './calibrate.js';
import { foldForQuantization } from './fold.js';
import { integerKernels, optimisedOpCounts } from './fusion.js';
import { cloneGraph, floatInitializer, type Graph, type GraphNode } from './graph.js';
import { observableTensors, observeRanges } from './observe.js';
import { planQuantization, type QuantizationPlan } from './plan.js';
import { applyQdq } from './qdq.js';
import { readOnnxModel } from './read-onnx.js';
import { writeOnnxModel } from './write-onnx.js';

const engine = createNodeEngine({ warmUp: false, threads: 1 });

function scalar(graph: Graph, name: string | undefined): number {
  const t = graph.initializers.get(name ?? '');
  if (!t) throw new Error(`no initializer ${name}`);
  return Number(t.data[0]);
}

function producer(graph: Graph, tensor: string): GraphNode | undefined {
  return graph.nodes.find((n) => n.outputs.includes(tensor));
}

/** Nodes keep their names through folding and quantization (the builder names them after their output). */
function named(graph: Graph, name: string): GraphNode {
  const node = graph.nodes.find((n) => n.name === name);
  if (!node) throw new Error(`no node ${name}`);
  return node;
}

/** The QuantizeLinear node of `tensor`. */
function quantizerOf(graph: Graph, tensor: string): GraphNode {
  const q = graph.nodes.find((n) => n.opType === 'QuantizeLinear' && n.inputs[0] === tensor);
  if (!q) throw new Error(`${tensor} is not quantized`);
  return q;
}

/** The DequantizeLinear feeding input `index` of node `name`. */
function weightDq(graph: Graph, name: string, index: number): GraphNode {
  const dq = producer(graph, named(graph, name).inputs[index] ?? '');
  if (dq?.opType !== 'DequantizeLinear') throw new Error(`input ${index} of ${name} is not dequantized`);
  return dq;
}

describe('int8 QDQ on a small CNN', () => {
  let folded: Graph;
  let observed: Map<string, Range>;
  let plan: QuantizationPlan;
  let q: Graph;
  const source = buildSmallCnn();

  beforeAll(async () => {
    folded = readOnnxModel(source);
    foldForQuantization(folded);
    observed = (await observeRanges(folded, observableTensors(folded), smallCnnInputs(24, 1), { engine }))
      .ranges;
    plan = planQuantization(folded, observed);
    q = applyQdq(plan, observed, { perChannel: true }).graph;
  });

  it('plans integer ops: first Conv, its Relu and Softmax stay float; Relu/Clip after integer ops are removed', () => {
    expect(plan.keptFloat).toEqual({ Conv: ['conv1/out'], Relu: ['relu1'], Softmax: ['output'] });
    expect(plan.removedActivations.map((a) => [a.opType, a.tensor])).toEqual([
      ['Relu', 'relu2'],
      ['Relu', 'relu3'],
      ['Clip', 'relu6'],
      ['Relu', 'sum_relu'],
      ['Relu', 'fc1_relu'],
    ]);
    expect(plan.removedActivations.find((a) => a.opType === 'Clip')?.max).toBe(6);
    // The logits only feed Softmax, so the last Gemm keeps a float output; the input image is not quantized.
    expect(plan.tensors).not.toContain('logits');
    expect(plan.tensors).not.toContain('input');
    expect(plan.tensors).not.toContain('nchw');
    expect(plan.weighted.map((w) => [w.node, w.axis])).toEqual([
      ['conv2/out', 0],
      ['conv3/out', 0],
      ['conv4/out', 0],
      ['conv5/out', 0],
      ['conv6/out', 0],
      ['fc1', 0],
      ['logits', 1],
    ]);
  });

  it('gives each activation uint8 (max − min)/255 scales and the zero point of 0.0, shared across Concat and MaxPool', () => {
    for (const tensor of plan.tensors) {
      const qNode = quantizerOf(q, tensor);
      const group = plan.tensors.filter((t) => plan.groupOf.get(t) === plan.groupOf.get(tensor));
      const lo = Math.min(0, ...group.map((t) => observed.get(t)?.min ?? 0));
      const clip = group.includes('relu6') ? 6 : Infinity; // the removed Clip(0, 6) caps its group
      const max = Math.min(clip, Math.max(0, ...group.map((t) => observed.get(t)?.max ?? 0)));
      const scale = scalar(q, qNode.inputs[1]);
      expect(scale).toBe(Math.fround((max - lo) / 255));
      expect(q.initializers.get(qNode.inputs[2] ?? '')?.data).toBeInstanceOf(Uint8Array);
      expect(scalar(q, qNode.inputs[2])).toBe(Math.round(-lo / scale) + 0);
    }
    // Relu outputs start at 0: zero point 0, so QuantizeLinear's saturation is the removed Relu.
    expect(scalar(q, quantizerOf(q, 'relu2').inputs[2])).toBe(0);
    // Concat: both inputs and the output use one scale/zero-point pair; MaxPool: input and output.
    const shared = (a: string, b: string) =>
      expect(quantizerOf(q, a).inputs.slice(1)).toEqual(quantizerOf(q, b).inputs.slice(1));
    shared('maxpool', 'concat');
    shared('relu3', 'concat');
    shared('relu2', 'maxpool');
    shared('avgpool', 'avgpool');
    expect(quantizerOf(q, 'gap').inputs[1]).not.toBe(quantizerOf(q, 'avgpool').inputs[1]);
    // The signed sum before its (removed) Relu is quantized with the Relu's range.
    expect(observed.get('sum')?.min).toBeLessThan(0);
    expect(scalar(q, quantizerOf(q, 'sum_relu').inputs[2])).toBe(0);
  });

  it('quantizes weights to int8 symmetric per output channel and biases to int32 at input × weight scale', () => {
    const cases: [string, number, number][] = [
      ['conv2/out', 0, 8],
      ['conv4/out', 0, 16],
      ['fc1', 0, 10],
      ['logits', 1, 5],
    ];
    for (const [output, axis, channels] of cases) {
      const dq = weightDq(q, output, 1);
      expect(dq.attributes['axis']).toBe(axis);
      const values = q.initializers.get(dq.inputs[0] ?? '');
      const scales = floatInitializer(q, dq.inputs[1] ?? '') as Float32Array;
      expect(values?.data).toBeInstanceOf(Int8Array);
      expect(scales.length).toBe(channels);
      // Zero point 0: absent (DequantizeLinear's default) for a Conv, given for a Gemm (QGemm needs it).
      if (output.startsWith('conv')) expect(dq.inputs).toHaveLength(2);
      else
        expect(Array.from(q.initializers.get(dq.inputs[2] ?? '')?.data as Int8Array)).toEqual(
          new Array(channels).fill(0),
        );
      const node = named(plan.graph, output);
      const w = floatInitializer(plan.graph, node.inputs[1] ?? '') as Float32Array;
      const dims = plan.graph.initializers.get(node.inputs[1] ?? '')?.dims as number[];
      const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
      for (let c = 0; c < channels; c++) {
        let absMax = 0;
        for (let i = 0; i < w.length; i++)
          if (Math.floor(i / inner) % channels === c) absMax = Math.max(absMax, Math.abs(w[i] as number));
        expect(scales[c]).toBeCloseTo(absMax / 127, 7);
      }
      const q8 = values?.data as Int8Array;
      expect(Math.max(...Array.from(q8, Math.abs))).toBe(127);
      // Bias: int32, zero point 0 (absent), scale = input scale × weight scale per channel.
      const bias = weightDq(q, output, 2);
      expect(q.initializers.get(bias.inputs[0] ?? '')?.data).toBeInstanceOf(Int32Array);
      expect(bias.inputs).toHaveLength(2);
      const inputScale = scalar(q, quantizerOf(q, node.inputs[0] ?? '').inputs[1]);
      const biasScales = floatInitializer(q, bias.inputs[1] ?? '') as Float32Array;
      for (let c = 0; c < channels; c++)
        expect(biasScales[c]).toBe(Math.fround(inputScale * (scales[c] as number)));
    }
    // The first conv keeps its float weights.
    expect(floatInitializer(q, named(q, 'conv1/out').inputs[1] ?? '')).toBeInstanceOf(Float32Array);
  });

  it('per-tensor: one scale per weight, no axis', () => {
    const pt = applyQdq(plan, observed, { perChannel: false }).graph;
    const dq = weightDq(pt, 'conv4/out', 1);
    expect(dq.attributes['axis']).toBeUndefined();
    expect(pt.initializers.get(dq.inputs[1] ?? '')?.dims).toEqual([]);
    expect(pt.initializers.get(weightDq(pt, 'conv4/out', 2).inputs[1] ?? '')?.dims).toEqual([]);
  });

  it('is fused by onnxruntime into integer kernels, with no DequantizeLinear left, and agrees with float32', async () => {
    const bytes = writeOnnxModel(q);
    const counts = await optimisedOpCounts(bytes);
    expect(integerKernels(counts)).toEqual({
      QLinearConv: 5,
      QLinearConcat: 1,
      QLinearAdd: 1,
      QLinearAveragePool: 1,
      QLinearGlobalAveragePool: 1,
      QGemm: 2,
    });
    expect(counts['DequantizeLinear']).toBeUndefined();
    expect(counts['Conv']).toBe(1);
    const heldOut = smallCnnInputs(24, 2);
    const a = await runModel(source, heldOut);
    const b = await runModel(bytes, heldOut);
    expect(maxAbsDiff(a, b)).toBeLessThan(0.02);
    const argmax = (x: Float32Array) => x.indexOf(Math.max(...x));
    expect(a.filter((x, i) => argmax(x) === argmax(b[i] as Float32Array)).length).toBeGreaterThanOrEqual(23);
  });

  it('bias correction: each bias absorbs Σ (Wq − W) · E[x] of its channel', () => {
    const b = new OnnxGraphBuilder({ name: 'gemm' });
    b.addInput('x', ['batch', 3]);
    const w = Float32Array.of(0.3, -0.71, 0.05, 1, 0.333, -0.2);
    b.addInitializer('w', w, [2, 3]);
    b.addInitializer('bias', Float32Array.of(0.5, -0.25), [2]);
    b.addNode('Gemm', ['x', 'w', 'bias'], ['y'], { transB: 1 });
    b.addNode('Relu', ['y'], ['r']);
    b.addOutput('r', null);
    const graph = readOnnxModel(b.toBytes());
    const ranges = new Map<string, Range>([
      ['x', { min: 0, max: 2 }],
      ['y', { min: -1, max: 1 }],
      ['r', { min: 0, max: 1 }],
    ]);
    const p = planQuantization(graph, ranges, { keepFirstConvFloat: false });
    const means = Float64Array.of(1, 0.5, 2);
    const plain = applyQdq(p, ranges, { perChannel: true }).graph;
    const corrected = applyQdq(p, ranges, { perChannel: true, inputMeans: new Map([['x', means]]) }).graph;
    const biasOf = (g: Graph): number[] => {
      const dq = weightDq(g, 'y', 2);
      const values = g.initializers.get(dq.inputs[0] ?? '')?.data as Int32Array;
      const scales = floatInitializer(g, dq.inputs[1] ?? '') as Float32Array;
      return Array.from(values, (v, c) => v * (scales[c] as number));
    };
    const weightsOf = (g: Graph): number[] => {
      const dq = weightDq(g, 'y', 1);
      const values = g.initializers.get(dq.inputs[0] ?? '')?.data as Int8Array;
      const scales = floatInitializer(g, dq.inputs[1] ?? '') as Float32Array;
      return Array.from(values, (v, i) => v * (scales[Math.floor(i / 3)] as number));
    };
    const wq = weightsOf(corrected);
    for (let c = 0; c < 2; c++) {
      let shift = 0;
      for (let k = 0; k < 3; k++)
        shift += ((wq[c * 3 + k] as number) - (w[c * 3 + k] as number)) * (means[k] as number);
      expect(Math.abs(shift)).toBeGreaterThan(1e-5);
      const scale = Number(floatInitializer(corrected, weightDq(corrected, 'y', 2).inputs[1] ?? '')?.[c]);
      expect(
        Math.abs((biasOf(corrected)[c] as number) - ((biasOf(plain)[c] as number) - shift)),
      ).toBeLessThanOrEqual(scale);
    }
  });

  it('keeps a Relu whose Concat group also holds negative values (removing it would let negatives through)', () => {
    const b = new OnnxGraphBuilder({ name: 'mixed-concat' });
    b.addInput('x', [1, 2, 4, 4]);
    b.addInitializer(
      'w1',
      Float32Array.from({ length: 4 }, (_, i) => i - 1.5),
      [2, 2, 1, 1],
    );
    b.addInitializer(
      'w2',
      Float32Array.from({ length: 4 }, (_, i) => 1 - i),
      [2, 2, 1, 1],
    );
    b.addNode('Conv', ['x', 'w1'], ['a']);
    b.addNode('Relu', ['a'], ['ra']);
    b.addNode('Conv', ['x', 'w2'], ['b']);
    b.addNode('Concat', ['ra', 'b'], ['cat'], { axis: 1 });
    b.addNode('GlobalAveragePool', ['cat'], ['y']);
    b.addOutput('y', null);
    const graph = readOnnxModel(b.toBytes());
    const ranges = new Map<string, Range>([
      ['x', { min: -1, max: 1 }],
      ['a', { min: -3, max: 3 }],
      ['ra', { min: 0, max: 3 }],
      ['b', { min: -2, max: 2 }],
      ['cat', { min: -2, max: 3 }],
      ['y', { min: -1, max: 1 }],
    ]);
    const keepFirst = planQuantization(cloneGraph(graph), ranges, { keepFirstConvFloat: false });
    expect(keepFirst.removedActivations).toEqual([]);
    expect(keepFirst.groupOf.get('ra')).toBe(keepFirst.groupOf.get('b'));
    // With the negative branch gone from the group, the same Relu is removed.
    ranges.set('b', { min: 0, max: 2 });
    ranges.set('cat', { min: 0, max: 3 });
    expect(
      planQuantization(cloneGraph(graph), ranges, { keepFirstConvFloat: false }).removedActivations,
    ).toHaveLength(1);
  });
});
