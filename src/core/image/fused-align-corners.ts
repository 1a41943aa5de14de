import { sampleOffsets } from './fused-nearest.js';
import type { NormaliseTable } from './normalise-table.js';
import type { SourceView } from './source-view.js';

/**
 * Where each output row and column reads, with TF.js' arithmetic: rows `top`/`bottom` (offsets of the
 * upright rows in the view's data) and `rowFrac`; columns `left`/`right` (offsets × stepX) and `colFrac`.
 */
export interface AlignCornersGrid {
  top: Int32Array;
  bottom: Int32Array;
  rowFrac: Float64Array;
  left: Int32Array;
  right: Int32Array;
  colFrac: Float64Array;
}

export function alignCornersGrid(view: SourceView, width: number, height: number): AlignCornersGrid {
  const { base, stepX, stepY, width: inW, height: inH } = view;
  const grid: AlignCornersGrid = {
    top: new Int32Array(height),
    bottom: new Int32Array(height),
    rowFrac: new Float64Array(height),
    left: new Int32Array(width),
    right: new Int32Array(width),
    colFrac: new Float64Array(width),
  };
  const rowRatio = (height > 1 ? inH - 1 : inH) / (height > 1 ? height - 1 : height);
  for (let y = 0; y < height; y++) {
    const f = rowRatio * y;
    const lo = Math.max(0, Math.floor(f));
    grid.top[y] = base + lo * stepY;
    grid.bottom[y] = base + Math.min(inH - 1, Math.ceil(f)) * stepY;
    grid.rowFrac[y] = f - lo;
  }
  const colRatio = (width > 1 ? inW - 1 : inW) / (width > 1 ? width - 1 : width);
  for (let x = 0; x < width; x++) {
    const f = colRatio * x;
    const lo = Math.max(0, Math.floor(f));
    grid.left[x] = lo * stepX;
    grid.right[x] = Math.min(inW - 1, Math.ceil(f)) * stepX;
    grid.colFrac[x] = f - lo;
  }
  return grid;
}

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
  const grid = alignCornersGrid(view, width, height);
  const offsets = sampleOffsets(view, table);
  const row = width * table.channels;
  for (let y = 0; y < height; y++) {
    const [top, bottom, rf] = [grid.top[y]!, grid.bottom[y]!, grid.rowFrac[y]!];
    if (table.channels === 3) rgbRow(view.data, top, bottom, rf, grid, table.values64, offsets, out, y * row);
    else greyRow(view.data, top, bottom, rf, grid, table.values64, out, y * row);
  }
}

/** One output row of three channels, written out by hand (a loop over channels cost a third more). */
function rgbRow(
  data: Uint8Array,
  top: number,
  bottom: number,
  rf: number,
  { left, right, colFrac: frac }: AlignCornersGrid,
  v: Float64Array,
  [s0, s1, s2]: readonly [number, number, number],
  out: Float32Array,
  o: number,
): void {
  for (let x = 0; x < left.length; x++, o += 3) {
    const tl = top + left[x]!;
    const tr = top + right[x]!;
    const bl = bottom + left[x]!;
    const br = bottom + right[x]!;
    const cf = frac[x]!;
    let a = v[data[tl + s0]!]!;
    let b = v[data[tr + s0]!]!;
    let c = v[data[bl + s0]!]!;
    let d = v[data[br + s0]!]!;
    let t = a + (b - a) * cf;
    let u = c + (d - c) * cf;
    out[o] = t + (u - t) * rf;
    a = v[256 + data[tl + s1]!]!;
    b = v[256 + data[tr + s1]!]!;
    c = v[256 + data[bl + s1]!]!;
    d = v[256 + data[br + s1]!]!;
    t = a + (b - a) * cf;
    u = c + (d - c) * cf;
    out[o + 1] = t + (u - t) * rf;
    a = v[512 + data[tl + s2]!]!;
    b = v[512 + data[tr + s2]!]!;
    c = v[512 + data[bl + s2]!]!;
    d = v[512 + data[br + s2]!]!;
    t = a + (b - a) * cf;
    u = c + (d - c) * cf;
    out[o + 2] = t + (u - t) * rf;
  }
}

function greyRow(
  data: Uint8Array,
  top: number,
  bottom: number,
  rf: number,
  { left, right, colFrac: frac }: AlignCornersGrid,
  v: Float64Array,
  out: Float32Array,
  o: number,
): void {
  for (let x = 0; x < left.length; x++) {
    const l = left[x] as number;
    const r = right[x] as number;
    out[o++] = lerp2(
      v,
      0,
      data[top + l]!,
      data[top + r]!,
      data[bottom + l]!,
      data[bottom + r]!,
      frac[x]!,
      rf,
    );
  }
}

/** TF.js' interpolation of four normalised samples (table entries `at + sample`), in its order. */
function lerp2(
  v: Float64Array,
  at: number,
  tl: number,
  tr: number,
  bl: number,
  br: number,
  cf: number,
  rf: number,
): number {
  const a = v[at + tl]!;
  const c = v[at + bl]!;
  const t = a + (v[at + tr]! - a) * cf;
  const b = c + (v[at + br]! - c) * cf;
  return t + (b - t) * rf;
}
