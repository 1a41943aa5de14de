import { NetlensError } from '../errors.js';

/**
 * An instance of resample.wasm (netlens' image kernels, built by scripts/build-wasm.sh) whose exports
 * include `names`: a module built from older sources fails here, by name, not at its first call.
 */
export function instantiateKernels<T>(module: WebAssembly.Module, names: readonly (keyof T & string)[]): T {
  const exports = new WebAssembly.Instance(module, {}).exports;
  for (const name of names) {
    if (!(name in exports)) {
      throw new NetlensError(
        'internal',
        `resample.wasm does not export '${name}': rebuild it (scripts/build-wasm.sh)`,
      );
    }
  }
  return exports as unknown as T;
}
