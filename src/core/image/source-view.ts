import { NetlensError } from '../errors.js';
import type { DecodedImage } from '../image-types.js';
import { checkColourChannels, toGrayscale } from './color.js';
import { orientationSteps } from './orientation.js';
import { checkPixels, type Orientation, type Pixels } from './pixels.js';

/**
 * The upright, colour-converted image as a way to read the decoded one, without copying it: sample `k` of
 * upright pixel (x, y) is `data[base + x·stepX + y·stepY + k]`, for k < `samples`. It is what
 * `applyOrientation(toRgb(image))` (or `toGrayscale`) would return, read in place.
 */
export interface SourceView {
  readonly data: Uint8Array;
  /** Upright size. */
  readonly width: number;
  readonly height: number;
  readonly base: number;
  readonly stepX: number;
  readonly stepY: number;
  /**
   * Samples read per pixel: 3 for RGB/RGBA read as RGB (alpha skipped), 1 for L/LA (replicated to RGB
   * later, as `convert('RGB')` does) and for a grayscale model.
   */
  readonly samples: 1 | 3;
  /** Bytes per stored pixel (1–4): samples may skip alpha. */
  readonly pixel: number;
  /** Orientations 5–8: upright rows run down the stored columns. */
  readonly transposed: boolean;
}

/**
 * A view of `image` turned upright for `orientation` and converted for `color`. Only RGB/RGBA → L has no
 * in-place form (each sample is a luma of three): that one image is converted first (8-bit, one channel).
 */
export function sourceView(
  image: DecodedImage | Pixels,
  orientation: Orientation,
  color: 'rgb' | 'grayscale',
): SourceView {
  checkPixels(image);
  checkColourChannels(image.channels, color === 'grayscale' ? 'toGrayscale' : 'toRgb');
  if (!(image.data instanceof Uint8Array)) {
    throw new NetlensError('invalid_argument', 'preprocessImage: needs 8-bit pixels (Uint8Array data)');
  }
  if (!Number.isInteger(orientation) || orientation < 1 || orientation > 8) {
    throw new NetlensError(
      'invalid_argument',
      `orientation must be an integer 1–8, got ${String(orientation)}`,
      { details: { orientation, valid: [1, 2, 3, 4, 5, 6, 7, 8] } },
    );
  }
  const stored = color === 'grayscale' && image.channels >= 3 ? toGrayscale(image) : image;
  const { width, height, channels, data } = stored;
  const steps = orientationSteps(width, height, channels, orientation);
  return {
    data: data as Uint8Array,
    ...steps,
    samples: color === 'grayscale' || channels < 3 ? 1 : 3,
    pixel: channels,
    transposed: orientation >= 5,
  };
}
