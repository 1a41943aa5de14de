import type { Engine } from '../../core/engine.js';
import { wasmResample } from '../../core/image/wasm-resample.js';
import type { ImageDecoder } from '../../core/image-types.js';
import type { PreprocessKernels } from '../../core/pipeline.js';
import { createWasmImageDecoder } from './decode-image.js';
import { type WebProvider, createWebEngine } from './engine.js';
import type { OrtWebModule } from './ort-types.js';

export interface BrowserRuntimeOptions {
  /** The default onnxruntime-web build (WebGPU via JSEP, and WASM). */
  ort: OrtWebModule;
  /** Where the WASM files are served (BROWSER_WASM_FILES names), e.g. '/static/wasm/'. */
  wasmBase: string;
  /** Try WebGPU first (default true); WASM is always the fallback. */
  preferWebGpu?: boolean;
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
  const { ort, wasmBase } = options;
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  const cores = (globalThis.navigator as Navigator | undefined)?.hardwareConcurrency ?? 1;
  const threads = isolated ? Math.max(1, Math.min(4, cores)) : 1;
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.proxy = false;
  // The glue module is loaded from its own URL so that WASM threads start their Web Workers from it, not
  // from the page's bundle (which touches the DOM and cannot run in a worker).
  const base = new URL(wasmBase, location.href);
  const ortWasm = new URL('ort-wasm-simd-threaded.jsep.wasm', base);
  ort.env.wasm.wasmPaths = { wasm: ortWasm.href, mjs: new URL('ort-wasm-simd-threaded.jsep.mjs', base).href };
  // Hosts with a per-file limit (Workers static assets: 25 MiB) store the 28 MB file as .part0, .part1, …
  if (!(await fetch(ortWasm, { method: 'HEAD' })).ok) {
    ort.env.wasm.wasmBinary = await fetchParts(ortWasm);
  }

  let webGpuUnavailable: string | undefined;
  if (options.preferWebGpu === false) {
    webGpuUnavailable = 'WebGPU was not requested';
  } else {
    const gpu = (globalThis.navigator as { gpu?: { requestAdapter(): Promise<unknown> } } | undefined)?.gpu;
    if (gpu === undefined) {
      webGpuUnavailable = 'this browser has no WebGPU (navigator.gpu is undefined)';
    } else if ((await gpu.requestAdapter().catch(() => null)) === null) {
      webGpuUnavailable = 'WebGPU is present but no GPU adapter is available';
    }
  }
  const providers: WebProvider[] = webGpuUnavailable === undefined ? ['webgpu', 'wasm'] : ['wasm'];

  const compile = async (name: string): Promise<WebAssembly.Module> => {
    const response = await fetch(new URL(name, new URL(wasmBase, location.href)));
    if (!response.ok) throw new Error(`GET ${wasmBase}${name} failed with ${response.status}`);
    return WebAssembly.compile(await response.arrayBuffer());
  };
  const [jpeg, png, webp, resample] = await Promise.all([
    compile('mozjpeg_dec.wasm'),
    compile('squoosh_png_bg.wasm'),
    compile('webp_dec.wasm'),
    compile('resample.wasm'),
  ]);
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

async function fetchParts(url: URL): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for (;;) {
    const response = await fetch(`${url.href}.part${parts.length}`);
    if (!response.ok) break;
    parts.push(new Uint8Array(await response.arrayBuffer()));
  }
  if (parts.length === 0) throw new Error(`${url.href} is not served (neither whole nor in .partN pieces)`);
  const whole = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    whole.set(part, offset);
    offset += part.length;
  }
  return whole;
}
