import type { Prediction } from '../../core/decode.js';
import type { EngineSession } from '../../core/engine.js';
import type { Manifest } from '../../core/manifest.js';
import type { ModelSource } from '../../core/model-source.js';
import { postprocess, preprocess, requireClasses, runRows } from '../../core/pipeline.js';
import type { BrowserRuntime } from './browser-runtime.js';
import { type ProbeResult, probeImage } from './conformance-probe.js';

export interface InBrowserResult {
  model: string;
  provider: string;
  fallbacks: readonly { provider: string; error: string }[];
  predictions: Prediction[];
  timings: { decodeMs: number; preprocessMs: number; inferenceMs: number; totalMs: number; loadMs?: number };
}

interface Loaded {
  manifest: Manifest;
  session: EngineSession;
  loadMs: number;
}

/**
 * Classifies in the page itself: the same core (decode → preprocess → engine → softmax/top-k) as the
 * server, with onnxruntime-web and the WASM codecs. Models are loaded once (one shared pending load).
 */
export class InBrowserClassifier {
  private readonly loads = new Map<string, Promise<Loaded>>();

  constructor(
    readonly runtime: BrowserRuntime,
    private readonly source: ModelSource,
  ) {}

  load(name: string): Promise<Loaded> {
    let pending = this.loads.get(name);
    if (pending === undefined) {
      pending = (async () => {
        const t0 = performance.now();
        const manifest = await this.source.manifest(name);
        requireClasses(manifest);
        const bytes = await this.source.modelBytes(manifest);
        const session = await this.runtime.engine.createSession(bytes, { providers: this.runtime.providers });
        return { manifest, session, loadMs: performance.now() - t0 };
      })();
      pending.catch(() => this.loads.delete(name));
      this.loads.set(name, pending);
    }
    return pending;
  }

  async classify(bytes: Uint8Array, name: string, top = 5): Promise<InBrowserResult> {
    const fresh = !this.loads.has(name);
    const { manifest, session, loadMs } = await this.load(name);
    const t0 = performance.now();
    const decoded = await this.runtime.decodeImage(bytes);
    const t1 = performance.now();
    const input = preprocess({ decoded, bytes }, manifest, this.runtime.kernels);
    const t2 = performance.now();
    const [row] = await runRows(session, [input], manifest.output.name);
    const predictions = postprocess(row!, manifest, Math.min(top, manifest.output.size));
    const t3 = performance.now();
    const timings: InBrowserResult['timings'] = {
      decodeMs: t1 - t0,
      preprocessMs: t2 - t1,
      inferenceMs: t3 - t2,
      totalMs: t3 - t0,
    };
    if (fresh) timings.loadMs = loadMs;
    return { model: name, provider: session.provider, fallbacks: session.fallbacks, predictions, timings };
  }

  /** The conformance probe (decoded-RGB hash, input hash, all probabilities) for one image. */
  async probe(bytes: Uint8Array, name: string): Promise<ProbeResult> {
    const { manifest, session } = await this.load(name);
    return probeImage(bytes, this.runtime.decodeImage, manifest, session, this.runtime.kernels);
  }
}
