/** Byte-level helpers shared by the EXIF container parsers. */

export const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
export const EXIF_HEADER = ascii('Exif\0\0');

export function ascii(text: string): number[] {
  return Array.from(text, (ch) => ch.charCodeAt(0));
}

export function startsWith(bytes: Uint8Array, at: number, prefix: readonly number[]): boolean {
  if (at < 0 || at + prefix.length > bytes.length) return false;
  return prefix.every((b, i) => bytes[at + i] === b);
}

export function stripExifHeader(payload: Uint8Array): Uint8Array {
  return startsWith(payload, 0, EXIF_HEADER) ? payload.subarray(EXIF_HEADER.length) : payload;
}

export function u16be(bytes: Uint8Array, at: number): number {
  return ((bytes[at] ?? 0) << 8) | (bytes[at + 1] ?? 0);
}

export function u32be(bytes: Uint8Array, at: number): number {
  return (
    (((bytes[at] ?? 0) << 24) |
      ((bytes[at + 1] ?? 0) << 16) |
      ((bytes[at + 2] ?? 0) << 8) |
      (bytes[at + 3] ?? 0)) >>>
    0
  );
}

export function u32le(bytes: Uint8Array, at: number): number {
  return (
    (((bytes[at + 3] ?? 0) << 24) |
      ((bytes[at + 2] ?? 0) << 16) |
      ((bytes[at + 1] ?? 0) << 8) |
      (bytes[at] ?? 0)) >>>
    0
  );
}
