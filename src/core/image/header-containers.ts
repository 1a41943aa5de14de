import { u16be, u32be, u32le } from './exif-bytes.js';
import type { ImageHeader } from '../image-types.js';

/** Decoded bits per sample for a stored bit depth. */
export function decodedBits(bits: number): 8 | 16 | 32 {
  return bits <= 8 ? 8 : bits <= 16 ? 16 : 32;
}

/**
 * IFD0 of a TIFF: ImageWidth (256), ImageLength (257), BitsPerSample (258, the first sample's), the
 * photometric interpretation (262: a palette decodes to RGB) and SamplesPerPixel (277, default 1).
 */
export function tiffHeader(bytes: Uint8Array): ImageHeader | undefined {
  if (bytes.length < 8) return undefined;
  const little = bytes[0] === 0x49;
  const u16 = (at: number): number =>
    little ? (bytes[at] ?? 0) | ((bytes[at + 1] ?? 0) << 8) : u16be(bytes, at);
  const u32 = (at: number): number => (little ? u32le(bytes, at) : u32be(bytes, at));
  const ifd = u32(4);
  if (ifd < 8 || ifd + 2 > bytes.length) return undefined;
  const tags = new Map<number, number>();
  for (let i = 0, count = u16(ifd); i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > bytes.length) return undefined;
    const [tag, type, n] = [u16(entry), u16(entry + 2), u32(entry + 4)];
    // SHORT values of up to two fit in the entry; more (BitsPerSample of RGB) sit at an offset.
    const at = type === 3 && n > 2 ? u32(entry + 8) : entry + 8;
    tags.set(tag, type === 4 ? u32(at) : u16(at));
  }
  const samples = tags.get(277) ?? 1;
  return {
    width: tags.get(256) ?? 0,
    height: tags.get(257) ?? 0,
    channels: tags.get(262) === 3 ? 3 : samples,
    bitsPerSample: decodedBits(tags.get(258) ?? 1),
  };
}

/** Boxes are looked for in the first 64 KiB, where an AVIF's `meta` box sits. */
const AVIF_SCAN = 65536;

/**
 * An AVIF's image spatial extents (`ispe`; the largest when there are several items) and its AV1 bit
 * depth (`av1C` high_bitdepth). Channels: 4, as an alpha auxiliary image is common and costs at most that.
 */
export function avifHeader(bytes: Uint8Array): ImageHeader | undefined {
  let width = 0;
  let height = 0;
  let high = false;
  const end = Math.min(bytes.length, AVIF_SCAN);
  for (let p = 4; p + 16 <= end; p++) {
    const type = String.fromCharCode(bytes[p]!, bytes[p + 1]!, bytes[p + 2]!, bytes[p + 3]!);
    if (type === 'ispe') {
      const [w, h] = [u32be(bytes, p + 8), u32be(bytes, p + 12)];
      if (w * h > width * height) [width, height] = [w, h];
    } else if (type === 'av1C') high ||= ((bytes[p + 6] ?? 0) & 0x40) !== 0;
  }
  return width > 0 ? { width, height, channels: 4, bitsPerSample: high ? 16 : 8 } : undefined;
}
