import type { AppDeps, Router } from '../../src/app/env.js';
import { createRouter } from '../../src/app/env.js';
import { probeImage } from '../../src/runtime/web/conformance-probe.js';
import type { EdgeRuntime } from '../../src/runtime/web/edge-runtime.js';
import { ortWasmMemoryBytes } from '../../src/runtime/web/precompiled-wasm.js';
import type { WorkerEnv } from './bindings.js';

/**
 * Measurement routes for bench/edge.ts and the conformance test, mounted ONLY when the Worker runs with
 * NETLENS_EDGE_DEBUG=1 (never in production config):
 *   GET  /__edge/memory          onnxruntime-web's WASM memory (it only grows: current = peak)
 *   POST /__edge/probe/{model}   decoded-RGB hash, input hash and all probabilities for one image
 *   POST /__edge/r2-event        sends the body to the R2 event queue (wrangler dev does not emit R2
 *                                event notifications; the test sends what R2 would)
 */
export function debugRoutes(
  isolateStartedAt: number,
  runtime: Pick<EdgeRuntime, 'decodeImage' | 'kernels'>,
  env: WorkerEnv,
): (deps: AppDeps) => Router {
  return (deps) => {
    const router = createRouter();
    router.get('/__edge/memory', (c) =>
      c.json({
        ortWasmMemoryBytes: ortWasmMemoryBytes() ?? null,
        isolateAgeMs: Date.now() - isolateStartedAt,
      }),
    );
    router.post('/__edge/probe/:model', async (c) => {
      const model = await deps.registry.acquire(c.req.param('model'), 'model');
      try {
        const bytes = new Uint8Array(await c.req.arrayBuffer());
        return c.json(
          await probeImage(bytes, runtime.decodeImage, model.manifest, model.session, runtime.kernels),
        );
      } finally {
        model.release();
      }
    });
    router.post('/__edge/r2-event', async (c) => {
      if (!env.R2_EVENTS) return c.json({ error: 'no R2_EVENTS queue binding' }, 404);
      await env.R2_EVENTS.send(await c.req.json());
      return c.json({ sent: true }, 202);
    });
    return router;
  };
}
