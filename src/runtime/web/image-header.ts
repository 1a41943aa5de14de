/**
 * Width and height from the header, read before any pixel is decoded (so a decompression bomb is
 * refused cheaply). Returns undefined when the header is truncated or malformed.
 */
export function readImageSize(
  bytes: Uint8Array,
  format: 'jpeg' | 'png' | 'webp',
): { width: number; height: number } | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16be = (o: number): number | undefined => (o + 2 <= bytes.length ? view.getUint16(o) : undefined);
  const u32be = (o: number): number | undefined => (o + 4 <= bytes.length ? view.getUint32(o) : undefined);
  const u16le = (o: number): number | undefined =>
    o + 2 <= bytes.length ? view.getUint16(o, true) : undefined;
  const u24le = (o: number): number | undefined =>
    o + 3 <= bytes.length ? bytes[o]! | (bytes[o + 1]! << 8) | (bytes[o + 2]! << 16) : undefined;
  const size = (w: number | undefined, h: number | undefined) =>
    w === undefined || h === undefined || w === 0 || h === 0 ? undefined : { width: w, height: h };

  if (format === 'png') {
    return size(u32be(16), u32be(20));
  }
  if (format === 'jpeg') {
    let offset = 2;
    while (offset + 4 <= bytes.length) {
      if (bytes[offset] !== 0xff) return undefined;
      const marker = bytes[offset + 1]!;
      if (marker === 0xff) {
        offset++;
        continue;
      }
      const length = u16be(offset + 2);
      if (length === undefined || length < 2) return undefined;
      // SOF0…SOF15 except DHT (C4), JPG (C8) and DAC (CC).
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return size(u16be(offset + 7), u16be(offset + 5));
      }
      offset += 2 + length;
    }
    return undefined;
  }
  // WebP: RIFF header, then VP8 / VP8L / VP8X chunk at offset 12.
  const chunk = String.fromCharCode(...bytes.subarray(12, 16));
  if (chunk === 'VP8X') {
    const w = u24le(24);
    const h = u24le(27);
    return w === undefined || h === undefined ? undefined : size(w + 1, h + 1);
  }
  if (chunk === 'VP8L') {
    if (bytes.length < 25 || bytes[20] !== 0x2f) return undefined;
    const b1 = bytes[21]!;
    const b2 = bytes[22]!;
    const b3 = bytes[23]!;
    const b4 = bytes[24]!;
    return size(1 + (((b2 & 0x3f) << 8) | b1), 1 + (((b4 & 0x0f) << 10) | (b3 << 2) | ((b2 & 0xc0) >> 6)));
  }
  if (chunk === 'VP8 ') {
    const w = u16le(26);
    const h = u16le(28);
    return w === undefined || h === undefined ? undefined : size(w & 0x3fff, h & 0x3fff);
  }
  return undefined;
}

/**
 * True when a JPEG ends properly: an EOI marker (FF D9) after the first start-of-scan. MozJPEG decodes
 * truncated files with grey padding and only a warning; sharp refuses them, so the edge must too.
 * Inside entropy-coded data FF is always followed by 00 or a restart marker, never D9.
 */
export function jpegHasEndMarker(bytes: Uint8Array): boolean {
  let offset = 2;
  while (offset + 4 <= bytes.length) {
    if (bytes[offset] !== 0xff) return false;
    const marker = bytes[offset + 1]!;
    if (marker === 0xff) {
      offset++;
      continue;
    }
    if (marker === 0xda) break;
    offset += 2 + ((bytes[offset + 2]! << 8) | bytes[offset + 3]!);
  }
  for (let i = offset + 2; i + 1 < bytes.length; i++) {
    if (bytes[i] === 0xff && bytes[i + 1] === 0xd9) return true;
  }
  return false;
}
