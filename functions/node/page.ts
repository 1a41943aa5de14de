/**
 * The demo page on Node: `buildPage()` bundles src/app/page with esbuild into public/build (index.html,
 * page.js, page.css); `pageAssets()` serves that folder to the app (GET / and /static/*), plus the WASM
 * files the in-browser mode fetches from /static/wasm/ straight from node_modules. `npm run build:page`
 * runs the build; the server builds on start when the output is missing or older than the sources.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import type { PageAssets } from '../../src/app/app.js';
import { messageOf } from '../../src/core/errors.js';
import { BROWSER_WASM_FILES } from '../../src/runtime/web/node-wasm-modules.js';

const ROOT = resolve(import.meta.dirname, '../..');
export const PAGE_SOURCE = join(ROOT, 'src/app/page');
export const PAGE_OUT = join(ROOT, 'public/build');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

export async function buildPage(outdir = PAGE_OUT, options: { minify?: boolean } = {}): Promise<string[]> {
  const { build } = await import('esbuild');
  // Build beside the output, then rename file by file: a server reading the page never sees half a file.
  const staging = `${outdir}.staging-${process.pid}-${Date.now()}`;
  await mkdir(staging, { recursive: true });
  try {
    await build({
      entryPoints: { page: join(PAGE_SOURCE, 'main.ts') },
      outdir: staging,
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      minify: options.minify ?? true,
      sourcemap: 'linked',
      logLevel: 'warning',
      // onnxruntime-web and the codecs reference Node modules behind runtime checks; never bundle them.
      external: ['node:*', 'fs', 'path', 'url', 'module', 'worker_threads', 'crypto'],
    });
    await copyFile(join(PAGE_SOURCE, 'index.html'), join(staging, 'index.html'));
    await copyFile(join(PAGE_SOURCE, 'style.css'), join(staging, 'page.css'));
    await mkdir(outdir, { recursive: true });
    const files = (await readdir(staging)).sort();
    for (const file of files) await rename(join(staging, file), join(outdir, file));
    return files;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function newestSource(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? await newestSource(path) : (await stat(path)).mtimeMs);
  }
  return newest;
}

/** Builds the page unless public/build is newer than every source file. Returns why it did or not. */
export async function ensurePage(outdir = PAGE_OUT): Promise<'built' | 'fresh' | `unavailable: ${string}`> {
  const marker = join(outdir, 'page.js');
  if (existsSync(marker) && (await stat(marker)).mtimeMs >= (await newestSource(PAGE_SOURCE))) return 'fresh';
  try {
    await buildPage(outdir);
    return 'built';
  } catch (error) {
    // esbuild is a dev dependency: a production install serves whatever was built before.
    return `unavailable: ${messageOf(error)}`;
  }
}

export function pageAssets(dir = PAGE_OUT): PageAssets {
  const root = resolve(dir);
  const wasm = BROWSER_WASM_FILES as Record<string, string>;
  return {
    async get(path) {
      const file = resolve(root, path);
      if (!file.startsWith(root + sep)) return undefined;
      const contentType = TYPES[extname(file)] ?? 'application/octet-stream';
      try {
        return { body: new Uint8Array(await readFile(file)), contentType };
      } catch {
        const name = path.startsWith('wasm/') ? path.slice('wasm/'.length) : undefined;
        const source = name === undefined ? undefined : wasm[name];
        return source ? { body: new Uint8Array(await readFile(source)), contentType } : undefined;
      }
    },
  };
}
