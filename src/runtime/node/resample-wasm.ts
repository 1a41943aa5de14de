/**
 * The WebAssembly resize kernels (src/core/image/wasm/resample.c, built by scripts/build-wasm.sh) for the
 * Node runtime kit and its prepare pool. Kept apart from web/node-wasm-modules.ts, which resolves the
 * edge and browser runtimes' WASM files from node_modules at import: a Node server needs none of those
 * (the Lambda zip does not even ship onnxruntime-web), and functions/lambda/build.ts replaces this module
 * with one that reads the kernel beside the bundle.
 */
import { readFile } from 'node:fs/promises';

export const RESAMPLE_WASM_URL = new URL('../../core/image/wasm/resample.wasm', import.meta.url);

export async function compileResampleWasm(): Promise<WebAssembly.Module> {
  return WebAssembly.compile(await readFile(RESAMPLE_WASM_URL));
}
