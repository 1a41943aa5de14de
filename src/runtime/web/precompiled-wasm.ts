import type { OrtWebModule } from './ort-types.js';

/**
 * Hands onnxruntime-web a WebAssembly.Module that the host compiled (Cloudflare Workers forbid compiling
 * WASM from bytes at run time; wrangler compiles `.wasm` imports ahead of time).
 *
 * onnxruntime-web 1.30 only accepts bytes (`env.wasm.wasmBinary`) and ends in exactly one
 * `WebAssembly.instantiate(copyOfThoseBytes, imports)`. So we give it a small marker buffer and wrap
 * `WebAssembly.instantiate`: a call whose bytes equal the marker instantiates the precompiled module.
 * Threads and the proxy worker are off (Workers have neither). Pinned to onnxruntime-web 1.30.0;
 * src/runtime/web/precompiled-wasm.test.ts fails if an upgrade changes this code path.
 */
export const PRECOMPILED_MARKER = new TextEncoder().encode('\0asm netlens:precompiled-ort-wasm');

let installed: WebAssembly.Module | undefined;
let instantiations = 0;
let memory: WebAssembly.Memory | undefined;

export function usePrecompiledOrtWasm(ort: OrtWebModule, module: WebAssembly.Module): void {
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.wasm.wasmBinary = PRECOMPILED_MARKER.slice().buffer;
  if (installed !== undefined) {
    installed = module;
    return;
  }
  installed = module;
  const original = WebAssembly.instantiate.bind(WebAssembly);
  const wrapped = async (
    source: BufferSource | WebAssembly.Module,
    imports?: WebAssembly.Imports,
  ): Promise<WebAssembly.WebAssemblyInstantiatedSource | WebAssembly.Instance> => {
    if (installed !== undefined && isMarker(source)) {
      instantiations++;
      const instance = await original(installed, imports);
      memory = findMemory(imports, instance);
      return { instance, module: installed };
    }
    return original(source as BufferSource, imports);
  };
  WebAssembly.instantiate = wrapped as typeof WebAssembly.instantiate;
}

/** How many times onnxruntime-web instantiated the precompiled module (tests assert it is used). */
export function precompiledInstantiations(): number {
  return instantiations;
}

/**
 * Current size of onnxruntime-web's WASM memory in bytes (WASM memory only grows, so this is also its
 * peak). Undefined before the runtime is instantiated. Used to measure isolate memory in workerd.
 */
export function ortWasmMemoryBytes(): number | undefined {
  return memory?.buffer.byteLength;
}

function findMemory(imports: WebAssembly.Imports | undefined, instance: WebAssembly.Instance) {
  const candidates: unknown[] = [...Object.values(instance.exports)];
  for (const namespace of Object.values(imports ?? {})) {
    candidates.push(...Object.values(namespace));
  }
  return candidates.find((value): value is WebAssembly.Memory => value instanceof WebAssembly.Memory);
}

function isMarker(source: unknown): boolean {
  let bytes: Uint8Array;
  if (source instanceof ArrayBuffer) {
    bytes = new Uint8Array(source);
  } else if (ArrayBuffer.isView(source)) {
    bytes = new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  } else {
    return false;
  }
  if (bytes.byteLength !== PRECOMPILED_MARKER.byteLength) {
    return false;
  }
  return bytes.every((b, i) => b === PRECOMPILED_MARKER[i]);
}
