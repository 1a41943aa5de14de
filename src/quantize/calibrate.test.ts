import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../test/support/quantize-graphs.js';
import { HISTOGRAM_BINS, HistogramStats, RangeStats, calibratedRange, klThreshold } from './calibrate.js';
import {
  activationParams,
  fakeQuantize,
  minWeightScalesForBias,
  quantizeBias,
  quantizeWeight,
  roundHalfEven,
} from './quant-math.js';

function stats(values: Float32Array): { range: { min: number; max: number }; histogram: HistogramStats } {
  const r = new RangeStats();
  r.add(values);
  const range = { min: r.min, max: r.max };
  const histogram = new HistogramStats(range);
  histogram.add(values);
  return { range, histogram };
}

/** `n` values: |N(0, 1)| (post-ReLU-like) when `positive`, else N(0, 1), plus `outliers` at ±`at`. */
function sample(n: number, positive: boolean, outliers: number, at: number): Float32Array {
  const random = seededRandom(3);
  const out = new Float32Array(n + outliers);
  for (let i = 0; i < n; i++) {
    const g = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    out[i] = positive ? Math.abs(g) : g;
  }
  for (let i = 0; i < outliers; i++) out[n + i] = positive || i % 2 === 0 ? at : -at;
  return out;
}

describe('calibration ranges', () => {
  it('minmax: the extremes seen, widened to include 0', () => {
    const r = new RangeStats();
    r.add(Float32Array.of(0.5, 2, 1));
    r.add(Float32Array.of(3, 0.25));
    expect(r).toMatchObject({ min: 0.25, max: 3, count: 5 });
    expect(calibratedRange('minmax', r)).toEqual({ min: 0, max: 3 });
    expect(calibratedRange('minmax', { min: -2, max: -1 })).toEqual({ min: -2, max: 0 });
    expect(() => r.add(Float32Array.of(NaN))).toThrow(/NaN/);
  });

  it('percentile: drops the rarest 0.001% at each end', () => {
    const { range, histogram } = stats(sample(200_000, false, 2, 50));
    expect(range.max).toBe(50);
    const p = calibratedRange('percentile', range, histogram);
    expect(p.max).toBeGreaterThan(4);
    expect(p.max).toBeLessThan(5.5);
    expect(p.min).toBeLessThan(-4);
    expect(p.min).toBeGreaterThan(-5.5);
    // With no outliers beyond the percentile, the range is (almost) the full one.
    const q = calibratedRange('percentile', range, histogram, 99.99999);
    expect(q.max).toBe(50);
  });

  it('entropy: clips a long tail on non-negative data, keeps [0, t] with t between the bulk and the max', () => {
    const { range, histogram } = stats(sample(200_000, true, 20, 40));
    expect(histogram.signed).toBe(false);
    const e = calibratedRange('entropy', range, histogram);
    expect(e.min).toBe(0);
    expect(e.max).toBeGreaterThan(2.5);
    expect(e.max).toBeLessThan(20);
    // Signed data gets a symmetric range.
    const s = stats(sample(200_000, false, 20, 40));
    const es = calibratedRange('entropy', s.range, s.histogram);
    expect(es.min).toBeCloseTo(-es.max, 6);
  });

  it('entropy: exact zeros (a ReLU floor) do not pull the threshold down', () => {
    const relu = sample(100_000, true, 0, 0);
    const withZeros = new Float32Array(400_000);
    withZeros.set(relu);
    const a = stats(relu);
    const b = stats(withZeros);
    expect(b.histogram.zeros).toBe(300_000);
    expect(calibratedRange('entropy', b.range, b.histogram)).toEqual(
      calibratedRange('entropy', a.range, a.histogram),
    );
  });

  it('klThreshold keeps every bin of a uniform histogram', () => {
    expect(klThreshold(new Float64Array(HISTOGRAM_BINS).fill(1), 255)).toBe(HISTOGRAM_BINS);
    expect(klThreshold(new Float64Array(100).fill(1), 255)).toBe(100);
  });
});

describe('quantization arithmetic', () => {
  it('rounds half to even, as ONNX QuantizeLinear does', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, 2.4, 2.6].map(roundHalfEven)).toEqual([0, 2, 2, -0, -2, 2, 3]);
  });

  it('uint8 activation parameters put 0.0 exactly on a code', () => {
    expect(activationParams({ min: 0, max: 6 })).toEqual({ scale: Math.fround(6 / 255), zeroPoint: 0 });
    const p = activationParams({ min: -1, max: 3 });
    expect(p.scale).toBe(Math.fround(4 / 255));
    expect(p.zeroPoint).toBe(64);
    expect(fakeQuantize(0, p)).toBe(0);
    expect(fakeQuantize(100, p)).toBeCloseTo((255 - 64) * p.scale, 6);
    expect(activationParams({ min: 0, max: 0 })).toEqual({ scale: 1, zeroPoint: 0 });
    expect(activationParams({ min: 1, max: 2 }).zeroPoint).toBe(0);
  });

  it('quantizes weights symmetrically per channel along any axis', () => {
    // dims [2, 3]: axis 0 → rows, axis 1 → columns.
    const w = Float32Array.of(1, -2, 0.5, 0.1, 0.2, -0.4);
    const rows = quantizeWeight(w, [2, 3], 0);
    expect(Array.from(rows.scales)).toEqual([2 / 127, 0.4 / 127].map(Math.fround));
    expect(Array.from(rows.values)).toEqual([64, -127, 32, 32, 64, -127]);
    const cols = quantizeWeight(w, [2, 3], 1);
    expect(Array.from(cols.scales)).toEqual([1 / 127, 2 / 127, 0.5 / 127].map(Math.fround));
    expect(Array.from(cols.values)).toEqual([127, -127, 127, 13, 13, -102]);
    const tensor = quantizeWeight(w, [2, 3], undefined);
    expect(Array.from(tensor.scales)).toEqual([Math.fround(2 / 127)]);
    expect(quantizeWeight(new Float32Array(4), [2, 2], 0).scales).toEqual(Float32Array.of(1, 1));
  });

  it('quantizes biases to int32 at input scale × weight scale, raising a weight scale when a bias would overflow', () => {
    const b = quantizeBias(Float32Array.of(0.5, -1), 0.01, Float32Array.of(0.1, 0.2));
    expect(Array.from(b.values)).toEqual([500, -500]);
    expect(Array.from(b.scales)).toEqual([Math.fround(0.001), Math.fround(0.002)]);
    const huge = Float32Array.of(1e4, 1);
    const min = minWeightScalesForBias(huge, 1e-3, false);
    const w = quantizeWeight(Float32Array.of(1e-9, 1), [2, 1], 0, min);
    expect(w.scales[0]).toBeGreaterThan(1e4 / 1e-3 / 2 ** 31);
    const q = quantizeBias(huge, 1e-3, w.scales);
    expect(Math.abs(q.values[0] as number)).toBeLessThan(2 ** 31 - 1);
    expect((q.values[0] as number) * (q.scales[0] as number)).toBeCloseTo(1e4, 0);
  });
});
