import { NetlensError } from '../errors.js';
import type { DecodedImage } from '../image-types.js';
import { allocLike, checkPixels, type Pixels } from './pixels.js';

/**
 * Pillow `convert('RGB')`: L is replicated to three channels, LA drops alpha after replicating L,
 * RGBA drops alpha (no compositing onto a background), RGB is returned without copying.
 * Palette images arrive expanded to RGB/RGBA from the decoder, so they follow the same rules.
 */
export function toRgb(image: DecodedImage | Pixels): Pixels {
  const { width, height, channels, data } = image;
  checkPixels(image);
  if (channels === 3) return { width, height, channels, data };
  checkColourChannels(channels, 'toRgb');
  const n = width * height;
  const out = allocLike(data, n * 3);
  if (channels === 1 || channels === 2) {
    for (let i = 0, s = 0, o = 0; i < n; i++, s += channels, o += 3) {
      const v = data[s] as number;
      out[o] = v;
      out[o + 1] = v;
      out[o + 2] = v;
    }
  } else {
    for (let i = 0, s = 0, o = 0; i < n; i++, s += 4, o += 3) {
      out[o] = data[s] as number;
      out[o + 1] = data[s + 1] as number;
      out[o + 2] = data[s + 2] as number;
    }
  }
  return { width, height, channels: 3, data: out };
}

/**
 * Pillow `convert('L')`: from RGB/RGBA the ITU-R 601-2 luma in Pillow's fixed point,
 * `(R*19595 + G*38470 + B*7471 + 0x8000) >> 16` (alpha ignored); LA keeps L; L is returned as is.
 */
export function toGrayscale(image: DecodedImage | Pixels): Pixels {
  const { width, height, channels, data } = image;
  checkPixels(image);
  if (channels === 1) return { width, height, channels, data };
  checkColourChannels(channels, 'toGrayscale');
  const n = width * height;
  if (channels === 2) {
    const out = allocLike(data, n);
    for (let i = 0; i < n; i++) out[i] = data[i * 2] as number;
    return { width, height, channels: 1, data: out };
  }
  if (!(data instanceof Uint8Array)) {
    throw new NetlensError('invalid_argument', 'toGrayscale: RGB→L needs 8-bit pixels (Uint8Array data)');
  }
  const out = new Uint8Array(n);
  for (let i = 0, s = 0; i < n; i++, s += channels) {
    out[i] =
      ((data[s] as number) * 19595 +
        (data[s + 1] as number) * 38470 +
        (data[s + 2] as number) * 7471 +
        0x8000) >>
      16;
  }
  return { width, height, channels: 1, data: out };
}

export function checkColourChannels(channels: number, fn: string): void {
  if (channels < 1 || channels > 4) {
    throw new NetlensError(
      'invalid_argument',
      `${fn}: an image with ${channels} channels is not L, LA, RGB or RGBA (1–4 channels)`,
      { details: { channels, valid: [1, 2, 3, 4] } },
    );
  }
}
