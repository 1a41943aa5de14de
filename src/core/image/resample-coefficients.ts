/**
 * Pillow's separable resampling coefficients (src/libImaging/Resample.c, `precompute_coeffs`),
 * reproduced operation for operation in double precision so integer bounds and weights match exactly.
 */

export interface ResampleFilter {
  readonly name: string;
  readonly support: number;
  readonly weight: (x: number) => number;
}

/** PIL BOX: 1 on (-0.5, 0.5]. */
export const BOX_FILTER: ResampleFilter = {
  name: 'box',
  support: 0.5,
  weight: (x) => (x > -0.5 && x <= 0.5 ? 1.0 : 0.0),
};

/** PIL BILINEAR: the triangle 1 − |x| on (−1, 1). */
export const BILINEAR_FILTER: ResampleFilter = {
  name: 'bilinear',
  support: 1.0,
  weight: (x) => {
    const ax = x < 0.0 ? -x : x;
    return ax < 1.0 ? 1.0 - ax : 0.0;
  },
};

/** Pillow's PRECISION_BITS for 8-bit resampling: 32 − 8 − 2. */
export const PRECISION_BITS = 22;

export interface Coefficients {
  /** Coefficients per output position (some trailing ones are zero). */
  readonly ksize: number;
  /** Per output position: first source index. */
  readonly start: Int32Array;
  /** Per output position: number of source samples used. */
  readonly count: Int32Array;
  /** outSize × ksize normalised weights (sum 1 per position). */
  readonly weights: Float64Array;
}

/** `precompute_coeffs(inSize, 0, inSize, outSize, filter)`: the full-image box. */
export function precomputeCoefficients(
  inSize: number,
  outSize: number,
  filter: ResampleFilter,
): Coefficients {
  const scale = inSize / outSize;
  const filterscale = scale < 1.0 ? 1.0 : scale;
  const support = filter.support * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * ksize);
  const ss = 1.0 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = 0 + (xx + 0.5) * scale;
    let ww = 0.0;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    const k = xx * ksize;
    for (let x = 0; x < xmax; x++) {
      const w = filter.weight((x + xmin - center + 0.5) * ss);
      weights[k + x] = w;
      ww += w;
    }
    if (ww !== 0.0) {
      for (let x = 0; x < xmax; x++) weights[k + x] = (weights[k + x] as number) / ww;
    }
    start[xx] = xmin;
    count[xx] = xmax;
  }
  return { ksize, start, count, weights };
}

/** `normalize_coeffs_8bpc`: weights in fixed point with PRECISION_BITS fraction bits, rounded away from 0. */
export function fixedPointWeights(weights: Float64Array): Int32Array {
  const out = new Int32Array(weights.length);
  const one = 1 << PRECISION_BITS;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i] as number;
    out[i] = w < 0 ? Math.trunc(-0.5 + w * one) : Math.trunc(0.5 + w * one);
  }
  return out;
}
