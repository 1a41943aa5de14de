import { unzlibSync } from 'fflate';
import type { Orientation } from './pixels.js';

/**
 * Reads the orientation that Debian's Pillow 9.4 `ImageOps.exif_transpose` applies: TIFF tag 0x0112 in
 * IFD0 of JPEG (first APP1 "Exif" segment), WebP (RIFF "EXIF" chunk) or PNG (eXIf chunk, tEXt "exif",
 * or ImageMagick's "Raw profile type exif" text; and, without an EXIF tag, XMP `tiff:Orientation` from
 * the "XML:com.adobe.xmp" text — Pillow 9.4 reads XMP orientation from PNG only).
 * A TIFF file's own IFD0 orientation is read too: Pillow 9.4 applies it while loading the TIFF (so Keras'
 * `load_img` sees the upright image; its `exif_transpose` would then rotate TIFFs a second time, a Pillow
 * bug we do not copy). AVIF/HEIF carry their rotation in irot/imir boxes that the decoder applies: 1.
 * Returns 1 when the tag is absent, out of range 1–8, or the bytes are not a readable container.
 * Never throws: any malformed structure reads as "no orientation".
 */
export function readExifOrientation(bytes: Uint8Array): Orientation {
  try {
    const value = isPng(bytes) ? pngOrientation(bytes) : tiffOrientation(findExifPayload(bytes));
    return value !== undefined && value >= 1 && value <= 8 ? (value as Orientation) : 1;
  } catch {
    return 1;
  }
}

/** The TIFF structure inside the container, without any "Exif\0\0" prefix; undefined when none. */
export function findExifPayload(bytes: Uint8Array): Uint8Array | undefined {
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8) return jpegExif(bytes);
  if (isPng(bytes)) return pngMetadata(bytes).exif;
  if (startsWith(bytes, 0, ascii('RIFF')) && startsWith(bytes, 8, ascii('WEBP'))) return webpExif(bytes);
  if (startsWith(bytes, 0, [0x49, 0x49, 42, 0]) || startsWith(bytes, 0, [0x4d, 0x4d, 0, 42])) return bytes;
  return undefined;
}

function isPng(bytes: Uint8Array): boolean {
  return startsWith(bytes, 0, PNG_SIGNATURE);
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

interface PngMetadata {
  exif: Uint8Array | undefined;
  text: Map<string, string>;
}

/**
 * Pillow 9.4 (Debian) for PNG: `getexif()` uses the last eXIf chunk (or tEXt "exif") before IDAT; when there
 * is none it loads the whole file and also falls back to ImageMagick's "Raw profile type exif" text; when
 * the EXIF has no orientation tag it reads `tiff:Orientation` from the "XML:com.adobe.xmp" text (XMP).
 */
function pngOrientation(bytes: Uint8Array): number | undefined {
  const { exif, text } = pngMetadata(bytes);
  const raw = text.get('Raw profile type exif');
  const payload = exif ?? (raw === undefined ? undefined : stripExifHeader(rawProfileBytes(raw)));
  const fromExif = tiffOrientation(payload);
  if (fromExif !== undefined) return fromExif;
  const match = /tiff:Orientation(="|>)([0-9])/.exec(text.get('XML:com.adobe.xmp') ?? '');
  return match ? Number(match[2]) : undefined;
}

/** EXIF and text chunks of a PNG, as Pillow's `info` holds them when `getexif()` reads it (last wins). */
function pngMetadata(bytes: Uint8Array): PngMetadata {
  const beforeImage = scanPng(bytes, true);
  return beforeImage.exif !== undefined ? beforeImage : scanPng(bytes, false);
}

function scanPng(bytes: Uint8Array, stopAtImage: boolean): PngMetadata {
  const meta: PngMetadata = { exif: undefined, text: new Map() };
  let at = PNG_SIGNATURE.length;
  while (at + 8 <= bytes.length) {
    const length = u32be(bytes, at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    const start = at + 8;
    const end = start + length;
    if (end > bytes.length || type === 'IEND' || (stopAtImage && type === 'IDAT')) break;
    const data = bytes.subarray(start, end);
    if (type === 'eXIf') meta.exif = stripExifHeader(data);
    else if (type === 'tEXt' || type === 'zTXt' || type === 'iTXt') readTextChunk(type, data, meta);
    at = end + 4; // skip CRC
  }
  return meta;
}

function readTextChunk(type: 'tEXt' | 'zTXt' | 'iTXt', data: Uint8Array, meta: PngMetadata): void {
  const nul = data.indexOf(0);
  const keyword = latin1(nul < 0 ? data : data.subarray(0, nul));
  const rest = nul < 0 ? new Uint8Array() : data.subarray(nul + 1);
  if (!keyword) return;
  if (type === 'tEXt') {
    if (keyword === 'exif') meta.exif = stripExifHeader(rest);
    else meta.text.set(keyword, latin1(rest));
  } else if (type === 'zTXt') {
    if ((rest[0] ?? 0) !== 0) return;
    meta.text.set(keyword, latin1(unzlibSync(rest.subarray(1))));
  } else {
    const compressed = rest[0];
    const method = rest[1];
    const lang = rest.indexOf(0, 2);
    const translated = lang < 0 ? -1 : rest.indexOf(0, lang + 1);
    if (compressed === undefined || translated < 0) return;
    const body = rest.subarray(translated + 1);
    if (compressed !== 0 && method !== 0) return;
    meta.text.set(
      keyword,
      new TextDecoder('utf-8', { fatal: true }).decode(compressed !== 0 ? unzlibSync(body) : body),
    );
  }
}

function latin1(bytes: Uint8Array): string {
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return text;
}

/** ImageMagick's "Raw profile type exif": "\nexif\n  <length>\n<hex lines>". */
function rawProfileBytes(text: string): Uint8Array {
  const hex = text.split('\n').slice(3).join('').replace(/\s+/g, '');
  if (hex.length % 2 !== 0 || /[^0-9a-fA-F]/.test(hex)) throw new Error('bad hex');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
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

/** Tag 0x0112 from IFD0 of a TIFF structure ("II*\0" or "MM\0*"); undefined when absent or unreadable. */
function tiffOrientation(tiff: Uint8Array | undefined): number | undefined {
  if (tiff === undefined || tiff.length < 8) return undefined;
  const little = tiff[0] === 0x49 && tiff[1] === 0x49;
  const big = tiff[0] === 0x4d && tiff[1] === 0x4d;
  if (!little && !big) return undefined;
  const u16 = (at: number): number =>
    little ? (tiff[at] ?? 0) | ((tiff[at + 1] ?? 0) << 8) : u16be(tiff, at);
  const u32 = (at: number): number => (little ? u32le(tiff, at) : u32be(tiff, at));
  if (u16(2) !== 42) return undefined;
  const ifd = u32(4);
  if (ifd < 8 || ifd + 2 > tiff.length) return undefined;
  const count = u16(ifd);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > tiff.length) return undefined;
    if (u16(entry) !== 0x0112) continue;
    const type = u16(entry + 2);
    const valueAt = entry + 8;
    // SHORT is the standard type; tolerate BYTE and LONG as Pillow does.
    return type === 3 ? u16(valueAt) : type === 4 ? u32(valueAt) : type === 1 ? (tiff[valueAt] ?? 0) : 0;
  }
  return undefined;
}
