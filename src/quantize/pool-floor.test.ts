import { describe, expect, it } from 'vitest';
import { runModel, seededRandom } from '../../test/support/quantize-graphs.js';
import { OnnxGraphBuilder } from '../convert/onnx/index.js';
import type { Float32Tensor } from '../core/engine.js';
import { PoolFloorStats, reluPoolInputs, zeroSumFloor, type PoolWindow } from './pool-floor.js';
import { readOnnxModel } from './read-onnx.js';

const POOL: PoolWindow = { kernel: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1] };

/** x → AveragePool (3×3, padding not counted) → `then`, as onnxruntime computes it. */
function poolModel(then: 'Relu' | 'Neg', dilations: [number, number] = [1, 1]): Uint8Array {
  const b = new OnnxGraphBuilder({ name: 'pool-relu' });
  b.addInput('x', [1, 4, 7, 7]);
  b.addNode('AveragePool', ['x'], ['pooled'], {
    kernel_shape: [3, 3],
    strides: [1, 1],
    pads: [1, 1, 1, 1],
    count_include_pad: 0,
    ...(dilations[0] !== 1 || dilations[1] !== 1 ? { dilations } : {}),
  });
  b.addNode(then, ['pooled'], ['y']);
  b.addOutput('y', null);
  return b.toBytes();
}

/** Signed values with a long negative tail: mostly small, sometimes far below 0. */
function inputs(count: number, seed: number): Float32Tensor[] {
  const r = seededRandom(seed);
  return Array.from({ length: count }, () => ({
    data: Float32Array.from({ length: 4 * 49 }, () => (r() < 0.1 ? -20 * r() : 2 * r() - 1)),
    dims: [1, 4, 7, 7],
  }));
}

const clip = (xs: readonly Float32Tensor[], floor: number): Float32Tensor[] =>
  xs.map((x) => ({ ...x, data: x.data.map((v) => Math.max(v, floor)) }));

describe('pool floor (AveragePool → Relu)', () => {
  it('finds the tensors that only an AveragePool reads whose output only a Relu reads', () => {
    expect([...reluPoolInputs(readOnnxModel(poolModel('Relu')))]).toEqual([['x', POOL]]);
    expect(reluPoolInputs(readOnnxModel(poolModel('Neg'))).size).toBe(0);
    // A dilated pool's windows are not contiguous: no floor.
    expect(reluPoolInputs(readOnnxModel(poolModel('Relu', [2, 2]))).size).toBe(0);
  });

  it('zeroSumFloor: the level at which clipping a window brings its sum to 0', () => {
    expect(zeroSumFloor([-4, 1, 1])).toBe(-2);
    expect(zeroSumFloor([-9, -3, 1, 2])).toBeCloseTo(-1.5);
    expect(zeroSumFloor([-1, -2])).toBe(0);
  });

  it('clipping at the floor leaves Relu(AveragePool(x)) unchanged; clipping above it does not', async () => {
    const model = poolModel('Relu');
    const xs = inputs(6, 5);
    const stats = new PoolFloorStats(POOL);
    for (const x of xs) stats.add(x);
    const raw = Math.min(...xs.flatMap((x) => [...x.data]));
    expect(stats.floor).toBeLessThan(0);
    expect(stats.floor).toBeGreaterThan(raw / 2);
    const reference = await runModel(model, xs);
    const diff = async (floor: number) => {
      const out = await runModel(model, clip(xs, floor));
      return Math.max(
        ...out.flatMap((o, i) => Array.from(o, (v, j) => Math.abs(v - (reference[i]?.[j] ?? 0)))),
      );
    };
    expect(await diff(stats.floor)).toBeLessThan(1e-6);
    expect(await diff(stats.floor + 0.05)).toBeGreaterThan(1e-4);
  });
});
