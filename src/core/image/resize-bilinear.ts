import { resizeConvolution } from './resize-convolution.js';
import { BILINEAR_FILTER } from './resample-coefficients.js';
import type { Pixels } from './pixels.js';

/** Pillow BILINEAR resize (Pillow ≥ 7): a triangle filter widened by the scale when shrinking (antialiased). */
export function resizeBilinear(image: Pixels, width: number, height: number): Pixels {
  return resizeConvolution(image, width, height, BILINEAR_FILTER);
}
