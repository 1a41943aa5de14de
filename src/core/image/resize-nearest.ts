import { allocLike, type Pixels } from './pixels.js';

/**
 * Pillow NEAREST resize (`Image.resize(size, NEAREST)` → ImagingScaleAffine): the source coordinate
 * of output column x is `trunc(sx/2 + x·sx)` with sx = inWidth/outWidth, accumulated by repeated
 * addition in double precision exactly as Pillow does (so rounding matches bit for bit). Rows alike.
 * Positions that fall outside the source stay 0 (Pillow's fill).
 */
export function resizeNearest(image: Pixels, width: number, height: number): Pixels {
  const { width: inW, height: inH, channels: c, data: src } = image;
  const out = allocLike(src, width * height * c);
  const xs = sourceIndices(inW, width);
  const ys = sourceIndices(inH, height);
  let o = 0;
  for (let y = 0; y < height; y++) {
    const sy = ys[y] as number;
    if (sy < 0) {
      o += width * c;
      continue;
    }
    const rowStart = sy * inW * c;
    for (let x = 0; x < width; x++) {
      const sx = xs[x] as number;
      if (sx < 0) {
        o += c;
        continue;
      }
      const s = rowStart + sx * c;
      for (let k = 0; k < c; k++) out[o++] = src[s + k] as number;
    }
  }
  return { width, height, channels: c, data: out };
}

/** Source index per output index, or -1 where Pillow leaves the pixel unfilled. */
export function sourceIndices(inSize: number, outSize: number): Int32Array {
  const scale = inSize / outSize;
  const table = new Int32Array(outSize);
  let pos = scale * 0.5;
  for (let i = 0; i < outSize; i++) {
    const index = pos < 0 ? -1 : Math.trunc(pos);
    table[i] = index >= 0 && index < inSize ? index : -1;
    pos += scale;
  }
  return table;
}
