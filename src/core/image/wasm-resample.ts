import { instantiateKernels } from './wasm-instance.js';
import { fixedCoefficients, rowsNeeded, type FixedCoefficients } from './fused-convolution.js';
import type { ResampleFilter } from './resample-coefficients.js';
import type { SourceView } from './source-view.js';
import type { NormaliseTable } from './normalise-table.js';
import { alignCornersGrid, alignCornersInto } from './fused-align-corners.js';
import { sampleOffsets } from './fused-nearest.js';

/** Faster forms of the fused resize steps, bit for bit the TypeScript ones (tested). */
export interface ResampleKernel {
  /**
   * Pillow's 8-bit convolution resize of a source view, as `convolveView` (fused-convolution.ts) computes
   * it, normalised by the table into `out` (as preprocess.ts' `lookUp`).
   */
  convolveInto(
    view: SourceView,
    width: number,
    height: number,
    filter: ResampleFilter,
    table: NormaliseTable,
    out: Float32Array,
  ): void;
  /** normalise + TF.js' align-corners resize, as `alignCornersInto` (fused-align-corners.ts). */
  alignCornersInto(
    view: SourceView,
    width: number,
    height: number,
    table: NormaliseTable,
    out: Float32Array,
  ): void;
}

interface ResampleExports {
  memory: WebAssembly.Memory;
  __heap_base: WebAssembly.Global;
  vertical(...args: number[]): void;
  horizontal_rows(...args: number[]): void;
  horizontal_columns(...args: number[]): void;
  copy_rows(...args: number[]): void;
  align_corners(...args: number[]): void;
  look_up(...args: number[]): void;
}

/** Memory kept between images; after a larger image the instance is replaced so its memory is freed. */
const KEPT_BYTES = 32 * 1024 * 1024;
const PAGE = 65536;
const PAD = 16;

/**
 * The WebAssembly kernels (wasm/resample.c, built by scripts/build-wasm.sh) as a ResampleKernel.
 * `module` is the compiled `resample.wasm`, which each runtime obtains its own way (Node compiles the
 * file; a Worker imports it, as Workers may not compile bytes). Each input is copied into the module's memory and the output out of it.
 */
export function wasmResample(module: WebAssembly.Module): ResampleKernel {
  let exports = instantiate(module);
  return {
    convolveInto(view, width, height, filter, table, out) {
      if (exports.memory.buffer.byteLength > KEPT_BYTES) exports = instantiate(module);
      convolveIn(exports, view, width, height, filter, table, out);
    },
    alignCornersInto(view, width, height, table, out) {
      // Align-corners reads 4 source pixels per output pixel: for a large source, copying all of it into
      // the module's memory costs far more time and memory (a 40 MP RGBA image: 1.1–1.9 s and 160 MB)
      // than the TypeScript kernel's reads in place (11–20 ms), which give the same bits.
      if (view.data.byteLength > KEPT_BYTES) return alignCornersInto(view, width, height, table, out);
      if (exports.memory.buffer.byteLength > KEPT_BYTES) exports = instantiate(module);
      alignCornersIn(exports, view, width, height, table, out);
    },
  };
}

function instantiate(module: WebAssembly.Module): ResampleExports {
  return instantiateKernels<ResampleExports>(module, [
    'memory',
    '__heap_base',
    'vertical',
    'horizontal_rows',
    'horizontal_columns',
    'copy_rows',
    'align_corners',
    'look_up',
  ]);
}

/** Lays the pieces out one after another from the heap base, growing the memory to fit. */
class Layout {
  private end: number;
  constructor(private readonly e: ResampleExports) {
    this.end = Number(e.__heap_base.value);
  }
  take(bytes: number): number {
    const at = (this.end + 15) & ~15;
    this.end = at + bytes + PAD;
    const missing = this.end - this.e.memory.buffer.byteLength;
    if (missing > 0) this.e.memory.grow(Math.ceil(missing / PAGE));
    return at;
  }
  /** A copy of `array` in the module's memory; returns its address. */
  copy(array: Uint8Array | Int32Array | Float32Array | Float64Array): number {
    const at = this.take(array.byteLength);
    new Uint8Array(this.e.memory.buffer, at, array.byteLength).set(
      new Uint8Array(array.buffer, array.byteOffset, array.byteLength),
    );
    return at;
  }
  coefficients(c: FixedCoefficients): [number, number, number] {
    return [this.copy(c.start), this.copy(c.count), this.copy(c.weights)];
  }
}

function convolveIn(
  e: ResampleExports,
  view: SourceView,
  width: number,
  height: number,
  filter: ResampleFilter,
  table: NormaliseTable,
  result: Float32Array,
): void {
  const { samples, pixel, base, stepX, stepY } = view;
  const layout = new Layout(e);
  const vertical = fixedCoefficients(view.height, height, filter);
  const [firstRow, rows] = rowsNeeded(view.height, height, vertical);
  const src = layout.copy(view.data);
  const [vStart, vCount, vWeights] = layout.coefficients(vertical);
  const mid = layout.take(rows * width * samples);
  const out = height === view.height ? mid : layout.take(width * height * samples);
  const horizontal = width === view.width ? undefined : fixedCoefficients(view.width, width, filter);
  const [hStart, hCount, hWeights] = horizontal ? layout.coefficients(horizontal) : [0, 0, 0];
  const line = view.transposed && horizontal ? layout.take(rows * pixel) : 0;

  if (!horizontal) e.copy_rows(src, base, stepX, stepY, samples, width, firstRow, rows, mid);
  else if (view.transposed) {
    e.horizontal_columns(
      src, base, stepX, stepY, pixel, samples, firstRow, rows, width,
      hStart, hCount, hWeights, horizontal.ksize, line, mid,
    ); // prettier-ignore
  } else {
    e.horizontal_rows(
      src, base, stepX, stepY, samples, firstRow, rows, width,
      hStart, hCount, hWeights, horizontal.ksize, mid,
    ); // prettier-ignore
  }
  if (out !== mid)
    e.vertical(mid, width * samples, height, firstRow, vStart, vCount, vWeights, vertical.ksize, out);
  // The table lookup here too: in JavaScript it cost as much as the resize (0.3–0.4 ms at 224²).
  const offsets = layout.copy(Int32Array.from(sampleOffsets(view, table)));
  const lut = layout.copy(table.values);
  const dst = layout.take(result.byteLength);
  e.look_up(out, width * height, samples, table.channels, offsets, lut, dst);
  result.set(new Float32Array(e.memory.buffer, dst, result.length));
}

function alignCornersIn(
  e: ResampleExports,
  view: SourceView,
  width: number,
  height: number,
  table: NormaliseTable,
  out: Float32Array,
): void {
  const layout = new Layout(e);
  const grid = alignCornersGrid(view, width, height);
  const src = layout.copy(view.data);
  const rows = [layout.copy(grid.top), layout.copy(grid.bottom), layout.copy(grid.rowFrac)];
  const columns = [layout.copy(grid.left), layout.copy(grid.right), layout.copy(grid.colFrac)];
  const offsets = layout.copy(Int32Array.from(sampleOffsets(view, table)));
  const lut = layout.copy(table.values64);
  const dst = layout.take(out.byteLength);
  e.align_corners(src, width, height, table.channels, ...rows, ...columns, offsets, lut, dst);
  out.set(new Float32Array(e.memory.buffer, dst, out.length));
}
