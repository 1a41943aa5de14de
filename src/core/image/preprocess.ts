import type { Float32Tensor } from '../engine.js';
import { NetlensError } from '../errors.js';
import type { DecodedImage } from '../image-types.js';
import type { Manifest } from '../manifest.js';
import { toGrayscale, toRgb } from './color.js';
import { readExifOrientation } from './exif.js';
import { normalise } from './normalise.js';
import { applyOrientation } from './orientation.js';
import { resize } from './resize.js';

export interface PreprocessOptions {
  /**
   * Apply the EXIF orientation read from `source` (default: true when `source` is given).
   * `true` without `source` is an error: the orientation lives in the encoded bytes, not the pixels.
   */
  orient?: boolean;
}

/**
 * decode output → EXIF orientation → `convert('RGB')`/`convert('L')` → resize to the model input →
 * normalise (Keras order), or for 'bilinear-align-corners' normalise → resize (TF.js/nsfwjs order, so the
 * float rounding matches nsfwjs bit for bit). Returns one NHWC float32 image with dims [1, H, W, C].
 */
export function preprocessImage(
  image: DecodedImage,
  source: Uint8Array | undefined,
  spec: Pick<Manifest, 'input' | 'preprocessing'>,
  options: PreprocessOptions = {},
): Float32Tensor {
  const { input, preprocessing } = spec;
  const color = preprocessing.color ?? 'rgb';
  const channels = color === 'grayscale' ? 1 : 3;
  if (input.channels !== channels) {
    throw new NetlensError(
      'invalid_argument',
      `model input has ${input.channels} channel(s) but preprocessing.color '${color}' gives ${channels}`,
      { details: { inputChannels: input.channels, color } },
    );
  }
  const orient = options.orient ?? source !== undefined;
  if (orient && source === undefined) {
    throw new NetlensError(
      'invalid_argument',
      'preprocessImage: orient: true needs the encoded source bytes to read the EXIF orientation',
    );
  }
  const converted = color === 'grayscale' ? toGrayscale(image) : toRgb(image);
  const upright =
    orient && source !== undefined ? applyOrientation(converted, readExifOrientation(source)) : converted;
  let data: Float32Array;
  if (preprocessing.resize === 'bilinear-align-corners') {
    // TF.js convention (nsfwjs' infer): normalise the float pixels first, then resize them.
    const normalised = { ...upright, data: normalise(upright, preprocessing) };
    data = resize(normalised, input.width, input.height, preprocessing.resize).data as Float32Array;
  } else {
    // Keras convention: load_img resizes the 8-bit image, preprocess_input normalises it.
    data = normalise(resize(upright, input.width, input.height, preprocessing.resize), preprocessing);
  }
  return { data, dims: [1, input.height, input.width, channels] };
}
