/**
 * netlens/web: the runtime kits for Cloudflare Workers (and other hosts that compile WebAssembly ahead
 * of time) and browsers — onnxruntime-web (WASM, WebGPU) and the WASM image codecs.
 */
export { createEdgeRuntime, type EdgeModules, type EdgeRuntime } from './edge-runtime.js';
export { createBrowserRuntime, type BrowserRuntime, type BrowserRuntimeOptions } from './browser-runtime.js';
export { createWebEngine, WEB_PROVIDERS, type WebEngineOptions, type WebProvider } from './engine.js';
export { createWasmImageDecoder, WASM_DECODER_FORMATS, type CodecModules } from './decode-image.js';
export { createHttpModelSource, type HttpModelSourceOptions } from './http-model-source.js';
export {
  createBlobModelSource,
  type BlobModelSourceOptions,
  type BlobStore,
  type ReadBlob,
} from './blob-model-source.js';
