import type { Pixels } from './pixels.js';

/**
 * Pillow's RGBA→RGBa / LA→La conversion (Convert.c `rgbA2rgba`, `lA2la`): colour × alpha / 255 with
 * Pillow's MULDIV255 rounding. Alpha is the last channel (2 or 4 channels, 8-bit data).
 */
export function premultiplyAlpha(image: Pixels): Pixels {
  const { data, channels: c } = image;
  const out = new Uint8Array(data.length);
  for (let p = 0; p < data.length; p += c) {
    const alpha = data[p + c - 1] as number;
    for (let k = 0; k < c - 1; k++) {
      const t = (data[p + k] as number) * alpha + 128;
      out[p + k] = ((t >> 8) + t) >> 8;
    }
    out[p + c - 1] = alpha;
  }
  return { ...image, data: out };
}

/**
 * Pillow's RGBa→RGBA / La→LA conversion (`rgba2rgbA`, `la2lA`): colour × 255 / alpha, truncated and
 * clipped to 255; colour kept as is where alpha is 0 or 255.
 */
export function unpremultiplyAlpha(image: Pixels): Pixels {
  const { data, channels: c } = image;
  const out = new Uint8Array(data.length);
  for (let p = 0; p < data.length; p += c) {
    const alpha = data[p + c - 1] as number;
    for (let k = 0; k < c - 1; k++) {
      const v = data[p + k] as number;
      out[p + k] = alpha === 255 || alpha === 0 ? v : Math.min(255, Math.trunc((255 * v) / alpha));
    }
    out[p + c - 1] = alpha;
  }
  return { ...image, data: out };
}
