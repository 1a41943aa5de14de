/**
 * Test support: decodes image bytes with sharp into core's DecodedImage (no rotation). sharp hands out
 * grey images as RGB(A) with R = G = B; for a grey source we return its native L / LA channels.
 */
import sharp from 'sharp';
import type { DecodedImage, ImageFormat } from '../../src/core/image-types.js';

export async function decodeWithSharp(bytes: Uint8Array): Promise<DecodedImage> {
  const image = sharp(bytes);
  const [{ data, info }, meta] = await Promise.all([
    image.clone().raw().toBuffer({ resolveWithObject: true }),
    image.metadata(),
  ]);
  const format = meta.format as ImageFormat;
  const pixels = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const { width, height, channels } = info;
  if (meta.space === 'b-w' && (meta.channels === 1 || meta.channels === 2) && channels >= 3) {
    const grey = meta.channels;
    const out = new Uint8Array(width * height * grey);
    for (let i = 0, s = 0; i < width * height; i++, s += channels) {
      if (pixels[s] !== pixels[s + 1] || pixels[s] !== pixels[s + 2])
        throw new Error('grey source decoded with colour');
      out[i * grey] = pixels[s] as number;
      if (grey === 2) out[i * grey + 1] = pixels[s + 3] as number;
    }
    return { width, height, channels: grey, data: out, format, decoder: 'reference (sharp)' };
  }
  if (channels < 1 || channels > 4) throw new Error(`sharp gave ${channels} channels`);
  return {
    width,
    height,
    channels: channels as 1 | 2 | 3 | 4,
    data: pixels,
    format,
    decoder: 'reference (sharp)',
  };
}
