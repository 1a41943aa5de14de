import { describe, expect, it } from 'vitest';
import { collectDeferred, depthwiseToOnnxDeferred, hwioToOihwDeferred } from './kernel-layout.js';

function ramp(n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => i * 0.5 - 7);
}

/** The definition, index by index: out[o][i][y][x] = k[y][x][i][o]. */
function hwioToOihwReference(k: Float32Array, kh: number, kw: number, ci: number, co: number): number[] {
  const out: number[] = [];
  for (let o = 0; o < co; o++)
    for (let i = 0; i < ci; i++)
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++) out.push(k[((y * kw + x) * ci + i) * co + o] as number);
  return out;
}

/** out[c·M + m][0][y][x] = k[y][x][c][m]. */
function depthwiseReference(k: Float32Array, kh: number, kw: number, c: number, m: number): number[] {
  const out: number[] = [];
  for (let ci = 0; ci < c; ci++)
    for (let mi = 0; mi < m; mi++)
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++) out.push(k[((y * kw + x) * c + ci) * m + mi] as number);
  return out;
}

describe('deferred kernel transposes', () => {
  const [kh, kw, ci, co] = [3, 2, 5, 7];
  const k = ramp(kh * kw * ci * co);

  it.each([1, 29, 30, 31, 1 << 20])(
    'HWIO → OIHW matches the definition in pieces of ≤ %i values',
    (piece) => {
      const d = hwioToOihwDeferred(k, kh, kw, ci, co, piece);
      expect(d.length).toBe(k.length);
      const pieces = [...d.pieces()].map((p) => p.length);
      // Whole output channels per piece (at least one), summing to the kernel.
      for (const n of pieces) expect(n % (ci * kh * kw)).toBe(0);
      expect(pieces.reduce((a, b) => a + b, 0)).toBe(k.length);
      expect(Array.from(collectDeferred(d))).toEqual(hwioToOihwReference(k, kh, kw, ci, co));
    },
  );

  it('reuses one buffer: a consumer that keeps pieces must copy them', () => {
    const buffers = new Set([...hwioToOihwDeferred(k, kh, kw, ci, co, 30).pieces()].map((p) => p.buffer));
    expect(buffers.size).toBe(1);
  });

  it.each([1, 6, 13, 1 << 20])(
    'depthwise [kh, kw, C, M] → [C·M, 1, kh, kw] in pieces of ≤ %i values',
    (piece) => {
      const [c, m] = [4, 3];
      const dk = ramp(kh * kw * c * m);
      const d = depthwiseToOnnxDeferred(dk, kh, kw, c, m, piece);
      expect(Array.from(collectDeferred(d))).toEqual(depthwiseReference(dk, kh, kw, c, m));
    },
  );

  it('leaves the source kernel untouched (a shared layer is lowered again from it)', () => {
    const before = Array.from(k);
    collectDeferred(hwioToOihwDeferred(k, kh, kw, ci, co, 30));
    expect(Array.from(k)).toEqual(before);
  });
});
