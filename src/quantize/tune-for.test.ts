import { describe, expect, it } from 'vitest';
import { OnnxGraphBuilder } from '../convert/onnx/index.js';
import { createNodeEngine } from '../runtime/node/engine.js';
import { maxAbsDiff, runModel, seededRandom } from '../../test/support/quantize-graphs.js';
import type { Float32Tensor } from '../core/engine.js';
import { foldForQuantization } from './fold.js';
import { integerKernels, optimisedOpCounts } from './fusion.js';
import { cloneGraph, type Graph } from './graph.js';
import { observableTensors, observeRanges } from './observe.js';
import { dotDepth, planQuantization, type PlanOptions } from './plan.js';
import { applyQdq } from './qdq.js';
import { readOnnxModel } from './read-onnx.js';
import { planOptionsFor, WASM_MIN_INTEGER_DEPTH } from './tune-for.js';
import { writeOnnxModel } from './write-onnx.js';

const engine = createNodeEngine({ warmUp: false, threads: 1 });

/**
 * A MobileNetV2 block in small: 1×1 expansion (64 → 96 channels, dot products of 64) → Relu → depthwise
 * 3×3 (9) → Clip(0, 6) → 1×1 projection (96 → 32, dot products of 96) → GlobalAveragePool → Softmax.
 */
function buildBlock(): Uint8Array {
  const r = seededRandom(11);
  const values = (n: number, s: number) => Float32Array.from({ length: n }, () => (r() * 2 - 1) * s);
  const g = new OnnxGraphBuilder({ name: 'inverted-residual' });
  g.addInput('input', ['batch', 64, 8, 8]);
  g.addInitializer('we', values(96 * 64, 0.25), [96, 64, 1, 1]);
  g.addInitializer('be', values(96, 0.1), [96]);
  g.addNode('Conv', ['input', 'we', 'be'], ['expand'], { kernel_shape: [1, 1] }, 'expand');
  g.addNode('Relu', ['expand'], ['expand_relu'], {}, 'expand_relu');
  g.addInitializer('wd', values(96 * 9, 0.6), [96, 1, 3, 3]);
  g.addInitializer('bd', values(96, 0.1), [96]);
  g.addNode(
    'Conv',
    ['expand_relu', 'wd', 'bd'],
    ['depthwise'],
    { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 96 },
    'depthwise',
  );
  g.addInitializer('lo', Float32Array.of(0), []);
  g.addInitializer('hi', Float32Array.of(6), []);
  g.addNode('Clip', ['depthwise', 'lo', 'hi'], ['depthwise_relu'], {}, 'depthwise_relu');
  g.addInitializer('wp', values(32 * 96, 0.2), [32, 96, 1, 1]);
  g.addInitializer('bp', values(32, 0.1), [32]);
  g.addNode('Conv', ['depthwise_relu', 'wp', 'bp'], ['project'], { kernel_shape: [1, 1] }, 'project');
  g.addNode('GlobalAveragePool', ['project'], ['gap']);
  g.addNode('Flatten', ['gap'], ['logits'], { axis: 1 });
  g.addNode('Softmax', ['logits'], ['output'], { axis: 1 });
  g.addOutput('output', ['batch', 32]);
  return g.toBytes();
}

function inputs(count: number, seed: number): Float32Tensor[] {
  const r = seededRandom(seed);
  return Array.from({ length: count }, () => ({
    data: Float32Array.from({ length: 64 * 64 }, () => r() * 2),
    dims: [1, 64, 8, 8],
  }));
}

const source = buildBlock();
const folded = readOnnxModel(source);
foldForQuantization(folded);
const observed = (await observeRanges(folded, observableTensors(folded), inputs(8, 1), { engine })).ranges;
const qdq = (options: PlanOptions): Graph => {
  const plan = planQuantization(cloneGraph(folded), observed, { keepFirstConvFloat: false, ...options });
  return applyQdq(plan, observed, { perChannel: true }).graph;
};

describe('dotDepth', () => {
  it('is input channels per group × kernel size for Conv, K for Gemm', () => {
    const node = (name: string) => folded.nodes.find((n) => n.name === name);
    expect(dotDepth(folded, node('expand') as never)).toBe(64);
    expect(dotDepth(folded, node('depthwise') as never)).toBe(9);
    expect(dotDepth(folded, node('project') as never)).toBe(96);
    const graph = cloneGraph(folded);
    graph.initializers.set('b', { dims: [40, 7], data: new Float32Array(280) });
    const gemm = { name: 'g', opType: 'Gemm', inputs: ['x', 'b'], outputs: ['y'], attributes: {} };
    expect(dotDepth(graph, gemm)).toBe(40);
    expect(dotDepth(graph, { ...gemm, attributes: { transB: 1 } })).toBe(7);
    expect(dotDepth(graph, { ...gemm, opType: 'MatMul' })).toBe(40);
    expect(dotDepth(graph, { ...gemm, inputs: ['x', 'wd'] })).toBe(Infinity); // 4-D: no Gemm weight
    expect(dotDepth(graph, { ...gemm, inputs: ['x', 'missing'] })).toBe(Infinity);
  });
});

describe('--tune-for wasm (onnxruntime-web)', () => {
  it('keeps Convs with short dot products float32 (the depthwise one) and the others integer', () => {
    const plan = planQuantization(cloneGraph(folded), observed, {
      keepFirstConvFloat: false,
      ...planOptionsFor('wasm'),
    });
    expect(plan.keptFloat['Conv']).toEqual(['depthwise']);
    expect(plan.weighted.map((w) => w.node)).toEqual(['expand', 'project']);
    // The expansion's output is quantized although only the float depthwise Conv reads it, so its Relu
    // becomes the saturation of its QuantizeLinear.
    expect(plan.tensors).toEqual(['input', 'expand_relu', 'depthwise_relu', 'project']);
    expect(plan.removedActivations.map((a) => a.node)).toEqual(['expand_relu']);
  });

  it('without quantizeConvOutputs, onnxruntime would run the Conv before a float one in float32 too', async () => {
    const options = { keepFirstConvFloat: false, minIntegerDepth: WASM_MIN_INTEGER_DEPTH };
    const plan = planQuantization(cloneGraph(folded), observed, options);
    expect(plan.tensors).not.toContain('expand_relu');
    const counts = await optimisedOpCounts(writeOnnxModel(qdq(options)));
    expect(integerKernels(counts)).toEqual({ QLinearConv: 1 });
    expect((counts['Conv'] ?? 0) + (counts['FusedConv'] ?? 0)).toBe(2); // Conv + Relu fuse on the CPU
  }, 60_000);

  it('is fused by onnxruntime into QLinearConv around one float32 Conv, leaves no unread DequantizeLinear, and agrees with float32', async () => {
    const graph = qdq(planOptionsFor('wasm'));
    const read = new Set([...graph.nodes.flatMap((n) => n.inputs), 'output']);
    const unread = graph.nodes.filter(
      (n) => n.opType === 'DequantizeLinear' && !n.outputs.some((o) => read.has(o)),
    );
    expect(unread.map((n) => n.name)).toEqual([]);
    const bytes = writeOnnxModel(graph);
    const counts = await optimisedOpCounts(bytes);
    expect(integerKernels(counts)).toEqual({ QLinearConv: 2 });
    expect(counts['Conv']).toBe(1);
    const heldOut = inputs(12, 5);
    expect(maxAbsDiff(await runModel(source, heldOut), await runModel(bytes, heldOut))).toBeLessThan(0.02);
  }, 60_000);

  it('--tune-for cpu (the default) makes every Conv integer', async () => {
    expect(planOptionsFor('cpu')).toEqual({});
    const counts = await optimisedOpCounts(writeOnnxModel(qdq(planOptionsFor('cpu'))));
    expect(integerKernels(counts)).toEqual({ QLinearConv: 3 });
    expect(counts['Conv']).toBeUndefined();
  }, 60_000);
});
