import { instantiateKernels } from './wasm-instance.js';

/**
 * PNG reconstruction: `filtered` is what zlib inflates from a non-interlaced PNG's IDAT data, `height`
 * rows of one filter-type byte and `stride` bytes. The image is written over the start of `filtered`
 * and returned as a view of its first height × stride bytes (no new buffer per image: fewer
 * allocations for the garbage collector to chase), or undefined when a row names a filter type other
 * than 0–4 (then `filtered` is left as it was).
 */
export type PngUnfilter = (
  filtered: Uint8Array,
  height: number,
  stride: number,
  bytesPerPixel: number,
) => Uint8Array | undefined;

interface UnfilterExports {
  memory: WebAssembly.Memory;
  __heap_base: WebAssembly.Global;
  png_unfilter(data: number, height: number, stride: number, bytesPerPixel: number): number;
}

/** Memory kept between images; after a larger image the instance is replaced so its memory is freed. */
const KEPT_BYTES = 32 * 1024 * 1024;
const PAGE = 65536;

/**
 * The WebAssembly PNG reconstruction (wasm/png-unfilter.c, built into resample.wasm by
 * scripts/build-wasm.sh), from the compiled module each runtime obtains its own way. The filtered bytes
 * are copied into the module's memory, reconstructed in place there, and the image copied back.
 */
export function wasmPngUnfilter(module: WebAssembly.Module): PngUnfilter {
  let e = instantiate(module);
  return (filtered, height, stride, bytesPerPixel) => {
    if (filtered.byteLength !== height * (stride + 1)) {
      throw new RangeError(`png_unfilter: ${filtered.byteLength} bytes for ${height} rows of ${stride}`);
    }
    if (e.memory.buffer.byteLength > KEPT_BYTES) e = instantiate(module);
    const at = (Number(e.__heap_base.value) + 15) & ~15;
    const missing = at + filtered.byteLength - e.memory.buffer.byteLength;
    if (missing > 0) e.memory.grow(Math.ceil(missing / PAGE));
    new Uint8Array(e.memory.buffer, at, filtered.byteLength).set(filtered);
    if (e.png_unfilter(at, height, stride, bytesPerPixel) !== 0) return undefined;
    const image = filtered.subarray(0, height * stride);
    image.set(new Uint8Array(e.memory.buffer, at, height * stride));
    return image;
  };
}

function instantiate(module: WebAssembly.Module): UnfilterExports {
  return instantiateKernels<UnfilterExports>(module, ['memory', '__heap_base', 'png_unfilter']);
}
