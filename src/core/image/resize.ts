import { NetlensError } from '../errors.js';
import { RESIZE_METHODS } from '../manifest.js';
import { checkPixels, checkSize, type Pixels } from './pixels.js';
import { resizeArea } from './resize-area.js';
import { resizeBilinear } from './resize-bilinear.js';
import { resizeBilinearAlignCorners } from './resize-align-corners.js';
import { resizeNearest } from './resize-nearest.js';

export type ResizeMethod = (typeof RESIZE_METHODS)[number];

/**
 * Resizes to `width`×`height`:
 * - 'nearest': Pillow NEAREST (Keras `load_img` default), bit-exact;
 * - 'bilinear': Pillow BILINEAR (antialiased when shrinking), bit-exact on 8-bit data;
 * - 'area': Pillow BOX, bit-exact on 8-bit data;
 * - 'bilinear-align-corners': TF.js resizeBilinear(alignCorners=true); returns Float32 data.
 * Like Pillow, the PIL methods return an unchanged copy when the size already matches.
 */
export function resize(image: Pixels, width: number, height: number, method: ResizeMethod): Pixels {
  checkPixels(image);
  checkSize('width', width);
  checkSize('height', height);
  switch (method) {
    case 'nearest':
      if (width === image.width && height === image.height) return copyOf(image);
      return resizeNearest(image, width, height);
    case 'bilinear':
      return resizeBilinear(image, width, height);
    case 'area':
      return resizeArea(image, width, height);
    case 'bilinear-align-corners':
      return resizeBilinearAlignCorners(image, width, height);
    default:
      throw new NetlensError(
        'invalid_argument',
        `unknown resize method '${String(method)}'; valid: ${RESIZE_METHODS.join(', ')}`,
        { details: { method, valid: [...RESIZE_METHODS] } },
      );
  }
}

function copyOf(image: Pixels): Pixels {
  return { width: image.width, height: image.height, channels: image.channels, data: image.data.slice() };
}
