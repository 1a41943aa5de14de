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
