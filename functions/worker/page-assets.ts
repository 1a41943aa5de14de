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
