/**
 * Scratch buffers the fused preprocessing reuses from one image to the next (one set per JavaScript
 * thread; the functions using them are synchronous, so calls never interleave). Buffers above
 * KEPT_BYTES are handed out but not kept, so one huge photo does not pin its memory.
 */
const KEPT_BYTES = 8 * 1024 * 1024;
const uint8: Uint8Array[] = [];
let int32 = new Int32Array(0);

/** Scratch 8-bit buffer number `slot` with at least `length` elements (contents undefined). */
export function scratchUint8(slot: number, length: number): Uint8Array {
  const kept = uint8[slot];
  if (kept && kept.length >= length) return kept.subarray(0, length);
  const fresh = new Uint8Array(length);
  if (length <= KEPT_BYTES) uint8[slot] = fresh;
  return fresh;
}

/** The scratch Int32 accumulator with at least `length` elements (contents undefined). */
export function scratchInt32(length: number): Int32Array {
  if (int32.length >= length) return int32;
  const fresh = new Int32Array(length);
  if (length * 4 <= KEPT_BYTES) int32 = fresh;
  return fresh;
}
