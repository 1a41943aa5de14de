import type { Pixels } from './pixels.js';

/**
 * TF.js `tf.image.resizeBilinear(x, [height, width], alignCorners = true)` on float input, as its cpu
 * backend computes it (nsfwjs' preprocessing): corners map to corners, source position = i·(in−1)/(out−1),
 * interpolation in double precision, results stored as float32. Output data is always Float32Array.
 */
export function resizeBilinearAlignCorners(image: Pixels, width: number, height: number): Pixels {
  const { width: inW, height: inH, channels: c, data: src } = image;
  const out = new Float32Array(width * height * c);
  const rowRatio = (height > 1 ? inH - 1 : inH) / (height > 1 ? height - 1 : height);
  const colRatio = (width > 1 ? inW - 1 : inW) / (width > 1 ? width - 1 : width);
  const colFloor = new Int32Array(width);
  const colCeil = new Int32Array(width);
  const colFrac = new Float64Array(width);
  for (let x = 0; x < width; x++) {
    const f = colRatio * x;
    const lo = Math.max(0, Math.floor(f));
    colFloor[x] = lo * c;
    colCeil[x] = Math.min(inW - 1, Math.ceil(f)) * c;
    colFrac[x] = f - lo;
  }
  const row = inW * c;
  let o = 0;
  for (let y = 0; y < height; y++) {
    const f = rowRatio * y;
    const lo = Math.max(0, Math.floor(f));
    const rowFrac = f - lo;
    const top = lo * row;
    const bottom = Math.min(inH - 1, Math.ceil(f)) * row;
    for (let x = 0; x < width; x++) {
      const l = colFloor[x] as number;
      const r = colCeil[x] as number;
      const cf = colFrac[x] as number;
      for (let k = 0; k < c; k++) {
        const topLeft = src[top + l + k] as number;
        const topRight = src[top + r + k] as number;
        const bottomLeft = src[bottom + l + k] as number;
        const bottomRight = src[bottom + r + k] as number;
        const t = topLeft + (topRight - topLeft) * cf;
        const b = bottomLeft + (bottomRight - bottomLeft) * cf;
        out[o++] = t + (b - t) * rowFrac;
      }
    }
  }
  return { width, height, channels: c, data: out };
}
