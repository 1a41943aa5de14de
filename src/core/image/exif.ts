import type { Orientation } from './pixels.js';

/**
 * Reads the EXIF orientation (TIFF tag 0x0112 in IFD0) from JPEG (first APP1 "Exif" segment),
 * PNG (eXIf chunk) or WebP (RIFF "EXIF" chunk) bytes, the places Pillow's `getexif()` reads.
 * Returns 1 when the tag is absent, out of range 1–8, or the bytes are not a readable container.
 * Never throws: any malformed structure reads as "no orientation".
 */
export function readExifOrientation(bytes: Uint8Array): Orientation {
  try {
    const tiff = findExifPayload(bytes);
    return tiff === undefined ? 1 : orientationFromTiff(tiff);
  } catch {
    return 1;
  }
}

/** The TIFF structure inside the container, without any "Exif\0\0" prefix; undefined when none. */
export function findExifPayload(bytes: Uint8Array): Uint8Array | undefined {
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8) return jpegExif(bytes);
  if (startsWith(bytes, 0, PNG_SIGNATURE)) return pngExif(bytes);
  if (startsWith(bytes, 0, ascii('RIFF')) && startsWith(bytes, 8, ascii('WEBP'))) return webpExif(bytes);
  return undefined;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const EXIF_HEADER = ascii('Exif\0\0');

function ascii(text: string): number[] {
  return Array.from(text, (ch) => ch.charCodeAt(0));
}

function startsWith(bytes: Uint8Array, at: number, prefix: readonly number[]): boolean {
  if (at < 0 || at + prefix.length > bytes.length) return false;
  return prefix.every((b, i) => bytes[at + i] === b);
}

function stripExifHeader(payload: Uint8Array): Uint8Array {
  return startsWith(payload, 0, EXIF_HEADER) ? payload.subarray(EXIF_HEADER.length) : payload;
}

function u16be(bytes: Uint8Array, at: number): number {
  return ((bytes[at] ?? 0) << 8) | (bytes[at + 1] ?? 0);
}

function u32be(bytes: Uint8Array, at: number): number {
  return (
    (((bytes[at] ?? 0) << 24) |
      ((bytes[at + 1] ?? 0) << 16) |
      ((bytes[at + 2] ?? 0) << 8) |
      (bytes[at + 3] ?? 0)) >>>
    0
  );
}

function u32le(bytes: Uint8Array, at: number): number {
  return (
    (((bytes[at + 3] ?? 0) << 24) |
      ((bytes[at + 2] ?? 0) << 16) |
      ((bytes[at + 1] ?? 0) << 8) |
      (bytes[at] ?? 0)) >>>
    0
  );
}

/** Walks JPEG marker segments up to the start of scan; the first APP1 starting "Exif\0" wins (as in Pillow). */
function jpegExif(bytes: Uint8Array): Uint8Array | undefined {
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

/** Walks PNG chunks; returns the first eXIf chunk's data. */
function pngExif(bytes: Uint8Array): Uint8Array | undefined {
  let at = PNG_SIGNATURE.length;
  while (at + 8 <= bytes.length) {
    const length = u32be(bytes, at);
    const start = at + 8;
    const end = start + length;
    if (end > bytes.length) return undefined;
    if (startsWith(bytes, at + 4, ascii('eXIf'))) return stripExifHeader(bytes.subarray(start, end));
    // eXIf should precede IDAT, but Pillow also reads one after it: scan until IEND.
    if (startsWith(bytes, at + 4, ascii('IEND'))) return undefined;
    at = end + 4; // skip CRC
  }
  return undefined;
}

/** Walks RIFF chunks of a WebP file; returns the EXIF chunk's data. */
function webpExif(bytes: Uint8Array): Uint8Array | undefined {
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

/** Reads tag 0x0112 from IFD0 of a TIFF structure ("II*\0" or "MM\0*"). */
function orientationFromTiff(tiff: Uint8Array): Orientation {
  if (tiff.length < 8) return 1;
  const little = tiff[0] === 0x49 && tiff[1] === 0x49;
  const big = tiff[0] === 0x4d && tiff[1] === 0x4d;
  if (!little && !big) return 1;
  const u16 = (at: number): number =>
    little ? (tiff[at] ?? 0) | ((tiff[at + 1] ?? 0) << 8) : u16be(tiff, at);
  const u32 = (at: number): number => (little ? u32le(tiff, at) : u32be(tiff, at));
  if (u16(2) !== 42) return 1;
  const ifd = u32(4);
  if (ifd < 8 || ifd + 2 > tiff.length) return 1;
  const count = u16(ifd);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > tiff.length) return 1;
    if (u16(entry) !== 0x0112) continue;
    const type = u16(entry + 2);
    const valueAt = entry + 8;
    // SHORT is the standard type; tolerate BYTE and LONG as Pillow does.
    const value =
      type === 3 ? u16(valueAt) : type === 4 ? u32(valueAt) : type === 1 ? (tiff[valueAt] ?? 0) : 0;
    return value >= 1 && value <= 8 ? (value as Orientation) : 1;
  }
  return 1;
}
