import type { Engine, Float32Tensor } from '../core/engine.js';
import { HistogramStats, RangeStats, type Range } from './calibrate.js';
import { cloneGraph, type Graph } from './graph.js';
import { PoolFloorStats, type PoolWindow } from './pool-floor.js';
import { writeOnnxModel } from './write-onnx.js';

/**
 * Runs the float graph on the calibration inputs with the chosen intermediate tensors exposed as extra
 * graph outputs, and folds every value into per-tensor statistics — min/max on the first pass, fixed-range
 * histograms on the second (percentile and entropy). Inputs are run one at a time, so memory holds one
 * input's activations at most. The engine is the product's (onnxruntime-node on the CPU).
 */
export interface ObserveOptions {
  engine: Engine;
  /** Called after each input. */
  onProgress?: (done: number, total: number) => void;
}

/** Every float tensor a plan may quantize: the graph inputs and every node output. */
export function observableTensors(graph: Graph): string[] {
  return [...graph.inputs.map((i) => i.name), ...graph.nodes.flatMap((n) => n.outputs)];
}

async function forEachActivation(
  graph: Graph,
  tensors: readonly string[],
  inputs: readonly Float32Tensor[],
  options: ObserveOptions,
  visit: (tensor: string, value: Float32Tensor) => void,
): Promise<void> {
  const inputName = graph.inputs[0]?.name ?? '';
  const exposed = cloneGraph(graph);
  const outputs = tensors.filter((t) => t !== inputName);
  const declared = new Set(exposed.outputs.map((o) => o.name));
  for (const t of outputs)
    if (!declared.has(t)) exposed.outputs.push({ name: t, dims: null, dtype: 'float32' });
  const session = await options.engine.createSession(writeOnnxModel(exposed), { providers: ['cpu'] });
  try {
    for (const [i, input] of inputs.entries()) {
      if (tensors.includes(inputName)) visit(inputName, input);
      const result = await session.run(input, outputs);
      for (const t of outputs) {
        const value = result[t];
        if (value) visit(t, value);
      }
      options.onProgress?.(i + 1, inputs.length);
    }
  } finally {
    await session.dispose();
  }
}

/** What the first pass observes: min/max of every tensor, per-channel means of some. */
export interface Observed {
  ranges: Map<string, Range>;
  /** Mean over every axis but axis 1 (NCHW channels, or a [N, K] matrix's features), by tensor. */
  channelMeans: Map<string, Float64Array>;
  /** The floor below which a tensor read only by AveragePool → Relu may be clipped (pool-floor.ts). */
  poolFloors: Map<string, number>;
}

/**
 * Min and max of each of `tensors`, the per-channel means of `meanTensors` and the floors of
 * `poolWindows`' tensors, over all inputs.
 */
export async function observeRanges(
  graph: Graph,
  tensors: readonly string[],
  inputs: readonly Float32Tensor[],
  options: ObserveOptions,
  meanTensors: readonly string[] = [],
  poolWindows: ReadonlyMap<string, PoolWindow> = new Map(),
): Promise<Observed> {
  const stats = new Map(tensors.map((t) => [t, new RangeStats()]));
  const means = new Map(meanTensors.map((t) => [t, new ChannelMeanStats()]));
  const floors = new Map([...poolWindows].map(([t, w]) => [t, new PoolFloorStats(w)]));
  const observed = [...new Set([...tensors, ...meanTensors, ...poolWindows.keys()])];
  await forEachActivation(graph, observed, inputs, options, (t, value) => {
    stats.get(t)?.add(value.data);
    means.get(t)?.add(value);
    floors.get(t)?.add(value);
  });
  return {
    ranges: new Map([...stats].map(([t, s]) => [t, { min: s.min, max: s.max }])),
    channelMeans: new Map([...means].filter(([, m]) => m.count > 0).map(([t, m]) => [t, m.mean()])),
    poolFloors: new Map([...floors].map(([t, f]) => [t, f.floor])),
  };
}

/** Running per-channel sums along axis 1 of tensors of rank ≥ 2. */
class ChannelMeanStats {
  private sums: Float64Array | undefined;
  count = 0;

  add(value: Float32Tensor): void {
    const channels = value.dims[1] ?? 1;
    const inner = value.dims.slice(2).reduce((a, b) => a * b, 1);
    this.sums ??= new Float64Array(channels);
    if (this.sums.length !== channels) return;
    const data = value.data;
    for (let i = 0; i < data.length; i++) {
      const c = Math.floor(i / inner) % channels;
      this.sums[c] = (this.sums[c] as number) + (data[i] as number);
    }
    this.count += data.length / channels;
  }

  mean(): Float64Array {
    return (this.sums ?? new Float64Array(0)).map((s) => s / this.count);
  }
}

/** A histogram of each tensor over the range the first pass found. */
export async function observeHistograms(
  graph: Graph,
  ranges: ReadonlyMap<string, Range>,
  inputs: readonly Float32Tensor[],
  options: ObserveOptions,
): Promise<Map<string, HistogramStats>> {
  const stats = new Map([...ranges].map(([t, r]) => [t, new HistogramStats(r)]));
  await forEachActivation(graph, [...ranges.keys()], inputs, options, (t, value) =>
    stats.get(t)?.add(value.data),
  );
  return stats;
}
