import { NetlensError } from '../errors.js';
import type { Manifest } from '../manifest.js';
import { checkPixels, type Pixels } from './pixels.js';

type Preprocessing = Manifest['preprocessing'];

/** Keras `preprocess_input` constants (keras/applications/imagenet_utils.py). */
export const CAFFE_BGR_MEAN = [103.939, 116.779, 123.68] as const;
export const TORCH_RGB_MEAN = [0.485, 0.456, 0.406] as const;
export const TORCH_RGB_STD = [0.229, 0.224, 0.225] as const;

const f32 = Math.fround;

/**
 * Normalises one NHWC image into float32 exactly as Keras' numpy `preprocess_input` does on a float32
 * array (each step rounded to float32, in Keras' order):
 * - caffe: RGB→BGR, then x − mean[c] with the BGR means (the output is BGR whatever `channelOrder` says);
 * - tf: x / 127.5 − 1;
 * - torch: ((x / 255) − mean[c]) / std[c];
 * - scale: x · factor[c] + offset[c], float32 after each step (scalars apply to every channel);
 * Then, except for caffe, `channelOrder: 'bgr'` reverses the channels. `color` must match the image:
 * 'rgb' needs 3 channels, 'grayscale' 1 (caffe and torch need 3).
 */
export function normalise(image: Pixels, preprocessing: Preprocessing): Float32Array {
  checkPixels(image);
  const { width, height, channels, data } = image;
  const color = preprocessing.color ?? 'rgb';
  const expected = color === 'grayscale' ? 1 : 3;
  if (channels !== expected) {
    throw new NetlensError(
      'invalid_argument',
      `normalise: preprocessing.color '${color}' needs ${expected} channel(s), the image has ${channels}`,
      { details: { color, channels, expected } },
    );
  }
  const mode = preprocessing.mode;
  if ((mode === 'caffe' || mode === 'torch') && channels !== 3) {
    throw new NetlensError('invalid_argument', `normalise: mode '${mode}' needs an RGB image (3 channels)`, {
      details: { mode, channels },
    });
  }
  const n = width * height;
  const out = new Float32Array(n * channels);
  switch (mode) {
    case 'caffe': {
      const [mb, mg, mr] = CAFFE_BGR_MEAN.map(f32) as [number, number, number];
      for (let i = 0, s = 0; i < n; i++, s += 3) {
        out[s] = (data[s + 2] as number) - mb;
        out[s + 1] = (data[s + 1] as number) - mg;
        out[s + 2] = (data[s] as number) - mr;
      }
      return out;
    }
    case 'tf':
      for (let i = 0; i < out.length; i++) out[i] = f32((data[i] as number) / 127.5) - 1;
      break;
    case 'torch': {
      const mean = TORCH_RGB_MEAN.map(f32);
      const std = TORCH_RGB_STD.map(f32);
      const d255 = f32(255);
      for (let i = 0, s = 0; i < n; i++, s += 3) {
        for (let c = 0; c < 3; c++) {
          out[s + c] = f32(f32((data[s + c] as number) / d255) - (mean[c] as number)) / (std[c] as number);
        }
      }
      break;
    }
    case 'scale': {
      // factor and offset stay in double precision; each step rounds to float32. So factor 1/255
      // gives exactly x / 255 in float32 (TF.js div(255), as nsfwjs does) for 8-bit input.
      const factor = perChannel('factor', preprocessing.factor, channels, 1);
      const offset = perChannel('offset', preprocessing.offset, channels, 0);
      for (let i = 0, s = 0; i < n; i++, s += channels) {
        for (let c = 0; c < channels; c++) {
          out[s + c] = f32((data[s + c] as number) * (factor[c] as number)) + (offset[c] as number);
        }
      }
      break;
    }
    default:
      throw new NetlensError('invalid_argument', `normalise: unknown mode '${String(mode)}'`, {
        details: { mode, valid: ['caffe', 'tf', 'torch', 'scale'] },
      });
  }
  if (preprocessing.channelOrder === 'bgr' && channels === 3) swapRedBlue(out);
  return out;
}

/** Reverses RGB ↔ BGR in place. */
function swapRedBlue(data: Float32Array): void {
  for (let s = 0; s < data.length; s += 3) {
    const r = data[s] as number;
    data[s] = data[s + 2] as number;
    data[s + 2] = r;
  }
}

/** A scalar or per-channel parameter, one value per channel. */
function perChannel(
  name: string,
  value: number | number[] | undefined,
  channels: number,
  fallback: number,
): Float64Array {
  if (value === undefined) return new Float64Array(channels).fill(fallback);
  if (typeof value === 'number') return new Float64Array(channels).fill(value);
  if (value.length !== channels) {
    throw new NetlensError(
      'invalid_argument',
      `normalise: preprocessing.${name} has ${value.length} values for ${channels} channel(s); give one number or ${channels}`,
      { details: { [name]: value, channels } },
    );
  }
  return Float64Array.from(value);
}
