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
  const { width: outW, height: outH, base, stepX, stepY } = orientationSteps(w, h, c, o);
  const out = allocLike(src, src.length);
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

/** Where output pixel (x′, y′) of an oriented image starts in the stored one: `base + x′·stepX + y′·stepY`. */
export interface OrientationSteps {
  /** Upright size (5–8 swap the stored width and height). */
  readonly width: number;
  readonly height: number;
  /** Offsets in elements of the stored interleaved data. */
  readonly base: number;
  readonly stepX: number;
  readonly stepY: number;
}

/**
 * The index arithmetic of `applyOrientation` for a stored `w`×`h` image of `c` channels, so a reader can
 * walk the upright image without making it (core/image/source-view.ts).
 */
export function orientationSteps(w: number, h: number, c: number, o: Orientation): OrientationSteps {
  const row = w * c;
  const swap = o >= 5;
  const size = { width: swap ? h : w, height: swap ? w : h };
  switch (o) {
    case 1:
      return { ...size, base: 0, stepX: c, stepY: row };
    case 2: // x = w-1-x', y = y'
      return { ...size, base: (w - 1) * c, stepX: -c, stepY: row };
    case 3: // x = w-1-x', y = h-1-y'
      return { ...size, base: (h - 1) * row + (w - 1) * c, stepX: -c, stepY: -row };
    case 4: // x = x', y = h-1-y'
      return { ...size, base: (h - 1) * row, stepX: c, stepY: -row };
    case 5: // transpose: x = y', y = x'
      return { ...size, base: 0, stepX: row, stepY: c };
    case 6: // 90° clockwise: x = y', y = h-1-x'
      return { ...size, base: (h - 1) * row, stepX: -row, stepY: c };
    case 7: // transverse: x = w-1-y', y = h-1-x'
      return { ...size, base: (h - 1) * row + (w - 1) * c, stepX: -row, stepY: -c };
    default: // 8, 90° counter-clockwise: x = w-1-y', y = x'
      return { ...size, base: (w - 1) * c, stepX: row, stepY: -c };
  }
}
