/**
 * The files the browser's in-browser mode fetches besides the page bundle: onnxruntime-web's JSEP build
 * (WebGPU and WASM in one binary) with its emscripten glue module, the three image codecs and the resize kernels. The page
 * build gives each a content-addressed URL (functions/browser/build.ts); Node resolves them from
 * node_modules and the source tree (BROWSER_WASM_FILES in node-wasm-modules.ts).
 */
export const BROWSER_WASM_NAMES = [
  'ort-wasm-simd-threaded.jsep.wasm',
  // The emscripten glue as its own module: WASM threads start Web Workers from this URL (not the page bundle).
  'ort-wasm-simd-threaded.jsep.mjs',
  'mozjpeg_dec.wasm',
  'squoosh_png_bg.wasm',
  'webp_dec.wasm',
  // The resize kernels (src/core/image/wasm/resample.c): the same bytes as on the server, faster.
  'resample.wasm',
] as const;

export type BrowserWasmName = (typeof BROWSER_WASM_NAMES)[number];

/** Where each file is served and how large it is (for the download progress). */
export type BrowserWasmFiles = Record<BrowserWasmName, { url: string; bytes?: number }>;

/** Every file under one base URL by its plain name (tests' static servers). */
export function wasmFilesAt(base: string): BrowserWasmFiles {
  return Object.fromEntries(
    BROWSER_WASM_NAMES.map((name) => [name, { url: `${base}${name}` }]),
  ) as BrowserWasmFiles;
}
