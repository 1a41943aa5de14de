import mozjpegWasm from '@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm';
import pngWasm from '@jsquash/png/codec/pkg/squoosh_png_bg.wasm';
import webpWasm from '@jsquash/webp/codec/dec/webp_dec.wasm';
import * as ort from 'onnxruntime-web/wasm';
import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.wasm';
import resampleWasm from '../../src/core/image/wasm/resample.wasm';
import type { ModelSource } from '../../src/core/model-source.js';
import { type EdgeRuntime, createEdgeRuntime } from '../../src/runtime/web/edge-runtime.js';

/** The edge runtime kit over the WASM modules wrangler compiled for this Worker (one per isolate). */
export function workerRuntime(modelSource: ModelSource): EdgeRuntime {
  return createEdgeRuntime(
    { ort, ortWasm, resampleWasm, codecs: { jpeg: mozjpegWasm, png: pngWasm, webp: webpWasm } },
    modelSource,
  );
}
