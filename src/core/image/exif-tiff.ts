import { u16be, u32be, u32le } from './exif-bytes.js';

/** Tag 0x0112 from IFD0 of a TIFF structure ("II*\0" or "MM\0*"); undefined when absent or unreadable. */
export function tiffOrientation(tiff: Uint8Array | undefined): number | undefined {
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
