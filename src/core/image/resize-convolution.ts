import {
  fixedPointWeights,
  precomputeCoefficients,
  PRECISION_BITS,
  type Coefficients,
  type ResampleFilter,
} from './resample-coefficients.js';
import type { Pixels } from './pixels.js';

/**
 * Pillow's two-pass convolution resize (`ImagingResampleInner`) for BILINEAR and BOX: a horizontal pass
 * over only the source rows the vertical pass needs, then a vertical pass; a pass is skipped when its
 * dimension is unchanged. 8-bit data uses Pillow's fixed-point arithmetic with rounding and clipping to
 * 0–255 after each pass; Float32 data follows Pillow's mode 'F' (double sums stored as float32).
 * Every channel is filtered independently; `resize` premultiplies RGBA/LA first as Pillow does.
 */
export function resizeConvolution(
  image: Pixels,
  width: number,
  height: number,
  filter: ResampleFilter,
): Pixels {
  const { width: inW, height: inH, channels: c } = image;
  const needHorizontal = width !== inW;
  const needVertical = height !== inH;
  const vertical = precomputeCoefficients(inH, height, filter);
  const firstRow = vertical.start[0] as number;
  const lastRow = (vertical.start[height - 1] as number) + (vertical.count[height - 1] as number);

  let current: Pixels = image;
  let rowOffset = 0;
  if (needHorizontal) {
    const horizontal = precomputeCoefficients(inW, width, filter);
    current = horizontalPass(image, horizontal, width, firstRow, lastRow - firstRow);
    rowOffset = firstRow;
  }
  if (needVertical) {
    current = verticalPass(current, vertical, height, rowOffset);
  }
  if (current === image) {
    return { width: inW, height: inH, channels: c, data: image.data.slice() };
  }
  return current;
}

function clip8(sum: number): number {
  const v = sum >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

function horizontalPass(
  image: Pixels,
  coeffs: Coefficients,
  outW: number,
  firstRow: number,
  rows: number,
): Pixels {
  const { width: inW, channels: c, data: src } = image;
  const { ksize, start, count, weights } = coeffs;
  const rowIn = inW * c;
  const rowOut = outW * c;
  if (src instanceof Uint8Array) {
    const k = fixedPointWeights(weights);
    const out = new Uint8Array(rows * rowOut);
    const bias = 1 << (PRECISION_BITS - 1);
    for (let y = 0; y < rows; y++) {
      const inBase = (y + firstRow) * rowIn;
      let o = y * rowOut;
      for (let xx = 0; xx < outW; xx++) {
        const s0 = inBase + (start[xx] as number) * c;
        const n = count[xx] as number;
        const kb = xx * ksize;
        if (c === 3) {
          // Int32 sums as in Pillow (|0 keeps V8 on integer arithmetic; no overflow for these filters).
          let ss0 = bias;
          let ss1 = bias;
          let ss2 = bias;
          for (let x = 0, s = s0; x < n; x++, s += 3) {
            const w = k[kb + x] as number;
            ss0 = (ss0 + (src[s] as number) * w) | 0;
            ss1 = (ss1 + (src[s + 1] as number) * w) | 0;
            ss2 = (ss2 + (src[s + 2] as number) * w) | 0;
          }
          out[o++] = clip8(ss0);
          out[o++] = clip8(ss1);
          out[o++] = clip8(ss2);
        } else {
          for (let ch = 0; ch < c; ch++) {
            let ss = bias;
            for (let x = 0, s = s0 + ch; x < n; x++, s += c)
              ss = (ss + (src[s] as number) * (k[kb + x] as number)) | 0;
            out[o++] = clip8(ss);
          }
        }
      }
    }
    return { width: outW, height: rows, channels: c, data: out };
  }
  const out = new Float32Array(rows * rowOut);
  for (let y = 0; y < rows; y++) {
    const inBase = (y + firstRow) * rowIn;
    const outBase = y * rowOut;
    for (let xx = 0; xx < outW; xx++) {
      const s0 = inBase + (start[xx] as number) * c;
      const n = count[xx] as number;
      const kb = xx * ksize;
      for (let ch = 0; ch < c; ch++) {
        let ss = 0.0;
        for (let x = 0, s = s0 + ch; x < n; x++, s += c)
          ss += (src[s] as number) * (weights[kb + x] as number);
        out[outBase + xx * c + ch] = ss;
      }
    }
  }
  return { width: outW, height: rows, channels: c, data: out };
}

function verticalPass(image: Pixels, coeffs: Coefficients, outH: number, rowOffset: number): Pixels {
  const { width: w, channels: c, data: src } = image;
  const { ksize, start, count, weights } = coeffs;
  const row = w * c;
  if (src instanceof Uint8Array) {
    const k = fixedPointWeights(weights);
    const out = new Uint8Array(outH * row);
    const bias = 1 << (PRECISION_BITS - 1);
    // Accumulate a whole output row tap by tap: sequential reads of each source row.
    const acc = new Int32Array(row);
    for (let yy = 0; yy < outH; yy++) {
      const first = (start[yy] as number) - rowOffset;
      const n = count[yy] as number;
      const kb = yy * ksize;
      acc.fill(bias);
      for (let y = 0; y < n; y++) {
        const w = k[kb + y] as number;
        const base = (first + y) * row;
        for (let i = 0; i < row; i++) acc[i] = ((acc[i] as number) + (src[base + i] as number) * w) | 0;
      }
      const outBase = yy * row;
      for (let i = 0; i < row; i++) out[outBase + i] = clip8(acc[i] as number);
    }
    return { width: w, height: outH, channels: c, data: out };
  }
  const out = new Float32Array(outH * row);
  for (let yy = 0; yy < outH; yy++) {
    const s0 = ((start[yy] as number) - rowOffset) * row;
    const n = count[yy] as number;
    const kb = yy * ksize;
    const outBase = yy * row;
    for (let i = 0; i < row; i++) {
      let ss = 0.0;
      for (let y = 0, s = s0 + i; y < n; y++, s += row)
        ss += (src[s] as number) * (weights[kb + y] as number);
      out[outBase + i] = ss;
    }
  }
  return { width: w, height: outH, channels: c, data: out };
}
