/**
 * The demo page's build: bundles functions/browser with esbuild into public/build (index.html, page.js,
 * page.css). `npm run build:page` runs it; `--if-stale` skips the build when the output is newer than
 * every source file (what `npm start` uses). Node serves the output with src/runtime/node/page-assets.ts,
 * the Worker from its static assets.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PAGE_OUT } from '../../src/runtime/node/page-assets.js';

const ROOT = resolve(import.meta.dirname, '../..');
export const PAGE_SOURCE = import.meta.dirname;
/** Sources outside this folder that the bundle includes (the in-browser mode's runtime). */
const BUNDLED_SOURCES = [PAGE_SOURCE, join(ROOT, 'src/runtime/web'), join(ROOT, 'src/core')];

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

/** True when the built page is older than one of its sources (or missing). */
export async function pageIsStale(outdir = PAGE_OUT): Promise<boolean> {
  const marker = join(outdir, 'page.js');
  if (!existsSync(marker)) return true;
  const built = (await stat(marker)).mtimeMs;
  const sources = await Promise.all(BUNDLED_SOURCES.map(newestSource));
  return sources.some((t) => t > built);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv.includes('--if-stale') && !(await pageIsStale())) {
    console.error(`demo page in ${PAGE_OUT} is up to date`);
  } else {
    const files = await buildPage(PAGE_OUT, { minify: !process.argv.includes('--dev') });
    console.error(`demo page built in ${PAGE_OUT}: ${files.join(', ')}`);
  }
}
