import type { NormaliseTable } from './normalise-table.js';
import { sourceIndices } from './resize-nearest.js';
import type { SourceView } from './source-view.js';

/**
 * Pillow NEAREST + normalise in one pass: each output pixel reads its one source pixel through the view
 * and looks its samples up in the table. Same source indices as `resizeNearest` (positions Pillow leaves
 * unfilled read as 0), so the result equals normalise(resize(upright image)) bit for bit.
 */
export function nearestInto(
  view: SourceView,
  width: number,
  height: number,
  table: NormaliseTable,
  out: Float32Array,
): void {
  const { data, base, stepX, stepY } = view;
  const xs = sourceIndices(view.width, width);
  const ys = sourceIndices(view.height, height);
  const v = table.values;
  const [s0, s1, s2] = sampleOffsets(view, table);
  let o = 0;
  for (let y = 0; y < height; y++) {
    const sy = ys[y] as number;
    const row = base + sy * stepY;
    for (let x = 0; x < width; x++) {
      const sx = xs[x] as number;
      const p = row + sx * stepX;
      const filled = sy >= 0 && sx >= 0;
      if (table.channels === 3) {
        out[o++] = v[filled ? (data[p + s0] as number) : 0] as number;
        out[o++] = v[256 + (filled ? (data[p + s1] as number) : 0)] as number;
        out[o++] = v[512 + (filled ? (data[p + s2] as number) : 0)] as number;
      } else {
        out[o++] = v[filled ? (data[p] as number) : 0] as number;
      }
    }
  }
}

/** The view sample each output channel reads (L/LA views replicate sample 0). */
export function sampleOffsets(view: SourceView, table: NormaliseTable): [number, number, number] {
  if (view.samples === 1) return [0, 0, 0];
  const [a, b, c] = table.order as readonly [number, number, number];
  return [a, b, c];
}
