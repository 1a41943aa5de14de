import type { ImageHeader } from './header.js';

/**
 * Bytes a pixel may cost at most while it is decoded and preprocessed, for a header that cannot be read:
 * 16-bit RGBA (8 bytes), its 8-bit copy (4) and one preprocessing copy (4). Settings check that one image
 * at the pixel limit costed this way fits in the decode budget. Rarer images cost more (a 32-bit float or
 * five-sample TIFF: up to 24 bytes a pixel) and may be refused at the pixel limit by a budget sized this
 * way (docs/api.md says so).
 */
export const WORST_DECODE_BYTES_PER_PIXEL = 16;

/**
 * The memory decoding and preprocessing one image may take, from its header: the decoder's image at its
 * stored depth (width × height × channels × bytes per sample), the 8-bit pixels it hands over (at most
 * RGBA), and the preprocessing working set (at most one more 8-bit copy: the WebAssembly resize kernels
 * copy their source). The pixel count is capped at `maxPixels` (the decoder refuses larger images from
 * the header, before decoding); an unreadable header counts as the worst case at the pixel limit.
 */
export function decodeCost(header: ImageHeader | undefined, maxPixels: number): number {
  if (header === undefined) return maxPixels * WORST_DECODE_BYTES_PER_PIXEL;
  const pixels = Math.min(header.width * header.height, maxPixels);
  const eightBit = Math.min(header.channels, 4);
  return pixels * (header.channels * (header.bitsPerSample / 8) + 2 * eightBit);
}
