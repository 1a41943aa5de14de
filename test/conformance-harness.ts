/**
 * Browser entry for the conformance test (bundled by esbuild for Chromium): exposes the in-browser
 * classifier's probe on `window.netlensHarness`. The same modules as the demo page's in-browser mode.
 */
import * as ort from 'onnxruntime-web';
import { createBrowserRuntime } from '../src/runtime/web/browser-runtime.js';
import { wasmFilesAt } from '../src/runtime/web/browser-wasm.js';
import { createHttpModelSource } from '../src/runtime/web/http-model-source.js';
import { InBrowserClassifier } from '../src/runtime/web/in-browser-classifier.js';

const preferWebGpu = new URL(location.href).searchParams.get('webgpu') === '1';

async function classifierPromise(): Promise<InBrowserClassifier> {
  const runtime = await createBrowserRuntime({ ort, wasmFiles: wasmFilesAt('/static/wasm/'), preferWebGpu });
  return new InBrowserClassifier(runtime, createHttpModelSource(location.origin + '/'));
}

const ready = classifierPromise();

Object.assign(window, {
  netlensHarness: {
    async probe(model: string, url: string) {
      const classifier = await ready;
      const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
      const result = await classifier.probe(bytes, model);
      return {
        ...result,
        threads: classifier.runtime.threads,
        webGpuUnavailable: classifier.runtime.webGpuUnavailable ?? null,
      };
    },
  },
});
