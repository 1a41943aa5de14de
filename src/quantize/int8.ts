import type { Engine, Float32Tensor } from '../core/engine.js';
import {
  calibratedRange,
  needsHistogram,
  type CalibrationMethod,
  type HistogramStats,
  type Range,
} from './calibrate.js';
import { foldForQuantization, type FoldOptions, type FoldReport } from './fold.js';
import { cloneGraph, type Graph } from './graph.js';
import { observableTensors, observeHistograms, observeRanges, type Observed } from './observe.js';
import { planQuantization, type PlanOptions, type QuantizationPlan } from './plan.js';
import { reluPoolInputs } from './pool-floor.js';
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
  return quantizeObserved(await observeInt8(source, calibration, options), options);
}

/**
 * What calibration observed, reusable by several quantizations of the same graph (another plan, method
 * or weight layout: accuracy-aware fallback, src/quantize/fallback.ts) without running the float model
 * on the calibration inputs again. Histograms are collected per tensor when a plan first needs them.
 */
export interface Int8Observation {
  folded: Graph;
  fold: FoldReport;
  observed: Observed;
  histograms: Map<string, HistogramStats>;
  calibration: readonly Float32Tensor[];
}

/** Folds `source` and observes its tensors' ranges (and the weighted ops' input means) on `calibration`. */
export async function observeInt8(
  source: Graph,
  calibration: readonly Float32Tensor[],
  options: Pick<Int8Options, 'engine' | 'onProgress' | 'fold'>,
): Promise<Int8Observation> {
  const folded = cloneGraph(source);
  const fold = foldForQuantization(folded, options.fold);
  const weightInputs = folded.nodes
    .filter((n) => n.opType === 'Conv' || n.opType === 'Gemm')
    .map((n) => n.inputs[0] ?? '');
  const observed = await observeRanges(
    folded,
    observableTensors(folded),
    calibration,
    {
      engine: options.engine,
      onProgress: (done, total) => options.onProgress?.('calibrate', done, total),
    },
    weightInputs,
    reluPoolInputs(folded),
  );
  return { folded, fold, observed, histograms: new Map(), calibration };
}

/** Plans, calibrates the ranges by `options.method` and rewrites; a histogram pass only for new tensors. */
export async function quantizeObserved(
  observation: Int8Observation,
  options: Int8Options,
): Promise<Int8Result> {
  const { folded, observed, histograms } = observation;
  const plan = planQuantization(folded, observed.ranges, options.plan);
  const planned = new Map(plan.tensors.map((t) => [t, observed.ranges.get(t) as Range]));
  const missing = new Map([...planned].filter(([t]) => !histograms.has(t)));
  if (needsHistogram(options.method) && missing.size > 0) {
    const more = await observeHistograms(folded, missing, observation.calibration, {
      engine: options.engine,
      onProgress: (done, total) => options.onProgress?.('histogram', done, total),
    });
    for (const [t, h] of more) histograms.set(t, h);
  }
  const ranges = new Map(
    [...planned].map(([t, r]) => [
      t,
      atFloor(calibratedRange(options.method, r, histograms.get(t)), observed.poolFloors.get(t)),
    ]),
  );
  const { graph } = applyQdq(plan, ranges, {
    perChannel: options.perChannel,
    ...(options.biasCorrection ? { inputMeans: observed.channelMeans } : {}),
  });
  return { graph, fold: observation.fold, plan, ranges };
}

/** A range whose values below `floor` do not matter (pool-floor.ts) starts there (still holding 0). */
function atFloor(range: Range, floor: number | undefined): Range {
  return floor === undefined ? range : { min: Math.min(0, Math.max(range.min, floor)), max: range.max };
}
