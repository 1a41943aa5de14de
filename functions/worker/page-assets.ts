import type { PageAssets } from '../../src/app/app.js';
import type { WorkerEnv } from './bindings.js';

/** The demo page (built by `npm run build:page`, copied by build:worker) from static assets /page/. */
export function workerPageAssets(env: WorkerEnv): PageAssets | undefined {
  const assets = env.ASSETS;
  if (assets === undefined) return undefined;
  return {
    async get(path) {
      const response = await assets.fetch(new URL(path, 'https://assets.invalid/page/').href);
      if (!response.ok) return undefined;
      return {
        body: new Uint8Array(await response.arrayBuffer()),
        contentType: response.headers.get('content-type') ?? 'application/octet-stream',
      };
    },
  };
}

const WASM_PATH = /^\/static\/wasm\/([A-Za-z0-9_.-]+)$/;

/**
 * GET/HEAD /static/wasm/<file>: the page's WASM files streamed straight from static assets (the app's
 * /static handler buffers whole bodies, and these are up to 16 MiB each — too much for the isolate).
 * Undefined when the path is not one of them, so the app answers (404 problem+json).
 */
export async function serveWasmAsset(request: Request, env: WorkerEnv): Promise<Response | undefined> {
  const match = WASM_PATH.exec(new URL(request.url).pathname);
  if (match === null || env.ASSETS === undefined || (request.method !== 'GET' && request.method !== 'HEAD')) {
    return undefined;
  }
  const name = match[1]!;
  const stored = await env.ASSETS.fetch(new URL(`wasm/${name}`, 'https://assets.invalid/page/').href, {
    method: request.method,
  });
  if (!stored.ok) return undefined;
  return new Response(request.method === 'HEAD' ? null : stored.body, {
    headers: {
      'content-type': name.endsWith('.mjs') ? 'text/javascript; charset=utf-8' : 'application/wasm',
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-embedder-policy': 'require-corp',
      'cross-origin-resource-policy': 'same-origin',
      'cache-control': 'public, max-age=3600',
    },
  });
}
