import { NetlensError } from '../core/errors.js';
import type { Pixels } from '../core/image/pixels.js';

/**
 * Deterministic variants of a photo for measuring agreement on more inputs than there are photos:
 * flips, crops (which the resize to the model input then scales differently), brightness, contrast,
 * saturation and colour-temperature shifts — each variant is a different input to the network, not a
 * statistically independent photo (docs/quantize.md says how to read the figures).
 * Pure 8-bit pixel operations on upright interleaved pixels (1–4 channels; alpha is left alone).
 */
export interface Variant {
  name: string;
  flip?: boolean;
  /** [left, top, width, height] as fractions of the image. */
  crop?: readonly [number, number, number, number];
  /** v → (v − 128) × contrast + 128, then × gain, then + shift[c]. */
  contrast?: number;
  gain?: number;
  /** Per colour channel offsets (R, G, B). */
  shift?: readonly [number, number, number];
  /** 0 = grey, 1 = unchanged, > 1 = more colourful. */
  saturation?: number;
}

export const VARIANTS: readonly Variant[] = [
  { name: 'original' },
  { name: 'flip', flip: true },
  { name: 'crop-center-80', crop: [0.1, 0.1, 0.8, 0.8] },
  { name: 'crop-top-left-75', crop: [0, 0, 0.75, 0.75] },
  { name: 'crop-bottom-right-75', crop: [0.25, 0.25, 0.75, 0.75] },
  { name: 'brighter', gain: 1.2 },
  { name: 'darker', gain: 0.75 },
  { name: 'more-contrast', contrast: 1.3 },
  { name: 'less-contrast', contrast: 0.7 },
  { name: 'grey', saturation: 0 },
  { name: 'saturated', saturation: 1.5 },
  { name: 'flip-crop-center-70', flip: true, crop: [0.15, 0.15, 0.7, 0.7] },
  { name: 'crop-top-right-75-brighter', crop: [0.25, 0, 0.75, 0.75], gain: 1.1 },
  { name: 'crop-bottom-left-75-flat', crop: [0, 0.25, 0.75, 0.75], contrast: 0.8 },
  { name: 'warm', shift: [18, 4, -18] },
  { name: 'cool', shift: [-18, 0, 18] },
];

export const MAX_VARIANTS = VARIANTS.length;

/** The first `count` variants (1 = the photos as they are). */
export function variants(count: number): readonly Variant[] {
  if (!Number.isInteger(count) || count < 1 || count > VARIANTS.length) {
    throw new NetlensError(
      'invalid_argument',
      `variants must be an integer from 1 to ${VARIANTS.length}, got ${count}`,
    );
  }
  return VARIANTS.slice(0, count);
}

export function applyVariant<T extends Pixels & { data: Uint8Array }>(image: T, v: Variant): T {
  let out: T = image;
  if (v.crop) out = crop(out, v.crop);
  if (v.flip) out = flipHorizontal(out);
  if (v.contrast !== undefined || v.gain !== undefined || v.shift || v.saturation !== undefined)
    out = recolour(out, v);
  return out;
}

function crop<T extends Pixels & { data: Uint8Array }>(
  image: T,
  [l, t, w, h]: readonly [number, number, number, number],
): T {
  const x0 = Math.floor(l * image.width);
  const y0 = Math.floor(t * image.height);
  const width = Math.max(1, Math.min(image.width - x0, Math.round(w * image.width)));
  const height = Math.max(1, Math.min(image.height - y0, Math.round(h * image.height)));
  const c = image.channels;
  const data = new Uint8Array(width * height * c);
  for (let y = 0; y < height; y++) {
    const from = ((y0 + y) * image.width + x0) * c;
    data.set(image.data.subarray(from, from + width * c), y * width * c);
  }
  return { ...image, width, height, data };
}

function flipHorizontal<T extends Pixels & { data: Uint8Array }>(image: T): T {
  const { width, height, channels: c } = image;
  const data = new Uint8Array(image.data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const from = (y * width + x) * c;
      const to = (y * width + (width - 1 - x)) * c;
      for (let k = 0; k < c; k++) data[to + k] = image.data[from + k] as number;
    }
  }
  return { ...image, data };
}

function recolour<T extends Pixels & { data: Uint8Array }>(image: T, v: Variant): T {
  const c = image.channels;
  const colours = c >= 3 ? 3 : 1; // RGB(A) or L(A)
  const contrast = v.contrast ?? 1;
  const gain = v.gain ?? 1;
  const saturation = v.saturation ?? 1;
  const data = new Uint8Array(image.data);
  const px = new Float64Array(3);
  for (let i = 0; i < data.length; i += c) {
    for (let k = 0; k < colours; k++) px[k] = ((data[i + k] as number) - 128) * contrast + 128;
    if (colours === 3 && saturation !== 1) {
      const luma = 0.299 * (px[0] as number) + 0.587 * (px[1] as number) + 0.114 * (px[2] as number);
      for (let k = 0; k < 3; k++) px[k] = luma + ((px[k] as number) - luma) * saturation;
    }
    for (let k = 0; k < colours; k++) {
      const value = (px[k] as number) * gain + (v.shift?.[colours === 3 ? k : 1] ?? 0);
      data[i + k] = Math.min(255, Math.max(0, Math.round(value)));
    }
  }
  return { ...image, data };
}
