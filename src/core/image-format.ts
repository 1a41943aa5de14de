import type { ImageFormat } from './image-types.js';

/**
 * The container format from the magic bytes — never from a file name or a Content-Type. Undefined when
 * the bytes start like no format netlens knows (or are too short to tell).
 */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  const at = (offset: number, ...expected: number[]): boolean =>
    bytes.length >= offset + expected.length && expected.every((b, i) => bytes[offset + i] === b);
  const ascii = (offset: number, text: string): boolean =>
    at(offset, ...Array.from(text, (c) => c.charCodeAt(0)));
  if (at(0, 0xff, 0xd8, 0xff)) return 'jpeg';
  if (at(0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'png';
  if (ascii(0, 'RIFF') && ascii(8, 'WEBP')) return 'webp';
  if (ascii(0, 'GIF87a') || ascii(0, 'GIF89a')) return 'gif';
  if (ascii(4, 'ftyp') && (ascii(8, 'avif') || ascii(8, 'avis') || hasAvifBrand(bytes))) return 'avif';
  if (at(0, 0x49, 0x49, 0x2a, 0x00) || at(0, 0x4d, 0x4d, 0x00, 0x2a)) return 'tiff';
  if (ascii(0, 'BM')) return 'bmp';
  return undefined;
}

/** An ISO-BMFF `ftyp` box listing 'avif' among its compatible brands (major brand e.g. 'mif1'). */
function hasAvifBrand(bytes: Uint8Array): boolean {
  const size = ((bytes[0] ?? 0) << 24) | ((bytes[1] ?? 0) << 16) | ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0);
  const end = Math.min(size, bytes.length, 64);
  for (let o = 16; o + 4 <= end; o += 4) {
    if (String.fromCharCode(...bytes.subarray(o, o + 4)) === 'avif') return true;
  }
  return false;
}
