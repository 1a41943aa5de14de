/**
 * The demo page's "classify in this browser" mode: the model and manifest come from this server, the
 * image never leaves the browser. onnxruntime-web runs WebGPU when the browser has an adapter, WASM
 * otherwise — the page says which one really ran, why WebGPU was not used, and how long each step took.
 * Heavy code (onnxruntime-web, the WASM codecs) is loaded on first use.
 */
import type { InBrowserClassifier, InBrowserResult } from '../../src/runtime/web/in-browser-classifier.js';

/** Where the page's WASM files are served (see BROWSER_WASM_FILES in src/runtime/web/node-wasm-modules.ts). */
const DEFAULT_WASM_BASE = '/static/wasm/';

export function mountInBrowserMode(root: HTMLElement): void {
  const doc = root.ownerDocument;
  const el = <K extends keyof HTMLElementTagNameMap>(tag: K, text?: string): HTMLElementTagNameMap[K] => {
    const node = doc.createElement(tag);
    if (text !== undefined) node.textContent = text;
    return node;
  };

  const heading = el('h2', 'Classify in this browser');
  const intro = el(
    'p',
    'Runs the same model here with onnxruntime-web (WebGPU when available, otherwise WASM); the image is not uploaded.',
  );
  const webgpu = el('input');
  webgpu.type = 'checkbox';
  webgpu.checked = true;
  webgpu.id = 'in-browser-webgpu';
  const webgpuLabel = el('label', ' try WebGPU');
  webgpuLabel.htmlFor = webgpu.id;
  const file = el('input');
  file.type = 'file';
  file.accept = 'image/jpeg,image/png,image/webp';
  file.id = 'in-browser-file';
  file.setAttribute('aria-label', 'image to classify in this browser');
  const engine = el('p');
  engine.id = 'in-browser-engine';
  const note = el('p');
  note.id = 'in-browser-note';
  note.className = 'note';
  note.hidden = true;
  const status = el('p');
  status.id = 'in-browser-status';
  const list = el('ol');
  list.id = 'in-browser-predictions';
  const timing = el('p');
  timing.id = 'in-browser-timing';
  root.append(heading, intro, webgpu, webgpuLabel, el('br'), file, engine, note, status, list, timing);

  let classifier: Promise<InBrowserClassifier> | undefined;
  const wasmBase = root.dataset.wasmBase ?? DEFAULT_WASM_BASE;

  const start = (): Promise<InBrowserClassifier> =>
    (classifier ??= (async () => {
      const [ort, { createBrowserRuntime }, { createHttpModelSource }, { InBrowserClassifier: Classifier }] =
        await Promise.all([
          import('onnxruntime-web'),
          import('../../src/runtime/web/browser-runtime.js'),
          import('../../src/runtime/web/http-model-source.js'),
          import('../../src/runtime/web/in-browser-classifier.js'),
        ]);
      const runtime = await createBrowserRuntime({ ort, wasmBase, preferWebGpu: webgpu.checked });
      webgpu.disabled = true;
      if (runtime.webGpuUnavailable !== undefined) {
        note.hidden = false;
        note.textContent = `Using WASM: ${runtime.webGpuUnavailable}.`;
      }
      return new Classifier(runtime, createHttpModelSource(new URL('/', location.href).href));
    })());

  const modelName = async (): Promise<string> => {
    const select = doc.getElementById('model') as HTMLSelectElement | null;
    if (select?.value) return select.value;
    const list = (await (await fetch('/v1/models')).json()) as { default: string };
    return list.default;
  };

  const show = (result: InBrowserResult, threads: number): void => {
    const ran = result.provider === 'webgpu' ? 'WebGPU' : `WASM (${threads} thread${threads > 1 ? 's' : ''})`;
    engine.textContent = `Engine: onnxruntime-web on ${ran}`;
    engine.dataset.provider = result.provider;
    if (result.fallbacks.length > 0) {
      note.hidden = false;
      note.textContent = `Using ${ran}: ${result.fallbacks.map((f) => `${f.provider} failed (${f.error})`).join('; ')}`;
    }
    list.replaceChildren(
      ...result.predictions.map((p) => {
        const item = el('li', `${p.label}: ${(p.score * 100).toFixed(2)}%`);
        item.dataset.score = String(p.score);
        item.dataset.label = p.label;
        return item;
      }),
    );
    const t = result.timings;
    const load = t.loadMs === undefined ? '' : `model load ${t.loadMs.toFixed(0)} ms; `;
    timing.textContent = `${load}decode ${t.decodeMs.toFixed(1)} ms, preprocess ${t.preprocessMs.toFixed(1)} ms, inference ${t.inferenceMs.toFixed(1)} ms, total ${t.totalMs.toFixed(1)} ms`;
  };

  file.addEventListener('change', () => {
    const picked = file.files?.[0];
    if (!picked) return;
    status.textContent = 'Classifying in this browser…';
    void (async () => {
      try {
        const c = await start();
        const name = await modelName();
        const result = await c.classify(new Uint8Array(await picked.arrayBuffer()), name);
        status.textContent = `${picked.name} with ${result.model}`;
        show(result, c.runtime.threads);
      } catch (error) {
        status.textContent = `In-browser classification failed: ${error instanceof Error ? error.message : String(error)}`;
      }
    })();
  });
}
