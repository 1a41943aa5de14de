import type { ModelRegistry } from '../../src/app/registry.js';
import type { ImageDecoder } from '../../src/core/image-types.js';
import { probeImage } from '../../src/runtime/web/conformance-probe.js';
import { ortWasmMemoryBytes } from '../../src/runtime/web/precompiled-wasm.js';

/**
 * Measurement routes for bench/edge.ts and the conformance test, enabled ONLY when the Worker runs with
 * NETLENS_EDGE_DEBUG=1 (never in production config):
 *   GET  /__edge/memory          onnxruntime-web's WASM memory (it only grows: current = peak)
 *   POST /__edge/probe/<model>   decoded-RGB hash, input hash and all probabilities for one image
 */
export async function debugRoute(
  request: Request,
  registry: ModelRegistry,
  decodeImage: ImageDecoder,
  isolateStartedAt: number,
): Promise<Response | undefined> {
  const path = new URL(request.url).pathname;
  if (path === '/__edge/memory') {
    return Response.json({
      ortWasmMemoryBytes: ortWasmMemoryBytes() ?? null,
      isolateAgeMs: Date.now() - isolateStartedAt,
    });
  }
  const probe = /^\/__edge\/probe\/([^/]+)$/.exec(path);
  if (probe !== null && request.method === 'POST') {
    const model = await registry.acquire(decodeURIComponent(probe[1]!), 'model');
    try {
      const bytes = new Uint8Array(await request.arrayBuffer());
      return Response.json(await probeImage(bytes, decodeImage, model.manifest, model.session));
    } finally {
      model.release();
    }
  }
  return undefined;
}
