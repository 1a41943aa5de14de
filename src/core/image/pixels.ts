import { NetlensError } from '../errors.js';

/** Interleaved pixels, top-left origin, row-major: `data[(y * width + x) * channels + c]`. */
export interface Pixels {
  width: number;
  height: number;
  channels: number;
  data: Uint8Array | Float32Array;
}

/** EXIF orientation tag values (TIFF tag 0x0112). 1 = upright. */
export type Orientation = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;

/** Throws invalid_argument unless `image` has positive integer sizes and a buffer of the right length. */
export function checkPixels(image: Pixels, what = 'image'): void {
  const { width, height, channels, data } = image;
  for (const [name, value] of [
    ['width', width],
    ['height', height],
    ['channels', channels],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new NetlensError('invalid_argument', `${what}.${name} must be a positive integer, got ${value}`, {
        details: { [name]: value },
      });
    }
  }
  const expected = width * height * channels;
  if (data.length !== expected) {
    throw new NetlensError(
      'invalid_argument',
      `${what}.data has ${data.length} values; ${width}×${height}×${channels} needs ${expected}`,
      { details: { width, height, channels, length: data.length } },
    );
  }
}

/** A zeroed array of the same element type as `data`. */
export function allocLike<T extends Uint8Array | Float32Array>(data: T, length: number): T {
  return (data instanceof Float32Array ? new Float32Array(length) : new Uint8Array(length)) as T;
}

/** Throws invalid_argument unless `value` is a positive integer (an output size). */
export function checkSize(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new NetlensError('invalid_argument', `${name} must be a positive integer, got ${value}`, {
      details: { [name]: value },
    });
  }
}
