import { NetlensError } from '../errors.js';
import { allocLike, checkPixels, type Orientation, type Pixels } from './pixels.js';

/**
 * Turns an image upright for its EXIF orientation, as Pillow's `ImageOps.exif_transpose` does:
 * 2 FLIP_LEFT_RIGHT, 3 ROTATE_180, 4 FLIP_TOP_BOTTOM, 5 TRANSPOSE, 6 ROTATE_270, 7 TRANSVERSE,
 * 8 ROTATE_90 (5–8 swap width and height). Orientation 1 returns `image` itself.
 */
export function applyOrientation<T extends Pixels>(image: T, o: Orientation): T {
  if (!Number.isInteger(o) || o < 1 || o > 8) {
    throw new NetlensError('invalid_argument', `orientation must be an integer 1–8, got ${String(o)}`, {
      details: { orientation: o, valid: [1, 2, 3, 4, 5, 6, 7, 8] },
    });
  }
  checkPixels(image);
  if (o === 1) return image;
  const { width: w, height: h, channels: c, data: src } = image;
  const swap = o >= 5;
  const outW = swap ? h : w;
  const outH = swap ? w : h;
  const out = allocLike(src, src.length);
  // Source offset of output pixel (x', y') = base + x' * stepX + y' * stepY (in elements).
  const row = w * c;
  let base: number;
  let stepX: number;
  let stepY: number;
  switch (o) {
    case 2: // x = w-1-x', y = y'
      [base, stepX, stepY] = [(w - 1) * c, -c, row];
      break;
    case 3: // x = w-1-x', y = h-1-y'
      [base, stepX, stepY] = [(h - 1) * row + (w - 1) * c, -c, -row];
      break;
    case 4: // x = x', y = h-1-y'
      [base, stepX, stepY] = [(h - 1) * row, c, -row];
      break;
    case 5: // transpose: x = y', y = x'
      [base, stepX, stepY] = [0, row, c];
      break;
    case 6: // 90° clockwise: x = y', y = h-1-x'
      [base, stepX, stepY] = [(h - 1) * row, -row, c];
      break;
    case 7: // transverse: x = w-1-y', y = h-1-x'
      [base, stepX, stepY] = [(h - 1) * row + (w - 1) * c, -row, -c];
      break;
    default: // 8, 90° counter-clockwise: x = w-1-y', y = x'
      [base, stepX, stepY] = [(w - 1) * c, row, -c];
      break;
  }
  let o2 = 0;
  for (let y = 0; y < outH; y++) {
    let s = base + y * stepY;
    for (let x = 0; x < outW; x++) {
      for (let k = 0; k < c; k++) out[o2++] = src[s + k] as number;
      s += stepX;
    }
  }
  return { ...image, width: outW, height: outH, data: out };
}
