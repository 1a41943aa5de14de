import type { Engine, Float32Tensor } from '../core/engine.js';
import { calibratedRange, needsHistogram, type CalibrationMethod, type Range } from './calibrate.js';
import { foldForQuantization, type FoldOptions, type FoldReport } from './fold.js';
import { cloneGraph, type Graph } from './graph.js';
import { observableTensors, observeHistograms, observeRanges } from './observe.js';
import { planQuantization, type PlanOptions, type QuantizationPlan } from './plan.js';
import { applyQdq } from './qdq.js';

export interface Int8Options {
  method: CalibrationMethod;
  perChannel: boolean;
  /** Correct each bias for the mean error of its rounded weights (qdq.ts). */
  biasCorrection: boolean;
  /** What stays float32 (plan.ts). */
  plan: PlanOptions;
  /** Optional float32 rewrites (fold.ts). */
  fold?: FoldOptions;
  engine: Engine;
  onProgress?: (phase: 'calibrate' | 'histogram', done: number, total: number) => void;
}

export interface Int8Result {
  graph: Graph;
  fold: FoldReport;
  plan: QuantizationPlan;
  /** The range each quantized tensor was given (before groups were joined). */
  ranges: Map<string, Range>;
}

/**
 * Static int8 quantization of a float32 graph in QDQ form: fold (fold.ts), observe every tensor's range
 * on the calibration inputs with the product's engine (observe.ts), plan what becomes integer
 * (plan.ts), choose each range by `method` (calibrate.ts) and rewrite (qdq.ts).
 */
export async function quantizeInt8(
  source: Graph,
  calibration: readonly Float32Tensor[],
  options: Int8Options,
): Promise<Int8Result> {
  const folded = cloneGraph(source);
  const fold = foldForQuantization(folded, options.fold);
  const observe = (phase: 'calibrate' | 'histogram') => ({
    engine: options.engine,
    onProgress: (done: number, total: number) => options.onProgress?.(phase, done, total),
  });
  const weightInputs = folded.nodes
    .filter((n) => n.opType === 'Conv' || n.opType === 'Gemm')
    .map((n) => n.inputs[0] ?? '');
  const observed = await observeRanges(
    folded,
    observableTensors(folded),
    calibration,
    observe('calibrate'),
    weightInputs,
  );
  const plan = planQuantization(folded, observed.ranges, options.plan);
  const planned = new Map(plan.tensors.map((t) => [t, observed.ranges.get(t) as Range]));
  const histograms = needsHistogram(options.method)
    ? await observeHistograms(folded, planned, calibration, observe('histogram'))
    : undefined;
  const ranges = new Map(
    [...planned].map(([t, r]) => [t, calibratedRange(options.method, r, histograms?.get(t))]),
  );
  const { graph } = applyQdq(plan, ranges, {
    perChannel: options.perChannel,
    ...(options.biasCorrection ? { inputMeans: observed.channelMeans } : {}),
  });
  return { graph, fold, plan, ranges };
}
