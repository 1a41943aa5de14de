import mozjpegWasm from '@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm';
import pngWasm from '@jsquash/png/codec/pkg/squoosh_png_bg.wasm';
import webpWasm from '@jsquash/webp/codec/dec/webp_dec.wasm';
import * as ort from 'onnxruntime-web/wasm';
import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.wasm';
import type { Engine } from '../../src/core/engine.js';
import type { ImageDecoder } from '../../src/core/image-types.js';
import { createWasmImageDecoder } from '../../src/runtime/web/decode-image.js';
import { createWebEngine } from '../../src/runtime/web/engine.js';
import { usePrecompiledOrtWasm } from '../../src/runtime/web/precompiled-wasm.js';

/** The Worker's runtime pieces, built once per isolate from the modules wrangler precompiled. */
export interface EdgeRuntime {
  engine: Engine;
  decodeImage: ImageDecoder;
}

let runtime: EdgeRuntime | undefined;

export function edgeRuntime(): EdgeRuntime {
  if (runtime === undefined) {
    usePrecompiledOrtWasm(ort, ortWasm);
    runtime = {
      engine: createWebEngine({ ort, providers: ['wasm'], lowMemory: true }),
      decodeImage: createWasmImageDecoder({ jpeg: mozjpegWasm, png: pngWasm, webp: webpWasm }),
    };
  }
  return runtime;
}
