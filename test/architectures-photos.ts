import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Float32Tensor } from '../src/core/engine.js';
import type { DecodedImage } from '../src/core/image-types.js';
import { preprocessImage } from '../src/core/image/index.js';
import type { ManifestInput } from '../src/core/manifest.js';

/** The shared photos (../shared/data/images), sorted by name. */
export const PHOTO_DIR = new URL('../../shared/data/images/', import.meta.url).pathname;
export const PHOTOS = readdirSync(PHOTO_DIR)
  .filter((f) => /\.(png|jpe?g)$/i.test(f))
  .sort();

/** sharp decodes to the same RGB as Pillow on these photos (FIELD-NOTES); the product decoder is not needed here. */
async function decode(bytes: Uint8Array, name: string): Promise<DecodedImage> {
  const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
  const format = /\.png$/i.test(name) ? 'png' : 'jpeg';
  return {
    width: info.width,
    height: info.height,
    channels: info.channels as 1 | 2 | 3 | 4,
    data,
    format,
    decoder: 'reference (sharp)',
  };
}

/**
 * Photos through the manifest's preprocessing (EXIF orientation, convert('RGB'), resize, normalise),
 * exactly as the product pipeline does, as [1, H, W, 3] NHWC tensors.
 */
export async function photoInputs(
  manifest: ManifestInput,
  names: readonly string[],
): Promise<Float32Tensor[]> {
  const spec = {
    input: manifest.input,
    preprocessing: { channelOrder: 'rgb' as const, color: 'rgb' as const, ...manifest.preprocessing },
  };
  const out: Float32Tensor[] = [];
  for (const name of names) {
    const bytes = readFileSync(join(PHOTO_DIR, name));
    out.push(preprocessImage(await decode(bytes, name), bytes, spec));
  }
  return out;
}
