import type { Engine } from '../../core/engine.js';
import { wasmResample } from '../../core/image/wasm-resample.js';
import type { ImageDecoder } from '../../core/image-types.js';
import type { PreprocessKernels } from '../../core/pipeline.js';
import type { BrowserWasmFiles, BrowserWasmName } from './browser-wasm.js';
import { createWasmImageDecoder } from './decode-image.js';
import { type Download, downloadBytes } from './download.js';
import { type WebProvider, createWebEngine } from './engine.js';
import type { OrtWebModule } from './ort-types.js';

export interface BrowserRuntimeOptions {
  /** The default onnxruntime-web build (WebGPU via JSEP, and WASM). */
  ort: OrtWebModule;
  /** Where each runtime file is served (the page build's content-addressed URLs). */
  wasmFiles: BrowserWasmFiles;
  /** Try WebGPU first (default true); WASM is always the fallback. */
  preferWebGpu?: boolean;
  /** How the WASM binaries are downloaded (the page passes one that shows progress). */
  download?: Download;
}

export interface BrowserRuntime {
  engine: Engine;
  decodeImage: ImageDecoder;
  /** The WebAssembly preprocessing kernels (the same bytes as everywhere else, faster). */
  kernels: PreprocessKernels;
  providers: WebProvider[];
  /** Why WebGPU is not even tried (no navigator.gpu / no adapter), for a visible note. */
  webGpuUnavailable?: string;
  /** WASM threads: >1 only when the page is cross-origin isolated (COOP/COEP). */
  threads: number;
}

/** onnxruntime-web + the WASM codecs in a browser, with WebGPU → WASM and an honest report of why. */
export async function createBrowserRuntime(options: BrowserRuntimeOptions): Promise<BrowserRuntime> {
  const { ort, wasmFiles } = options;
  const download = options.download ?? ((url, o) => downloadBytes(url, o));
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  const cores = (globalThis.navigator as Navigator | undefined)?.hardwareConcurrency ?? 1;
  const threads = isolated ? Math.max(1, Math.min(4, cores)) : 1;
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.proxy = false;
  const fetchFile = (name: BrowserWasmName): Promise<Uint8Array> => {
    const file = wasmFiles[name];
    return download(
      new URL(file.url, location.href).href,
      file.bytes === undefined ? {} : { expectedBytes: file.bytes },
    );
  };
  // The glue module is loaded from its own URL so that WASM threads start their Web Workers from it, not
  // from the page's bundle (which touches the DOM and cannot run in a worker). The binary is downloaded
  // here (with progress) and handed over, so onnxruntime-web does not fetch it again.
  ort.env.wasm.wasmPaths = {
    wasm: new URL(wasmFiles['ort-wasm-simd-threaded.jsep.wasm'].url, location.href).href,
    mjs: new URL(wasmFiles['ort-wasm-simd-threaded.jsep.mjs'].url, location.href).href,
  };
  const [ortWasm, jpeg, png, webp, resample, webGpuUnavailable] = await Promise.all([
    fetchFile('ort-wasm-simd-threaded.jsep.wasm'),
    fetchFile('mozjpeg_dec.wasm').then(compile),
    fetchFile('squoosh_png_bg.wasm').then(compile),
    fetchFile('webp_dec.wasm').then(compile),
    fetchFile('resample.wasm').then(compile),
    whyNoWebGpu(options.preferWebGpu ?? true),
  ]);
  ort.env.wasm.wasmBinary = ortWasm;
  const providers: WebProvider[] = webGpuUnavailable === undefined ? ['webgpu', 'wasm'] : ['wasm'];
  const runtime: BrowserRuntime = {
    engine: createWebEngine({ ort, providers }),
    decodeImage: createWasmImageDecoder({ jpeg, png, webp }),
    kernels: { resample: wasmResample(resample) },
    providers,
    threads,
  };
  if (webGpuUnavailable !== undefined) runtime.webGpuUnavailable = webGpuUnavailable;
  return runtime;
}

function compile(bytes: Uint8Array): Promise<WebAssembly.Module> {
  return WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
}

/** Why WebGPU will not be tried, in words; undefined when the browser has an adapter. */
async function whyNoWebGpu(wanted: boolean): Promise<string | undefined> {
  if (!wanted) return 'WebGPU was not requested';
  const gpu = (globalThis.navigator as { gpu?: { requestAdapter(): Promise<unknown> } } | undefined)?.gpu;
  if (gpu === undefined) return 'this browser has no WebGPU (navigator.gpu is undefined)';
  if ((await gpu.requestAdapter().catch(() => null)) === null) {
    return 'WebGPU is present but no GPU adapter is available';
  }
  return undefined;
}
