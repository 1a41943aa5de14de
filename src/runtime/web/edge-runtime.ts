/**
 * The edge runtime kit (Cloudflare Workers and other hosts that cannot compile WebAssembly at run
 * time): onnxruntime-web's WASM build and the WASM codecs from modules the host compiled ahead of time,
 * and the host's model source. Built once per isolate.
 */
import type { Engine } from '../../core/engine.js';
import type { ImageDecoder, ImageFormat } from '../../core/image-types.js';
import { wasmResample } from '../../core/image/wasm-resample.js';
import type { ModelSource } from '../../core/model-source.js';
import type { PreprocessKernels } from '../../core/pipeline.js';
import { type PrepareImage, prepareInThread } from '../../core/prepare.js';
import { type CodecModules, WASM_DECODER_FORMATS, createWasmImageDecoder } from './decode-image.js';
import { createWebEngine } from './engine.js';
import type { OrtWebModule } from './ort-types.js';
import { usePrecompiledOrtWasm } from './precompiled-wasm.js';

export interface EdgeModules {
  /** `onnxruntime-web/wasm` (the WASM-only build). */
  ort: OrtWebModule;
  /** ort-wasm-simd-threaded.wasm, compiled by the host. */
  ortWasm: WebAssembly.Module;
  codecs: CodecModules;
  /** src/core/image/wasm/resample.wasm, compiled by the host: the resize kernels (Pillow's convolution in SIMD, align-corners). */
  resampleWasm: WebAssembly.Module;
}

export interface EdgeRuntime {
  readonly engine: Engine;
  readonly decodeImage: ImageDecoder;
  /** Decode + preprocess in the isolate, with the WebAssembly kernels. */
  readonly prepareImage: PrepareImage;
  readonly kernels: PreprocessKernels;
  readonly modelSource: ModelSource;
  readonly formats: readonly ImageFormat[];
  /**
   * Workers' clocks (Date.now, performance.now) stand still during CPU work and move only across I/O
   * (a Spectre mitigation): decode, preprocess and inference cannot be timed inside the isolate.
   */
  readonly clock: 'io';
}

export function createEdgeRuntime(modules: EdgeModules, modelSource: ModelSource): EdgeRuntime {
  usePrecompiledOrtWasm(modules.ort, modules.ortWasm);
  const decodeImage = createWasmImageDecoder(modules.codecs);
  const kernels = { resample: wasmResample(modules.resampleWasm) };
  return {
    engine: createWebEngine({ ort: modules.ort, providers: ['wasm'] }),
    decodeImage,
    prepareImage: prepareInThread(decodeImage, kernels),
    kernels,
    modelSource,
    formats: WASM_DECODER_FORMATS,
    clock: 'io',
  };
}
