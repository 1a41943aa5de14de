import { describe, expect, it } from 'vitest';
import { OnnxGraphBuilder } from '../convert/onnx/index.js';
import { createNodeEngine } from '../runtime/node/engine.js';
import { maxAbsDiff, runModel, seededRandom } from '../../test/support/quantize-graphs.js';
import type { Float32Tensor } from '../core/engine.js';
import { foldForQuantization } from './fold.js';
import { optimisedNodes } from './fusion.js';
import { cloneGraph } from './graph.js';
import { observableTensors, observeRanges } from './observe.js';
import { planQuantization } from './plan.js';
import { applyQdq } from './qdq.js';
import { readOnnxModel } from './read-onnx.js';
import { writeOnnxModel } from './write-onnx.js';

const engine = createNodeEngine({ warmUp: false, threads: 1 });

/** ResNet50's stem in small: NHWC input → Transpose → Conv → Relu → ZeroPad → MaxPool 3×3/2 → Conv → Relu → GAP. */
function buildStem(activation: 'Relu' | 'Clip'): Uint8Array {
  const r = seededRandom(3);
  const g = new OnnxGraphBuilder({ name: 'stem' });
  const values = (n: number, s: number) => Float32Array.from({ length: n }, () => (r() * 2 - 1) * s);
  g.addInput('input', ['batch', 20, 20, 3]);
  g.addNode('Transpose', ['input'], ['nchw'], { perm: [0, 3, 1, 2] });
  g.addInitializer('w1', values(8 * 3 * 3 * 3, 0.5), [8, 3, 3, 3]);
  g.addInitializer('b1', values(8, 0.2), [8]);
  g.addNode('Conv', ['nchw', 'w1', 'b1'], ['conv1'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
  if (activation === 'Relu') g.addNode('Relu', ['conv1'], ['act1']);
  else {
    g.addInitializer('lo', Float32Array.of(0), []);
    g.addInitializer('hi', Float32Array.of(0.8), []);
    g.addNode('Clip', ['conv1', 'lo', 'hi'], ['act1']);
  }
  g.addInitializer('pads', BigInt64Array.from([0, 0, 1, 1, 0, 0, 1, 1], BigInt), [8]);
  g.addNode('Pad', ['act1', 'pads'], ['padded'], { mode: 'constant' });
  g.addNode('MaxPool', ['padded'], ['pool'], { kernel_shape: [3, 3], strides: [2, 2] });
  g.addInitializer('w2', values(16 * 8, 0.4), [16, 8, 1, 1]);
  g.addInitializer('b2', values(16, 0.1), [16]);
  g.addNode('Conv', ['pool', 'w2', 'b2'], ['conv2'], { kernel_shape: [1, 1] });
  g.addNode('Relu', ['conv2'], ['act2']);
  g.addNode('GlobalAveragePool', ['act2'], ['gap']);
  g.addNode('Flatten', ['gap'], ['output'], { axis: 1 });
  g.addOutput('output', ['batch', 16]);
  return g.toBytes();
}

function inputs(count: number, seed: number): Float32Tensor[] {
  const r = seededRandom(seed);
  return Array.from({ length: count }, () => ({
    data: Float32Array.from({ length: 20 * 20 * 3 }, () => r()),
    dims: [1, 20, 20, 3],
  }));
}

describe('a float activation between the first Conv and a MaxPool', () => {
  for (const activation of ['Relu', 'Clip'] as const) {
    it(`${activation}: moves below the MaxPool, exactly, so that onnxruntime keeps the pool float beside the Conv`, async () => {
      const source = buildStem(activation);
      const folded = readOnnxModel(source);
      foldForQuantization(folded); // the Pad becomes MaxPool pads [1, 1, 1, 1]
      const observed = (await observeRanges(folded, observableTensors(folded), inputs(8, 1), { engine }))
        .ranges;
      const plan = planQuantization(cloneGraph(folded), observed);

      expect(plan.sunkActivations).toEqual(['act1']);
      const ops = plan.graph.nodes.map((n) => `${n.opType}:${n.inputs[0]}→${n.outputs[0]}`);
      // The MaxPool reads the Conv; the activation writes the pool's tensor, which is what gets quantized.
      expect(ops.slice(0, 4)).toEqual([
        'Transpose:input→nchw',
        'Conv:nchw→conv1',
        'MaxPool:conv1→act1',
        `${activation}:act1→pool`,
      ]);
      expect(plan.graph.nodes.find((n) => n.opType === 'MaxPool')?.attributes['pads']).toEqual([1, 1, 1, 1]);
      expect(plan.tensors).toContain('pool');
      expect(plan.tensors).not.toContain('act1');
      expect(plan.keptFloat).toEqual({ Conv: ['conv1'], [activation]: ['act1'] });

      // Exact in float32: with nothing else rewritten (the second Conv kept float, so its Relu stays),
      // the planned graph gives the source's outputs.
      const floatRest = planQuantization(cloneGraph(folded), observed, { floatNodes: ['conv2'] });
      expect(floatRest.sunkActivations).toEqual(['act1']);
      const heldOut = inputs(4, 2);
      const moved = await runModel(writeOnnxModel(floatRest.graph), heldOut);
      expect(maxAbsDiff(await runModel(source, heldOut), moved)).toBeLessThan(1e-6);

      // onnxruntime runs the MaxPool on the float Conv's output (possibly reordered out of its blocked
      // layout), then quantizes: without the move it hoists the QuantizeLinear above a uint8 MaxPool.
      const q = writeOnnxModel(applyQdq(plan, observed, { perChannel: true }).graph);
      const nodes = await optimisedNodes(q);
      const pool = nodes.find((n) => n.opType === 'MaxPool');
      const poolInput = nodes.find((n) => n.outputs.includes(pool?.inputs[0] ?? ''));
      expect(['Conv', 'ReorderOutput']).toContain(poolInput?.opType);
      const quantize = nodes.find((n) => n.opType === 'QuantizeLinear');
      expect(nodes.find((n) => n.outputs.includes(quantize?.inputs[0] ?? ''))?.opType).toMatch(
        /^(MaxPool|ReorderOutput)$/,
      );
      expect(nodes.filter((n) => n.opType === 'QLinearConv')).toHaveLength(1);
    });
  }

  it('folds a Relu after an AveragePool into its QuantizeLinear (QLinearAveragePool requantizes)', () => {
    const b = new OnnxGraphBuilder({ name: 'pool-relu' });
    b.addInput('x', [1, 4, 6, 6]);
    b.addInitializer(
      'w',
      Float32Array.from({ length: 16 }, (_, i) => i / 8 - 1),
      [4, 4, 1, 1],
    );
    b.addNode('Conv', ['x', 'w'], ['c']);
    b.addNode('AveragePool', ['c'], ['p'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
    b.addNode('Relu', ['p'], ['r']);
    b.addInitializer(
      'w2',
      Float32Array.from({ length: 16 }, (_, i) => 1 - i / 8),
      [4, 4, 1, 1],
    );
    b.addNode('Conv', ['r', 'w2'], ['y']);
    b.addOutput('y', null);
    const ranges = new Map([
      ['x', { min: -1, max: 1 }],
      ['c', { min: -2, max: 2 }],
      ['p', { min: -1.5, max: 1.5 }],
      ['r', { min: 0, max: 1.5 }],
      ['y', { min: -3, max: 3 }],
    ]);
    const plan = planQuantization(readOnnxModel(b.toBytes()), ranges, { keepFirstConvFloat: false });
    expect(plan.removedActivations.map((a) => [a.opType, a.tensor])).toEqual([['Relu', 'r']]);
    expect(plan.graph.nodes.map((n) => n.opType)).toEqual(['Conv', 'AveragePool', 'Conv']);
    expect(plan.tensors).toEqual(['x', 'c', 'r']);
  });

  it('stays above a MaxPool whose windows can lie wholly in padding, and above one after an integer op', () => {
    const graph = readOnnxModel(buildStem('Relu'));
    foldForQuantization(graph);
    const pool = graph.nodes.find((n) => n.opType === 'MaxPool');
    if (!pool) throw new Error('no MaxPool');
    pool.attributes['pads'] = [3, 3, 3, 3];
    const ranges = new Map(observableTensors(graph).map((t) => [t, { min: 0, max: 1 }]));
    ranges.set('conv1', { min: -1, max: 1 });
    expect(planQuantization(cloneGraph(graph), ranges).sunkActivations).toEqual([]);
    pool.attributes['pads'] = [1, 1, 1, 1];
    // First Conv quantized: its Relu is folded into its QuantizeLinear instead.
    const quantized = planQuantization(cloneGraph(graph), ranges, { keepFirstConvFloat: false });
    expect(quantized.sunkActivations).toEqual([]);
    expect(quantized.removedActivations.map((a) => a.node)).toEqual(['act1', 'act2']);
  });
});
