import type { Float32Tensor } from '../core/engine.js';
import { attributeInts, consumerIndex, isGraphOutput, type Graph } from './graph.js';

/**
 * The floor of a tensor that only an AveragePool reads, whose output only a Relu reads — InceptionV3's
 * pooling branches after `pool-after-conv` (fold.ts): Conv → AveragePool → Relu. That Conv's output is
 * signed (its Relu now comes after the pool), and a uint8 range over all of it spends half its levels
 * (InceptionV3: [−8.8, 6.8]) on values that mostly end below 0 after pooling, where the Relu drops them.
 * Values below a floor L can be clipped to L without changing Relu(AveragePool(x)) when every window
 * whose sum is positive holds no value below L, and clipping raises no other window's sum above 0.
 * `PoolFloorStats` finds the highest such L on the calibration inputs (exact there, like a minmax range);
 * the tensor's quantized range then starts at min(0, max(L, its calibrated minimum)). On
 * nsfw-inception-v3 that took the moved Convs' ranges to about [−1.5, 6.8] (docs/quantize.md).
 */
export interface PoolWindow {
  kernel: readonly [number, number];
  strides: readonly [number, number];
  /** [top, left, bottom, right] */
  pads: readonly [number, number, number, number];
}

/** Tensors read only by an AveragePool (2-D, no auto_pad, no ceil_mode) whose output only a Relu reads. */
export function reluPoolInputs(graph: Graph): Map<string, PoolWindow> {
  const index = consumerIndex(graph);
  const found = new Map<string, PoolWindow>();
  for (const pool of graph.nodes) {
    if (pool.opType !== 'AveragePool' || pool.outputs.length !== 1) continue;
    const input = pool.inputs[0] ?? '';
    const output = pool.outputs[0] ?? '';
    const readers = index.get(output) ?? [];
    if ((index.get(input) ?? []).length !== 1 || isGraphOutput(graph, input) || isGraphOutput(graph, output))
      continue;
    if (readers.length !== 1 || readers[0]?.opType !== 'Relu') continue;
    if ((pool.attributes['auto_pad'] ?? 'NOTSET') !== 'NOTSET' || attributeInts(pool, 'ceil_mode')?.[0])
      continue;
    const kernel = attributeInts(pool, 'kernel_shape') ?? [];
    const strides = attributeInts(pool, 'strides') ?? [1, 1];
    const pads = attributeInts(pool, 'pads') ?? [0, 0, 0, 0];
    const dilations = attributeInts(pool, 'dilations') ?? [1, 1];
    if (kernel.length !== 2 || strides.length !== 2 || pads.length !== 4) continue;
    if (dilations.some((d) => d !== 1)) continue; // the windows below are contiguous
    found.set(input, {
      kernel: [kernel[0] as number, kernel[1] as number],
      strides: [strides[0] as number, strides[1] as number],
      pads: [pads[0] as number, pads[1] as number, pads[2] as number, pads[3] as number],
    });
  }
  return found;
}

/** The highest floor seen so far (+∞ until a window constrains it), over NCHW values of one tensor. */
export class PoolFloorStats {
  floor = Infinity;
  private readonly window: number[] = [];

  constructor(private readonly pool: PoolWindow) {}

  add(value: Float32Tensor): void {
    const [n = 1, c = 1, h = 1, w = 1] = value.dims;
    const { kernel, strides, pads } = this.pool;
    const outH = Math.floor((h + pads[0] + pads[2] - kernel[0]) / strides[0]) + 1;
    const outW = Math.floor((w + pads[1] + pads[3] - kernel[1]) / strides[1]) + 1;
    const data = value.data;
    for (let plane = 0; plane < n * c; plane++) {
      const base = plane * h * w;
      for (let oy = 0; oy < outH; oy++) {
        const y0 = Math.max(0, oy * strides[0] - pads[0]);
        const y1 = Math.min(h, oy * strides[0] - pads[0] + kernel[0]);
        for (let ox = 0; ox < outW; ox++) {
          const x0 = Math.max(0, ox * strides[1] - pads[1]);
          const x1 = Math.min(w, ox * strides[1] - pads[1] + kernel[1]);
          this.window.length = 0;
          for (let y = y0; y < y1; y++)
            for (let x = x0; x < x1; x++) this.window.push(data[base + y * w + x] as number);
          this.constrain(this.window);
        }
      }
    }
  }

  /** Lowers the floor so that clipping at it leaves this window's Relu(average) unchanged. */
  private constrain(values: number[]): void {
    let sum = 0;
    let min = Infinity;
    let below = 0;
    for (const v of values) {
      sum += v;
      if (v < min) min = v;
      if (v < this.floor) below += this.floor - v;
    }
    if (sum > 0) {
      if (min < this.floor) this.floor = min;
      return;
    }
    // A window the Relu zeroes: clipping at the floor raises its sum by `below`; keep it ≤ 0.
    if (below === 0 || sum + below <= 0) return;
    this.floor = Math.min(this.floor, zeroSumFloor(values));
  }
}

/** The L at which Σ max(v, L) = 0 for values whose sum is ≤ 0. */
export function zeroSumFloor(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  let above = sorted.reduce((a, b) => a + b, 0);
  for (let k = 1; k <= sorted.length; k++) {
    above -= sorted[k - 1] as number;
    // With the k smallest clipped to L: k·L + above = 0, valid while L ≤ the next value.
    const level = above === 0 ? 0 : -above / k;
    if (k === sorted.length || level <= (sorted[k] as number)) return level;
  }
  return 0;
}
