import { ascii, PNG_SIGNATURE, startsWith } from './exif-bytes.js';
import { jpegExif, webpExif } from './exif-jpeg-webp.js';
import { pngMetadata, pngOrientation } from './exif-png.js';
import { tiffOrientation } from './exif-tiff.js';
import type { Orientation } from './pixels.js';

/**
 * Reads the orientation that Debian's Pillow 9.4 `ImageOps.exif_transpose` applies: TIFF tag 0x0112 in
 * IFD0 of JPEG (first APP1 "Exif" segment), WebP (RIFF "EXIF" chunk) or PNG (eXIf chunk, tEXt "exif",
 * or ImageMagick's "Raw profile type exif" text; and, without an EXIF tag, XMP `tiff:Orientation` from
 * the "XML:com.adobe.xmp" text — Pillow 9.4 reads XMP orientation from PNG only).
 * A TIFF file's own IFD0 orientation is read too: Pillow 9.4 applies it while loading the TIFF (so Keras'
 * `load_img` sees the upright image; its `exif_transpose` would then rotate TIFFs a second time, a Pillow
 * bug we do not copy). AVIF/HEIF keep rotation in irot/imir boxes, not EXIF (the decoder's business;
 * Pillow 9.4 cannot open them): they read as 1. GIF and BMP have no EXIF: 1.
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
function findExifPayload(bytes: Uint8Array): Uint8Array | undefined {
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8) return jpegExif(bytes);
  if (isPng(bytes)) return pngMetadata(bytes).exif;
  if (startsWith(bytes, 0, ascii('RIFF')) && startsWith(bytes, 8, ascii('WEBP'))) return webpExif(bytes);
  if (startsWith(bytes, 0, [0x49, 0x49, 42, 0]) || startsWith(bytes, 0, [0x4d, 0x4d, 0, 42])) return bytes;
  return undefined;
}

function isPng(bytes: Uint8Array): boolean {
  return startsWith(bytes, 0, PNG_SIGNATURE);
}
