import { ascii, startsWith, stripExifHeader, u16be, u32le } from './exif-bytes.js';

/** Walks JPEG marker segments up to the start of scan; the first APP1 starting "Exif\0" wins (as in Pillow). */
export function jpegExif(bytes: Uint8Array): Uint8Array | undefined {
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) return undefined;
    const marker = bytes[at + 1] ?? 0;
    if (marker === 0xff) {
      at += 1; // fill byte
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2; // markers without a length
      continue;
    }
    if (marker === 0xda || marker === 0xd9) return undefined; // start of scan / end of image
    const length = u16be(bytes, at + 2);
    if (length < 2) return undefined;
    const start = at + 4;
    const end = at + 2 + length;
    if (end > bytes.length) return undefined;
    if (marker === 0xe1 && startsWith(bytes, start, ascii('Exif\0'))) {
      return stripExifHeader(bytes.subarray(start, end));
    }
    at = end;
  }
  return undefined;
}

/** Walks RIFF chunks of a WebP file; returns the EXIF chunk's data. */
export function webpExif(bytes: Uint8Array): Uint8Array | undefined {
  const riffEnd = Math.min(bytes.length, 8 + u32le(bytes, 4));
  let at = 12;
  while (at + 8 <= riffEnd) {
    const length = u32le(bytes, at + 4);
    const start = at + 8;
    const end = start + length;
    if (end > bytes.length) return undefined;
    if (startsWith(bytes, at, ascii('EXIF'))) return stripExifHeader(bytes.subarray(start, end));
    at = end + (length & 1); // chunks are padded to an even size
  }
  return undefined;
}
