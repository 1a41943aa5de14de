/**
 * The edge runtime kit (Cloudflare Workers and other hosts that cannot compile WebAssembly at run
 * time): onnxruntime-web's WASM build and the WASM codecs from modules the host compiled ahead of time,
 * and the host's model source. Built once per isolate.
 */
import type { Engine } from '../../core/engine.js';
import type { ImageDecoder, ImageFormat } from '../../core/image-types.js';
import type { ModelSource } from '../../core/model-source.js';
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
}

export interface EdgeRuntime {
  readonly engine: Engine;
  readonly decodeImage: ImageDecoder;
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
  return {
    engine: createWebEngine({ ort: modules.ort, providers: ['wasm'] }),
    decodeImage: createWasmImageDecoder(modules.codecs),
    modelSource,
    formats: WASM_DECODER_FORMATS,
    clock: 'io',
  };
}
