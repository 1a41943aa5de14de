import { wasmPngUnfilter } from '../../core/image/wasm-png-unfilter.js';
import { wasmResample } from '../../core/image/wasm-resample.js';
import type { ImageDecoder } from '../../core/image-types.js';
import type { PreprocessKernels } from '../../core/pipeline.js';
import { createSharpImageDecoder } from './decode-image.js';
import { compileResampleWasm } from './resample-wasm.js';

/**
 * How the Node runtime decodes and preprocesses, from one compiled resample.wasm: sharp with the PNG
 * fast path (png-decode.ts), and the WebAssembly resize kernels. The runtime kit, each prepare thread,
 * the HTTP bench's stages and the conformance test's Node runtime all take it from here.
 */
export async function createNodeImageKit(): Promise<{
  decodeImage: ImageDecoder;
  kernels: PreprocessKernels;
}> {
  const module = await compileResampleWasm();
  return {
    decodeImage: createSharpImageDecoder({ pngUnfilter: wasmPngUnfilter(module) }),
    kernels: { resample: wasmResample(module) },
  };
}
