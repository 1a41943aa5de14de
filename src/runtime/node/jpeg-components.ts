/**
 * The component count of a JPEG's frame header (SOFn): 4 is CMYK (or YCCK), which libvips would
 * colour-manage into sRGB and Pillow converts with its own formula — so the decoder must know before it
 * decodes. Reads markers up to the first SOF only; undefined when there is none (a broken file, which
 * sharp then names).
 */
export function jpegComponents(bytes: Uint8Array): number | undefined {
  let i = 2; // after SOI
  while (i + 3 < bytes.length) {
    if (bytes[i] !== 0xff) return undefined;
    const marker = bytes[i + 1] as number;
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      i += 2; // no length
      continue;
    }
    const length = ((bytes[i + 2] as number) << 8) | (bytes[i + 3] as number);
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) return i + 9 < bytes.length ? bytes[i + 9] : undefined;
    if (marker === 0xd9 || marker === 0xda) return undefined; // end of image / scan before any frame
    i += 2 + length;
  }
  return undefined;
}
