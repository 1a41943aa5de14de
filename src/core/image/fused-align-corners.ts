import { sampleOffsets } from './fused-nearest.js';
import type { NormaliseTable } from './normalise-table.js';
import type { SourceView } from './source-view.js';

/**
 * normalise + TF.js resizeBilinear(alignCorners = true) in one pass: each output sample interpolates the
 * normalised values of its four source samples — looked up in the table (normalise's exact float32
 * results) — with `resizeBilinearAlignCorners`' double-precision arithmetic in the same order, so the
 * result equals resize(normalise(upright image)) bit for bit without a full-size float copy.
 */
export function alignCornersInto(
  view: SourceView,
  width: number,
  height: number,
  table: NormaliseTable,
  out: Float32Array,
): void {
  const { data, base, stepX, stepY, width: inW, height: inH } = view;
  const channels = table.channels;
  const v = table.values64;
  const offsets = sampleOffsets(view, table);
  const rowRatio = (height > 1 ? inH - 1 : inH) / (height > 1 ? height - 1 : height);
  const colRatio = (width > 1 ? inW - 1 : inW) / (width > 1 ? width - 1 : width);
  const colLeft = new Int32Array(width);
  const colRight = new Int32Array(width);
  const colFrac = new Float64Array(width);
  for (let x = 0; x < width; x++) {
    const f = colRatio * x;
    const lo = Math.max(0, Math.floor(f));
    colLeft[x] = lo * stepX;
    colRight[x] = Math.min(inW - 1, Math.ceil(f)) * stepX;
    colFrac[x] = f - lo;
  }
  let o = 0;
  for (let y = 0; y < height; y++) {
    const f = rowRatio * y;
    const lo = Math.max(0, Math.floor(f));
    const rowFrac = f - lo;
    const top = base + lo * stepY;
    const bottom = base + Math.min(inH - 1, Math.ceil(f)) * stepY;
    for (let x = 0; x < width; x++) {
      const l = colLeft[x] as number;
      const r = colRight[x] as number;
      const cf = colFrac[x] as number;
      for (let k = 0; k < channels; k++) {
        const s = offsets[k] as number;
        const t0 = k * 256;
        const topLeft = v[t0 + (data[top + l + s] as number)] as number;
        const topRight = v[t0 + (data[top + r + s] as number)] as number;
        const bottomLeft = v[t0 + (data[bottom + l + s] as number)] as number;
        const bottomRight = v[t0 + (data[bottom + r + s] as number)] as number;
        const t = topLeft + (topRight - topLeft) * cf;
        const b = bottomLeft + (bottomRight - bottomLeft) * cf;
        out[o++] = t + (b - t) * rowFrac;
      }
    }
  }
}
