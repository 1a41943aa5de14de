/**
 * Node only (tests, bench, the conformance harness): compiles the WASM files that a Worker gets
 * precompiled from wrangler. Never imported by the Worker or browser bundles.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { BrowserWasmName } from './browser-wasm.js';
import type { CodecModules } from './decode-image.js';

const require = createRequire(import.meta.url);

/** Absolute paths of the WASM files the edge runtime needs (resolved from node_modules). */
export const EDGE_WASM_FILES = {
  ort: require.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'),
  jpeg: require.resolve('@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm'),
  png: require.resolve('@jsquash/png/codec/pkg/squoosh_png_bg.wasm'),
  webp: require.resolve('@jsquash/webp/codec/dec/webp_dec.wasm'),
  resample: fileURLToPath(new URL('../../core/image/wasm/resample.wasm', import.meta.url)),
} as const;

async function compile(path: string): Promise<WebAssembly.Module> {
  return WebAssembly.compile(await readFile(path));
}

export async function compileCodecModules(): Promise<CodecModules> {
  const [jpeg, png, webp] = await Promise.all([
    compile(EDGE_WASM_FILES.jpeg),
    compile(EDGE_WASM_FILES.png),
    compile(EDGE_WASM_FILES.webp),
  ]);
  return { jpeg, png, webp };
}

export function compileOrtWasm(): Promise<WebAssembly.Module> {
  return compile(EDGE_WASM_FILES.ort);
}

/** The resize kernels in WebAssembly (core/image/wasm-resample.ts): Pillow's convolution in SIMD, TF.js' align-corners. */
export function compileResampleWasm(): Promise<WebAssembly.Module> {
  return compile(EDGE_WASM_FILES.resample);
}

/** Absolute paths of the files the browser's in-browser mode fetches (browser-wasm.ts names them). */
export const BROWSER_WASM_FILES: Record<BrowserWasmName, string> = {
  'ort-wasm-simd-threaded.jsep.wasm': require.resolve('onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm'),
  'ort-wasm-simd-threaded.jsep.mjs': require.resolve('onnxruntime-web/ort-wasm-simd-threaded.jsep.mjs'),
  'mozjpeg_dec.wasm': EDGE_WASM_FILES.jpeg,
  'squoosh_png_bg.wasm': EDGE_WASM_FILES.png,
  'webp_dec.wasm': EDGE_WASM_FILES.webp,
  'resample.wasm': EDGE_WASM_FILES.resample,
};
