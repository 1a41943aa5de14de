import type { Float32Tensor } from '../engine.js';
import { NetlensError } from '../errors.js';
import type { DecodedImage } from '../image-types.js';
import type { Manifest } from '../manifest.js';
import { toGrayscale, toRgb } from './color.js';
import { normalise } from './normalise.js';
import { applyOrientation } from './orientation.js';
import type { Orientation, Pixels } from './pixels.js';
import { resize } from './resize.js';

/**
 * The straightforward preprocessing, one whole-image step after another — the reference the fused
 * `preprocessImage` (preprocess.ts) is tested against, bit for bit:
 * orientation → `convert('RGB')`/`convert('L')` → resize to the model input → normalise (Keras order), or
 * for 'bilinear-align-corners' normalise → resize (TF.js/nsfwjs order, so the float rounding matches
 * nsfwjs). Each step makes a full copy (the normalised image is float32 at full resolution): correct,
 * easy to read, and 3× slower than the fused version.
 */
export function preprocessReference(
  image: DecodedImage | Pixels,
  orientation: Orientation,
  spec: Pick<Manifest, 'input' | 'preprocessing'>,
): Float32Tensor {
  const { input, preprocessing } = spec;
  const channels = checkChannels(spec);
  const converted = preprocessing.color === 'grayscale' ? toGrayscale(image) : toRgb(image);
  const upright = applyOrientation(converted, orientation);
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

/** The model input's channel count, which must be what `preprocessing.color` gives (3 for rgb, 1 for grayscale). */
export function checkChannels(spec: Pick<Manifest, 'input' | 'preprocessing'>): 1 | 3 {
  const color = spec.preprocessing.color ?? 'rgb';
  const channels = color === 'grayscale' ? 1 : 3;
  if (spec.input.channels !== channels) {
    throw new NetlensError(
      'invalid_argument',
      `model input has ${spec.input.channels} channel(s) but preprocessing.color '${color}' gives ${channels}`,
      { details: { inputChannels: spec.input.channels, color } },
    );
  }
  return channels;
}
