import { NetlensError } from '../../core/errors.js';
import type { AppDeps, Router } from '../env.js';
import { createRouter } from '../env.js';

const NOT_BUILT =
  '<!doctype html><title>netlens</title><p>netlens is running. The demo page is not built: run <code>npm run build:page</code>. API: <a href="/openapi.json">/openapi.json</a>.</p>';

/**
 * The demo page: GET / and GET /static/* from the runtime's PageAssets, cross-origin isolated (COOP/COEP)
 * when configured so browsers allow the in-browser mode's WASM threads.
 */
export function pageRoutes(deps: Pick<AppDeps, 'assets' | 'config'>): Router {
  const router = createRouter();
  const headers: Record<string, string> = deps.config.crossOriginIsolation
    ? {
        'cross-origin-opener-policy': 'same-origin',
        'cross-origin-embedder-policy': 'require-corp',
        'cross-origin-resource-policy': 'same-origin',
      }
    : {};

  router.get('/', async (c) => {
    const page = await deps.assets?.get('index.html');
    if (!page) return c.html(NOT_BUILT);
    return c.body(page.body as string, 200, {
      'content-type': page.contentType,
      'cache-control': 'no-cache',
      ...headers,
    });
  });

  router.get('/static/*', async (c) => {
    const path = c.req.path.slice('/static/'.length);
    const file = path.includes('..') ? undefined : await deps.assets?.get(path);
    if (!file) throw new NetlensError('not_found', `no static file '${path}'`);
    return c.body(file.body as string, 200, {
      'content-type': file.contentType,
      'cache-control': 'no-cache',
      ...headers,
    });
  });
  return router;
}
