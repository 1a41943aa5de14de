import type { ImageFormat, ImageHeader } from '../image-types.js';
import { u16be, u32be } from './exif-bytes.js';
import { avifHeader, tiffHeader } from './header-containers.js';

export type { ImageHeader } from '../image-types.js';

/**
 * The header of a JPEG, PNG, WebP, GIF, TIFF or AVIF image; undefined when the header is truncated or
 * malformed, or the format is one this reader does not parse (BMP). Pure: works on every runtime, so
 * the app can estimate an image's decoding memory before it admits the image (decode-cost.ts).
 */
export function readImageHeader(bytes: Uint8Array, format: ImageFormat): ImageHeader | undefined {
  const header = readHeader(bytes, format);
  if (!header || !(header.width > 0 && header.height > 0 && header.channels > 0)) return undefined;
  return header;
}

function readHeader(bytes: Uint8Array, format: ImageFormat): ImageHeader | undefined {
  switch (format) {
    case 'png':
      return pngHeader(bytes);
    case 'jpeg':
      return jpegHeader(bytes);
    case 'webp':
      return webpHeader(bytes);
    case 'gif':
      // The logical screen; frames are composed onto it as RGBA.
      return bytes.length < 10
        ? undefined
        : { width: u16le(bytes, 6), height: u16le(bytes, 8), channels: 4, bitsPerSample: 8 };
    case 'tiff':
      return tiffHeader(bytes);
    case 'avif':
      return avifHeader(bytes);
    case 'bmp':
      return undefined;
  }
}

/** IHDR: width, height, bit depth, colour type (0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGBA). */
function pngHeader(bytes: Uint8Array): ImageHeader | undefined {
  if (bytes.length < 26 || String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') return undefined;
  const depth = bytes[24]!;
  const channels = ({ 0: 1, 2: 3, 3: 4, 4: 2, 6: 4 } as Record<number, number>)[bytes[25]!];
  if (channels === undefined) return undefined;
  return { width: u32be(bytes, 16), height: u32be(bytes, 20), channels, bitsPerSample: depth > 8 ? 16 : 8 };
}

/** The first start-of-frame segment: precision, height, width, components. */
function jpegHeader(bytes: Uint8Array): ImageHeader | undefined {
  let offset = 2;
  while (offset + 4 <= bytes.length) {
    if (bytes[offset] !== 0xff) return undefined;
    const marker = bytes[offset + 1]!;
    if (marker === 0xff) {
      offset++;
      continue;
    }
    const length = u16be(bytes, offset + 2);
    if (length < 2) return undefined;
    // SOF0…SOF15 except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (offset + 10 > bytes.length) return undefined;
      return {
        width: u16be(bytes, offset + 7),
        height: u16be(bytes, offset + 5),
        channels: bytes[offset + 9]!,
        bitsPerSample: bytes[offset + 4]! > 8 ? 16 : 8,
      };
    }
    offset += 2 + length;
  }
  return undefined;
}

/** RIFF/WEBP with a VP8X (extended: alpha flag), VP8L (lossless) or VP8 (lossy, no alpha) chunk. */
function webpHeader(bytes: Uint8Array): ImageHeader | undefined {
  if (bytes.length < 30) return undefined;
  const chunk = String.fromCharCode(...bytes.subarray(12, 16));
  const u24le = (o: number): number => bytes[o]! | (bytes[o + 1]! << 8) | (bytes[o + 2]! << 16);
  if (chunk === 'VP8X') {
    const alpha = (bytes[20]! & 0x10) !== 0;
    return { width: u24le(24) + 1, height: u24le(27) + 1, channels: alpha ? 4 : 3, bitsPerSample: 8 };
  }
  if (chunk === 'VP8L') {
    if (bytes[20] !== 0x2f) return undefined;
    const [b1, b2, b3, b4] = [bytes[21]!, bytes[22]!, bytes[23]!, bytes[24]!];
    return {
      width: 1 + (((b2 & 0x3f) << 8) | b1),
      height: 1 + (((b4 & 0x0f) << 10) | (b3 << 2) | ((b2 & 0xc0) >> 6)),
      channels: (b4 & 0x10) !== 0 ? 4 : 3,
      bitsPerSample: 8,
    };
  }
  if (chunk === 'VP8 ') {
    return {
      width: u16le(bytes, 26) & 0x3fff,
      height: u16le(bytes, 28) & 0x3fff,
      channels: 3,
      bitsPerSample: 8,
    };
  }
  return undefined;
}

function u16le(bytes: Uint8Array, at: number): number {
  return (bytes[at] ?? 0) | ((bytes[at + 1] ?? 0) << 8);
}
