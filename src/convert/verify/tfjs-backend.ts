import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';

let ready: Promise<string> | undefined;

/**
 * Selects TF.js' WASM backend (XNNPACK, several times faster than 'cpu' here), loading its .wasm from
 * the installed package; falls back to 'cpu' and says so in the returned name.
 */
export async function tfjsBackend(): Promise<string> {
  ready ??= (async () => {
    try {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      const require = createRequire(import.meta.url);
      const dist = `${path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'))}/dist/`;
      wasm.setWasmPaths(dist);
      if (await tf.setBackend('wasm')) return 'wasm';
    } catch {
      // reported through the returned backend name
    }
    await tf.setBackend('cpu');
    return 'cpu (wasm backend unavailable)';
  })();
  return ready;
}
