import { NetlensError } from '../errors.js';
import { RESIZE_METHODS } from '../manifest.js';
import { checkPixels, checkSize, type Pixels } from './pixels.js';
import { premultiplyAlpha, unpremultiplyAlpha } from './premultiply.js';
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
 * Like Pillow, the PIL methods return an unchanged copy when the size already matches, and 8-bit RGBA / LA
 * (4 / 2 channels) are filtered premultiplied by alpha (Pillow's RGBa / La round trip).
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
      return withPillowAlpha(image, width, height, resizeBilinear);
    case 'area':
      return withPillowAlpha(image, width, height, resizeArea);
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

/**
 * Pillow resizes RGBA and LA with a convolution filter in premultiplied form (RGBa / La) and converts
 * back; other channel counts, float data and unchanged sizes go straight through.
 */
function withPillowAlpha(
  image: Pixels,
  width: number,
  height: number,
  resizeFn: (image: Pixels, width: number, height: number) => Pixels,
): Pixels {
  const hasAlpha = (image.channels === 2 || image.channels === 4) && image.data instanceof Uint8Array;
  if (!hasAlpha || (width === image.width && height === image.height)) return resizeFn(image, width, height);
  return unpremultiplyAlpha(resizeFn(premultiplyAlpha(image), width, height));
}

function copyOf(image: Pixels): Pixels {
  return { width: image.width, height: image.height, channels: image.channels, data: image.data.slice() };
}
