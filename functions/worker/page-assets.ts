import type { PageAssets } from '../../src/app/env.js';
import type { WorkerEnv } from './bindings.js';

/**
 * The demo page (built by `npm run build:page`, copied by build:worker) and the WASM files of its
 * in-browser mode, from static assets /page/ — streamed, never read whole into the isolate.
 */
export function workerPageAssets(env: WorkerEnv): PageAssets | undefined {
  const assets = env.ASSETS;
  if (assets === undefined) return undefined;
  return {
    async get(path) {
      const response = await assets.fetch(new URL(path, 'https://assets.invalid/page/').href);
      if (!response.ok || response.body === null) return undefined;
      const contentType = path.endsWith('.mjs')
        ? 'text/javascript; charset=utf-8'
        : path.endsWith('.wasm') || /\.wasm\.part\d+$/.test(path)
          ? 'application/wasm'
          : (response.headers.get('content-type') ?? 'application/octet-stream');
      return { body: response.body as ReadableStream<Uint8Array>, contentType };
    },
  };
}
