/**
 * The "in this browser" mode: the model and manifest come from this server (content-addressed, cached by
 * the browser), the image never leaves the page. onnxruntime-web runs WebGPU when the browser has an
 * adapter, WASM otherwise — the result says which one really ran and why. Heavy code (onnxruntime-web,
 * the WASM codecs) is a separate chunk, loaded on first use; its downloads show on the progress bar.
 */
import type { BrowserWasmFiles } from '../../src/runtime/web/browser-wasm.js';
import type { InBrowserClassifier } from '../../src/runtime/web/in-browser-classifier.js';
import { type ModelSummary, apiFetch } from './api.js';
import type { DownloadProgress } from './progress.js';
import type { Shown } from './render.js';

export interface InBrowserMode {
  classify(file: Blob, model: ModelSummary): Promise<Shown>;
}

export function createInBrowserMode(
  progress: DownloadProgress,
  runtimeFiles: BrowserWasmFiles,
): InBrowserMode {
  let classifier: Promise<InBrowserClassifier> | undefined;
  const loaded = new Set<string>();
  const what = 'the in-browser runtime and model';

  const start = (): Promise<InBrowserClassifier> =>
    (classifier ??= (async () => {
      const [ort, { createBrowserRuntime }, { createHttpModelSource }, { InBrowserClassifier: Classifier }] =
        await Promise.all([
          import('onnxruntime-web'),
          import('../../src/runtime/web/browser-runtime.js'),
          import('../../src/runtime/web/http-model-source.js'),
          import('../../src/runtime/web/in-browser-classifier.js'),
        ]);
      const runtime = await createBrowserRuntime({
        ort,
        wasmFiles: runtimeFiles,
        download: progress.download(what),
      });
      const source = createHttpModelSource(new URL('/', location.href).href, {
        fetchFn: apiFetch,
        download: progress.download(what, apiFetch),
      });
      return new Classifier(runtime, source);
    })().catch((error: unknown) => {
      classifier = undefined;
      throw error;
    }));

  return {
    async classify(file, model) {
      // Everything this run will download, so the bar's total is right from the first byte.
      const pending = [];
      if (classifier === undefined) {
        for (const f of Object.values(runtimeFiles)) {
          if (f.url.endsWith('.wasm'))
            pending.push({ url: new URL(f.url, location.href).href, bytes: f.bytes });
        }
      }
      const modelUrl = model.files.model.url;
      if (!loaded.has(model.name) && modelUrl !== undefined) {
        pending.push({ url: new URL(modelUrl, location.href).href, bytes: model.files.model.bytes });
      }
      progress.expect(pending);
      const c = await start();
      const result = await c.classify(new Uint8Array(await file.arrayBuffer()), model.name);
      loaded.add(model.name);
      progress.finish();
      const threads = c.runtime.threads;
      const ran =
        result.provider === 'webgpu' ? 'WebGPU' : `WASM (${threads} thread${threads > 1 ? 's' : ''})`;
      const failed = result.fallbacks.map((f) => `${f.provider} failed: ${f.error}`).join('; ');
      const why = c.runtime.webGpuUnavailable ?? (failed || undefined);
      const t = result.timings;
      return {
        predictions: result.predictions,
        engine: `In this browser: onnxruntime-web on ${ran}${result.provider === 'webgpu' ? ' (GPU adapter found)' : ''}`,
        provider: result.provider,
        ...(result.provider !== 'webgpu' && why !== undefined && { note: `Not WebGPU: ${why}.` }),
        timings: [
          ['decode', t.decodeMs],
          ['preprocess', t.preprocessMs],
          ['inference', t.inferenceMs],
          ['total', t.totalMs],
        ],
        ...(t.loadMs !== undefined && {
          timingNote: `first use: fetching and loading the model took ${t.loadMs.toFixed(0)} ms`,
        }),
      };
    },
  };
}
