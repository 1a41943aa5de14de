import { resizeConvolution } from './resize-convolution.js';
import { BOX_FILTER } from './resample-coefficients.js';
import type { Pixels } from './pixels.js';

/** Pillow BOX resize (Keras `interpolation='box'`): each output pixel averages the source area it covers. */
export function resizeArea(image: Pixels, width: number, height: number): Pixels {
  return resizeConvolution(image, width, height, BOX_FILTER);
}
