import { NetlensError } from '../core/errors.js';
import { CALIBRATION_METHODS } from '../core/manifest.js';

/**
 * Calibration statistics and the three ways of turning them into a quantization range:
 *
 * - `minmax`: the smallest and largest value seen.
 * - `percentile`: clip the rarest values — the range covers all but `1 − p` of the samples at each end
 *   (p = 99.999%, onnxruntime's default), read from a 2048-bin histogram over the min–max range.
 * - `entropy`: the threshold whose 8-bit quantized histogram is closest to the original in
 *   Kullback–Leibler divergence (TensorRT's calibrator): non-negative tensors (post-ReLU, the common case)
 *   get [0, t] over 255 levels, signed tensors a symmetric [−t, t] over 2 × 128 levels.
 *
 * Every range includes 0 so that zero (ReLU's floor, padding) is exactly representable.
 */
export { CALIBRATION_METHODS };
export type CalibrationMethod = (typeof CALIBRATION_METHODS)[number];

export const HISTOGRAM_BINS = 2048;
export const DEFAULT_PERCENTILE = 99.999;

export interface Range {
  min: number;
  max: number;
}

/** True when the method needs a second pass (histograms over the ranges found by the first). */
export function needsHistogram(method: CalibrationMethod): boolean {
  return method !== 'minmax';
}

/** Running min/max of one tensor over all calibration inputs. */
export class RangeStats {
  min = Infinity;
  max = -Infinity;
  count = 0;

  add(values: Float32Array): void {
    let lo = this.min;
    let hi = this.max;
    let finite = true;
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as number;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
      if (v !== v) finite = false; // NaN compares false with everything
    }
    if (!finite || lo === -Infinity || hi === Infinity) {
      throw new NetlensError('invalid_model_file', 'a calibrated tensor holds NaN or ±Infinity');
    }
    this.min = lo;
    this.max = hi;
    this.count += values.length;
  }
}

/**
 * A fixed-range histogram: `signed` histograms count |x| over [0, absmax]; unsigned ones count x over
 * [0, max] (for tensors never negative).
 */
export class HistogramStats {
  /** Exact zeros (ReLU's floor), kept apart: 0 is always exact, so it must not steer the entropy search. */
  zeros = 0;
  readonly counts = new Float64Array(HISTOGRAM_BINS);
  /** Values below 0 (signed: never, |x| is counted) — percentile needs both tails. */
  readonly low = new Float64Array(HISTOGRAM_BINS);
  readonly limit: number;
  private readonly scale: number;

  constructor(
    readonly range: Range,
    readonly signed: boolean = range.min < 0,
  ) {
    this.limit = Math.max(Math.abs(range.min), Math.abs(range.max));
    this.scale = this.limit > 0 ? HISTOGRAM_BINS / this.limit : 0;
  }

  add(values: Float32Array): void {
    const last = HISTOGRAM_BINS - 1;
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as number;
      if (v === 0) this.zeros += 1;
      else if (v > 0) {
        const bin = Math.min(last, Math.floor(v * this.scale));
        this.counts[bin] = (this.counts[bin] as number) + 1;
      } else {
        const bin = Math.min(last, Math.floor(-v * this.scale));
        this.low[bin] = (this.low[bin] as number) + 1;
      }
    }
  }

  get binWidth(): number {
    return this.limit / HISTOGRAM_BINS;
  }
}

/** The calibrated range of one tensor by `method` (histogram required unless minmax). */
export function calibratedRange(
  method: CalibrationMethod,
  range: Range,
  histogram?: HistogramStats,
  percentile = DEFAULT_PERCENTILE,
): Range {
  const base = { min: Math.min(0, range.min), max: Math.max(0, range.max) };
  if (method === 'minmax' || base.max - base.min === 0) return base;
  if (!histogram) throw new NetlensError('internal', `calibration method '${method}' needs a histogram`);
  return method === 'percentile'
    ? percentileRange(histogram, percentile, base)
    : entropyRange(histogram, base);
}

function percentileRange(h: HistogramStats, percentile: number, base: Range): Range {
  const total = sum(h.counts) + sum(h.low) + h.zeros;
  const tail = total * (1 - percentile / 100);
  /** The edge of the bin where the tail of `counts` (from the top) exceeds `tail`. */
  const edge = (counts: Float64Array): number => {
    let acc = 0;
    for (let bin = counts.length - 1; bin >= 0; bin--) {
      acc += counts[bin] as number;
      if (acc > tail) return (bin + 1) * h.binWidth;
    }
    return 0;
  };
  return { min: Math.max(base.min, -edge(h.low)), max: Math.min(base.max, edge(h.counts)) };
}

function entropyRange(h: HistogramStats, base: Range): Range {
  if (!h.signed) {
    const t = klThreshold(h.counts, 255) * h.binWidth;
    return { min: 0, max: Math.min(base.max, t) };
  }
  const magnitudes = h.counts.map((c, i) => c + (h.low[i] as number));
  const t = klThreshold(magnitudes, 128) * h.binWidth;
  return { min: Math.max(base.min, -t), max: Math.min(base.max, t) };
}

function sum(values: Float64Array): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}

/**
 * TensorRT's entropy calibration (as MXNet and onnxruntime implement it): the number of histogram bins to
 * keep (threshold = bins × bin width) minimising KL(P‖Q), where P is the histogram clipped at the
 * threshold (outliers added to its last bin) and Q the same bins merged into `levels` levels and spread
 * back over the bins where P is non-zero; both are smoothed so that empty bins cost a finite amount.
 */
export function klThreshold(histogram: Float64Array, levels: number): number {
  const bins = histogram.length;
  if (bins <= levels) return bins;
  let bestBins = bins;
  let bestDivergence = Infinity;
  let outliers = 0;
  for (let i = levels; i < bins; i++) outliers += histogram[i] as number;
  const p = new Float64Array(bins);
  const q = new Float64Array(bins);
  for (let keep = levels; keep <= bins; keep++) {
    // outliers holds the counts of bins ≥ keep.
    for (let j = 0; j < keep; j++) p[j] = histogram[j] as number;
    p[keep - 1] = (p[keep - 1] as number) + outliers;
    quantizeExpand(histogram, p, keep, levels, q);
    const divergence = klDivergence(p, q, keep);
    if (divergence < bestDivergence) {
      bestDivergence = divergence;
      bestBins = keep;
    }
    if (keep < bins) outliers -= histogram[keep] as number;
  }
  return bestBins;
}

/** Merges histogram[0, keep) into `levels` groups and spreads each group's total over the bins where p > 0. */
function quantizeExpand(
  histogram: Float64Array,
  p: Float64Array,
  keep: number,
  levels: number,
  out: Float64Array,
): void {
  const perLevel = keep / levels;
  for (let level = 0; level < levels; level++) {
    const start = Math.floor(level * perLevel);
    const end = level === levels - 1 ? keep : Math.floor((level + 1) * perLevel);
    let total = 0;
    let nonEmpty = 0;
    for (let j = start; j < end; j++) {
      total += histogram[j] as number;
      if ((p[j] as number) !== 0) nonEmpty += 1;
    }
    const share = nonEmpty > 0 ? total / nonEmpty : 0;
    for (let j = start; j < end; j++) out[j] = (p[j] as number) !== 0 ? share : 0;
  }
}

const SMOOTHING = 1e-4;

/** KL divergence of the first n bins, each distribution smoothed (empty bins get a tiny mass) and normalised. */
function klDivergence(p: Float64Array, q: Float64Array, n: number): number {
  const ps = smoothed(p, n);
  const qs = smoothed(q, n);
  if (!ps || !qs) return Infinity;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const pi = (p[i] === 0 ? SMOOTHING : (p[i] as number) - ps.take) / ps.total;
    const qi = (q[i] === 0 ? SMOOTHING : (q[i] as number) - qs.take) / qs.total;
    d += pi * Math.log(pi / qi);
  }
  return d;
}

/** What smoothing takes from each non-empty bin, and the total afterwards (unchanged); undefined when impossible. */
function smoothed(dist: Float64Array, n: number): { take: number; total: number } | undefined {
  let zeros = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    if (dist[i] === 0) zeros += 1;
    total += dist[i] as number;
  }
  const nonZeros = n - zeros;
  if (nonZeros === 0 || total === 0) return undefined;
  const take = (SMOOTHING * zeros) / nonZeros;
  for (let i = 0; i < n; i++) if (dist[i] !== 0 && (dist[i] as number) <= take) return undefined;
  return { take, total };
}
