import {
  fixedPointWeights,
  precomputeCoefficients,
  PRECISION_BITS,
  type ResampleFilter,
} from './resample-coefficients.js';
import { scratchInt32, scratchUint8 } from './scratch.js';
import type { SourceView } from './source-view.js';

/** Pillow's coefficients in fixed point, per (filter, input size, output size). */
export interface FixedCoefficients {
  readonly ksize: number;
  readonly start: Int32Array;
  readonly count: Int32Array;
  readonly weights: Int32Array;
}

const coefficientCache = new Map<string, FixedCoefficients>();
const CACHED_SIZES = 64;

/** `precomputeCoefficients` + `fixedPointWeights`, remembered for the last few sizes seen. */
export function fixedCoefficients(
  inSize: number,
  outSize: number,
  filter: ResampleFilter,
): FixedCoefficients {
  const key = `${filter.name}:${inSize}:${outSize}`;
  let found = coefficientCache.get(key);
  if (!found) {
    const c = precomputeCoefficients(inSize, outSize, filter);
    found = { ksize: c.ksize, start: c.start, count: c.count, weights: fixedPointWeights(c.weights) };
    if (coefficientCache.size >= CACHED_SIZES) coefficientCache.delete(coefficientCache.keys().next().value!);
    coefficientCache.set(key, found);
  }
  return found;
}

const BIAS = 1 << (PRECISION_BITS - 1);

function clip8(sum: number): number {
  const v = sum >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** The rows of the upright image the vertical pass reads, and the horizontal pass therefore makes. */
export function rowsNeeded(inH: number, outH: number, vertical: FixedCoefficients): [number, number] {
  if (outH === inH) return [0, inH];
  const first = vertical.start[0] as number;
  return [first, (vertical.start[outH - 1] as number) + (vertical.count[outH - 1] as number) - first];
}

/**
 * Pillow's two-pass 8-bit convolution resize (`resizeConvolution`) of the upright view, bit for bit: the
 * horizontal pass over only the rows the vertical pass needs, then the vertical pass; a pass whose size
 * does not change is skipped (an exact copy instead). Returns `width`·`height`·samples 8-bit samples in a
 * scratch buffer that the next call reuses: read it before calling again.
 */
export function convolveView(
  view: SourceView,
  width: number,
  height: number,
  filter: ResampleFilter,
): Uint8Array {
  const sc = view.samples;
  const vertical = fixedCoefficients(view.height, height, filter);
  const [firstRow, rows] = rowsNeeded(view.height, height, vertical);
  const mid = scratchUint8(0, rows * width * sc);
  if (width === view.width) copyRows(view, firstRow, rows, mid);
  else {
    const horizontal = fixedCoefficients(view.width, width, filter);
    if (view.transposed) horizontalAlongColumns(view, horizontal, width, firstRow, rows, mid);
    else horizontalAlongRows(view, horizontal, width, firstRow, rows, mid);
  }
  if (height === view.height) return mid;
  const out = scratchUint8(1, width * height * sc);
  verticalPass(mid, width * sc, vertical, height, firstRow, out);
  return out;
}

function copyRows(view: SourceView, firstRow: number, rows: number, mid: Uint8Array): void {
  const { data, base, stepX, stepY, width, samples } = view;
  let o = 0;
  for (let y = 0; y < rows; y++) {
    let p = base + (firstRow + y) * stepY;
    for (let x = 0; x < width; x++, p += stepX) {
      for (let k = 0; k < samples; k++) mid[o++] = data[p + k] as number;
    }
  }
}

/** Upright rows are stored rows (orientations 1–4): gather each output sample from its taps. */
function horizontalAlongRows(
  view: SourceView,
  coeffs: FixedCoefficients,
  outW: number,
  firstRow: number,
  rows: number,
  mid: Uint8Array,
): void {
  const { data, base, stepX, stepY, samples } = view;
  const { ksize, start, count, weights: k } = coeffs;
  let o = 0;
  for (let y = 0; y < rows; y++) {
    const rowBase = base + (firstRow + y) * stepY;
    for (let xx = 0; xx < outW; xx++) {
      const s0 = rowBase + (start[xx] as number) * stepX;
      const n = count[xx] as number;
      const kb = xx * ksize;
      if (samples === 3) {
        let ss0 = BIAS;
        let ss1 = BIAS;
        let ss2 = BIAS;
        for (let x = 0, s = s0; x < n; x++, s += stepX) {
          const w = k[kb + x] as number;
          ss0 = (ss0 + (data[s] as number) * w) | 0;
          ss1 = (ss1 + (data[s + 1] as number) * w) | 0;
          ss2 = (ss2 + (data[s + 2] as number) * w) | 0;
        }
        mid[o++] = clip8(ss0);
        mid[o++] = clip8(ss1);
        mid[o++] = clip8(ss2);
      } else {
        let ss = BIAS;
        for (let x = 0, s = s0; x < n; x++, s += stepX)
          ss = (ss + (data[s] as number) * (k[kb + x] as number)) | 0;
        mid[o++] = clip8(ss);
      }
    }
  }
}

/**
 * Upright rows run down stored columns (orientations 5–8): for each output column, add whole stored rows
 * (one per tap) into per-row sums, so memory is read in order. Same sums as gathering, in the same order.
 */
function horizontalAlongColumns(
  view: SourceView,
  coeffs: FixedCoefficients,
  outW: number,
  firstRow: number,
  rows: number,
  mid: Uint8Array,
): void {
  const { data, base, stepX, stepY, samples } = view;
  const { ksize, start, count, weights: k } = coeffs;
  const line = rows * samples;
  const acc = scratchInt32(line);
  const rowOut = outW * samples;
  for (let xx = 0; xx < outW; xx++) {
    const n = count[xx] as number;
    const kb = xx * ksize;
    acc.fill(BIAS, 0, line);
    for (let x = 0; x < n; x++) {
      const w = k[kb + x] as number;
      let p = base + ((start[xx] as number) + x) * stepX + firstRow * stepY;
      for (let i = 0; i < line; i += samples, p += stepY) {
        for (let c = 0; c < samples; c++)
          acc[i + c] = ((acc[i + c] as number) + (data[p + c] as number) * w) | 0;
      }
    }
    for (let y = 0, o = xx * samples; y < rows; y++, o += rowOut) {
      for (let c = 0; c < samples; c++) mid[o + c] = clip8(acc[y * samples + c] as number);
    }
  }
}

/** Pillow's vertical pass: each output row adds whole intermediate rows, one per tap. */
function verticalPass(
  mid: Uint8Array,
  row: number,
  coeffs: FixedCoefficients,
  outH: number,
  rowOffset: number,
  out: Uint8Array,
): void {
  const { ksize, start, count, weights: k } = coeffs;
  const acc = scratchInt32(row);
  for (let yy = 0; yy < outH; yy++) {
    const first = (start[yy] as number) - rowOffset;
    const n = count[yy] as number;
    const kb = yy * ksize;
    acc.fill(BIAS, 0, row);
    for (let y = 0; y < n; y++) {
      const w = k[kb + y] as number;
      const base = (first + y) * row;
      for (let i = 0; i < row; i++) acc[i] = ((acc[i] as number) + (mid[base + i] as number) * w) | 0;
    }
    const outBase = yy * row;
    for (let i = 0; i < row; i++) out[outBase + i] = clip8(acc[i] as number);
  }
}
