import { NetlensError } from '../../core/errors.js';
import type { AppDeps, PageAssets, Router } from '../env.js';
import { createRouter } from '../env.js';

const NOT_BUILT =
  '<!doctype html><title>netlens</title><p>netlens is running. The demo page is not built: run <code>npm run build:page</code>. API: <a href="/openapi.json">/openapi.json</a>.</p>';

type PageFile = NonNullable<Awaited<ReturnType<PageAssets['get']>>>;

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  map: 'application/json',
  json: 'application/json',
  wasm: 'application/wasm',
  svg: 'image/svg+xml',
  png: 'image/png',
};

function contentType(path: string): string {
  return TYPES[/\.(\w+)$/.exec(path)?.[1] ?? ''] ?? 'application/octet-stream';
}

/**
 * The demo page: GET / (revalidated every time) and GET /static/* (content-addressed names: cached for a
 * year, immutable) from the runtime's PageAssets, cross-origin isolated (COOP/COEP) when configured so
 * browsers allow the in-browser mode's WASM threads.
 */
export function pageRoutes(deps: Pick<AppDeps, 'assets' | 'config'>): Router {
  const router = createRouter();
  const isolation: Record<string, string> = deps.config.crossOriginIsolation
    ? {
        'cross-origin-opener-policy': 'same-origin',
        'cross-origin-embedder-policy': 'require-corp',
        'cross-origin-resource-policy': 'same-origin',
      }
    : {};
  const headers = (path: string, file: PageFile, cacheControl: string): Record<string, string> => ({
    'content-type': contentType(path),
    'cache-control': cacheControl,
    ...(file.size !== undefined && { 'content-length': String(file.size) }),
    ...isolation,
  });

  router.get('/', async (c) => {
    const page = await deps.assets?.get('index.html');
    if (!page) return c.html(NOT_BUILT);
    return c.body(page.body as string, 200, headers('index.html', page, 'no-cache'));
  });

  router.get('/static/*', async (c) => {
    const path = c.req.path.slice('/static/'.length);
    const listed = !path.includes('..') && path !== 'index.html';
    const file = listed ? await deps.assets?.get(path) : undefined;
    if (!file) {
      throw new NetlensError(
        'not_found',
        `no static file '${path}' (the page's files change name with each build)`,
      );
    }
    return c.body(file.body as string, 200, headers(path, file, 'public, max-age=31536000, immutable'));
  });
  return router;
}
