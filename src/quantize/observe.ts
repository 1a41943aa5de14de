import type { Engine, Float32Tensor } from '../core/engine.js';
import { HistogramStats, RangeStats, type Range } from './calibrate.js';
import { cloneGraph, type Graph } from './graph.js';
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
  visit: (tensor: string, values: Float32Array) => void,
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
      if (tensors.includes(inputName)) visit(inputName, input.data);
      const result = await session.run(input, outputs);
      for (const t of outputs) {
        const value = result[t];
        if (value) visit(t, value.data);
      }
      options.onProgress?.(i + 1, inputs.length);
    }
  } finally {
    await session.dispose();
  }
}

/** Min and max of each tensor over all inputs. */
export async function observeRanges(
  graph: Graph,
  tensors: readonly string[],
  inputs: readonly Float32Tensor[],
  options: ObserveOptions,
): Promise<Map<string, Range>> {
  const stats = new Map(tensors.map((t) => [t, new RangeStats()]));
  await forEachActivation(graph, tensors, inputs, options, (t, values) => stats.get(t)?.add(values));
  return new Map([...stats].map(([t, s]) => [t, { min: s.min, max: s.max }]));
}

/** A histogram of each tensor over the range the first pass found. */
export async function observeHistograms(
  graph: Graph,
  ranges: ReadonlyMap<string, Range>,
  inputs: readonly Float32Tensor[],
  options: ObserveOptions,
): Promise<Map<string, HistogramStats>> {
  const stats = new Map([...ranges].map(([t, r]) => [t, new HistogramStats(r)]));
  await forEachActivation(graph, [...ranges.keys()], inputs, options, (t, values) =>
    stats.get(t)?.add(values),
  );
  return stats;
}
