import { unzlibSync } from 'fflate';
import { PNG_SIGNATURE, stripExifHeader, u32be } from './exif-bytes.js';
import { tiffOrientation } from './exif-tiff.js';

interface PngMetadata {
  exif: Uint8Array | undefined;
  text: Map<string, string>;
}

/**
 * Pillow 9.4 (Debian) for PNG: `getexif()` uses the last eXIf chunk (or tEXt "exif") before IDAT; when there
 * is none it loads the whole file and also falls back to ImageMagick's "Raw profile type exif" text; when
 * the EXIF has no orientation tag it reads `tiff:Orientation` from the "XML:com.adobe.xmp" text (XMP).
 */
export function pngOrientation(bytes: Uint8Array): number | undefined {
  const { exif, text } = pngMetadata(bytes);
  const raw = text.get('Raw profile type exif');
  const payload = exif ?? (raw === undefined ? undefined : stripExifHeader(rawProfileBytes(raw)));
  const fromExif = tiffOrientation(payload);
  if (fromExif !== undefined) return fromExif;
  const match = /tiff:Orientation(="|>)([0-9])/.exec(text.get('XML:com.adobe.xmp') ?? '');
  return match ? Number(match[2]) : undefined;
}

/** EXIF and text chunks of a PNG, as Pillow's `info` holds them when `getexif()` reads it (last wins). */
export function pngMetadata(bytes: Uint8Array): PngMetadata {
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
