import { NetlensError } from '../errors.js';
import { fixedCoefficients, rowsNeeded, type FixedCoefficients } from './fused-convolution.js';
import type { ResampleFilter } from './resample-coefficients.js';
import type { SourceView } from './source-view.js';

/**
 * Pillow's 8-bit convolution resize of a source view, as `convolveView` (fused-convolution.ts) computes
 * it. The result is valid until the next call.
 */
export interface ConvolutionKernel {
  convolve(view: SourceView, width: number, height: number, filter: ResampleFilter): Uint8Array;
}

interface ResampleExports {
  memory: WebAssembly.Memory;
  __heap_base: WebAssembly.Global;
  vertical(...args: number[]): void;
  horizontal_rows(...args: number[]): void;
  horizontal_columns(...args: number[]): void;
  copy_rows(...args: number[]): void;
}

/** Memory kept between images; after a larger image the instance is replaced so its memory is freed. */
const KEPT_BYTES = 32 * 1024 * 1024;
const PAGE = 65536;
const PAD = 16;

/**
 * The WebAssembly SIMD kernel (wasm/resample.c, built by scripts/build-wasm.sh) as a ConvolutionKernel.
 * `module` is the compiled `resample.wasm`, which each runtime obtains its own way (Node compiles the
 * file; a Worker imports it, as Workers may not compile bytes). Bit for bit `convolveView` (tested).
 */
export function wasmConvolution(module: WebAssembly.Module): ConvolutionKernel {
  let exports = instantiate(module);
  return {
    convolve(view, width, height, filter) {
      if (exports.memory.buffer.byteLength > KEPT_BYTES) exports = instantiate(module);
      return convolveIn(exports, view, width, height, filter);
    },
  };
}

function instantiate(module: WebAssembly.Module): ResampleExports {
  const instance = new WebAssembly.Instance(module, {});
  const e = instance.exports as unknown as ResampleExports;
  for (const name of [
    'memory',
    '__heap_base',
    'vertical',
    'horizontal_rows',
    'horizontal_columns',
    'copy_rows',
  ]) {
    if (!(name in e)) {
      throw new NetlensError(
        'internal',
        `resample.wasm does not export '${name}': rebuild it (scripts/build-wasm.sh)`,
      );
    }
  }
  return e;
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
  coefficients(c: FixedCoefficients): [number, number, number] {
    const ints = [c.start, c.count, c.weights];
    const at = ints.map((a) => this.take(a.byteLength));
    ints.forEach((a, i) => new Int32Array(this.e.memory.buffer, at[i], a.length).set(a));
    return at as [number, number, number];
  }
}

function convolveIn(
  e: ResampleExports,
  view: SourceView,
  width: number,
  height: number,
  filter: ResampleFilter,
): Uint8Array {
  const { samples, pixel, base, stepX, stepY } = view;
  const layout = new Layout(e);
  const vertical = fixedCoefficients(view.height, height, filter);
  const [firstRow, rows] = rowsNeeded(view.height, height, vertical);
  const src = layout.take(view.data.length);
  const [vStart, vCount, vWeights] = layout.coefficients(vertical);
  const mid = layout.take(rows * width * samples);
  const out = height === view.height ? mid : layout.take(width * height * samples);
  const horizontal = width === view.width ? undefined : fixedCoefficients(view.width, width, filter);
  const [hStart, hCount, hWeights] = horizontal ? layout.coefficients(horizontal) : [0, 0, 0];
  const line = view.transposed && horizontal ? layout.take(rows * pixel) : 0;
  new Uint8Array(e.memory.buffer, src, view.data.length).set(view.data);

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
  return new Uint8Array(e.memory.buffer, out, width * height * samples);
}
