/**
 * The demo page's build: bundles functions/browser with esbuild into public/build — index.html, the page's
 * script and style under content-hashed names (the in-browser mode's heavy code in a chunk loaded on first
 * use), and assets.json, the list of every file the page may request at /static/ with its size. The
 * in-browser runtime files (BROWSER_WASM_FILES) are listed there under content-addressed names too
 * (`wasm/<name>-<sha256 prefix>.<ext>`), but not copied: Node streams them from node_modules
 * (src/runtime/node/page-assets.ts), build:worker copies them into the Worker's static assets. Every
 * /static/ URL therefore changes when its bytes do, and is served with immutable caching.
 *
 * `npm run build:page` runs it; `--if-stale` skips the build when the output is newer than every source
 * file and the runtime files have the sizes it recorded (what `npm start` and `build:worker` use).
 */
import { createHash } from 'node:crypto';
import type { Plugin } from 'esbuild';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import type { PageAssetList } from '../../src/app/env.js';
import { PAGE_OUT } from '../../src/runtime/node/page-assets.js';
import {
  BROWSER_WASM_NAMES,
  type BrowserWasmFiles,
  type BrowserWasmName,
} from '../../src/runtime/web/browser-wasm.js';
import { BROWSER_WASM_FILES } from '../../src/runtime/web/node-wasm-modules.js';

const ROOT = resolve(import.meta.dirname, '../..');
export const PAGE_SOURCE = import.meta.dirname;
/** Sources outside this folder that the bundle includes (the in-browser mode's runtime). */
const BUNDLED_SOURCES = [PAGE_SOURCE, join(ROOT, 'src/runtime/web'), join(ROOT, 'src/core')];

/** zod's 63 error-message locales are never used (English comes on its own): an empty module instead. */
const withoutZodLocales: Plugin = {
  name: 'without-zod-locales',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]/.test(args.importer) ? { path: ZOD_LOCALES_STUB } : undefined,
    );
  },
};
const ZOD_LOCALES_STUB = join(ROOT, 'functions/zod-locales-unused.ts');

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The runtime files under content-addressed names: `wasm/ort-wasm-simd-threaded.jsep-<16 hex>.wasm`. */
async function runtimeFiles(): Promise<{ list: PageAssetList['files']; urls: BrowserWasmFiles }> {
  const list: PageAssetList['files'] = {};
  const urls = {} as BrowserWasmFiles;
  for (const name of BROWSER_WASM_NAMES) {
    const path = BROWSER_WASM_FILES[name];
    const [sha256, { size }] = await Promise.all([sha256File(path), stat(path)]);
    const ext = extname(name);
    const served = `wasm/${basename(name, ext)}-${sha256.slice(0, 16)}${ext}`;
    list[served] = { bytes: size, sha256, runtimeFile: name };
    urls[name] = { url: `/static/${served}`, bytes: size };
  }
  return { list, urls };
}

export async function buildPage(outdir = PAGE_OUT, options: { minify?: boolean } = {}): Promise<string[]> {
  const { build } = await import('esbuild');
  // Build beside the output, then rename file by file: a server reading the page never sees half a file.
  const staging = `${outdir}.staging-${process.pid}-${Date.now()}`;
  await mkdir(staging, { recursive: true });
  try {
    const result = await build({
      entryPoints: [
        { in: join(PAGE_SOURCE, 'main.ts'), out: 'page' },
        { in: join(PAGE_SOURCE, 'style.css'), out: 'page' },
      ],
      outdir: staging,
      entryNames: '[name]-[hash]',
      chunkNames: 'chunk-[hash]',
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      minify: options.minify ?? true,
      sourcemap: 'linked',
      metafile: true,
      logLevel: 'warning',
      // onnxruntime-web and the codecs reference Node modules behind runtime checks; never bundle them.
      external: ['node:*', 'fs', 'path', 'url', 'module', 'worker_threads', 'crypto'],
      plugins: [withoutZodLocales],
    });
    const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
    const entry = (ext: string) => outputs.find((f) => f.startsWith('page-') && f.endsWith(ext))!;
    const runtime = await runtimeFiles();
    const files: PageAssetList['files'] = {};
    for (const file of outputs) files[file] = { bytes: (await stat(join(staging, file))).size };
    const list: PageAssetList = { files: { ...files, ...runtime.list } };
    const html = (await readFile(join(PAGE_SOURCE, 'index.html'), 'utf8'))
      .replace('%PAGE_JS%', `/static/${entry('.js')}`)
      .replace('%PAGE_CSS%', `/static/${entry('.css')}`)
      // The runtime files' URLs and sizes, for the in-browser mode and its download progress.
      .replace('%RUNTIME_FILES%', JSON.stringify(runtime.urls).replaceAll('<', '\\u003c'));
    await writeFile(join(staging, 'index.html'), html);
    await writeFile(join(staging, 'assets.json'), `${JSON.stringify(list, null, 1)}\n`);
    await mkdir(outdir, { recursive: true });
    const written = (await readdir(staging)).sort();
    for (const file of written) await rename(join(staging, file), join(outdir, file));
    // Files of earlier builds (other hashes) are no longer listed: remove them.
    for (const file of await readdir(outdir)) {
      if (!written.includes(file)) await rm(join(outdir, file), { recursive: true, force: true });
    }
    return written;
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

/** True when the built page is older than one of its sources, a runtime file changed size, or it is missing. */
export async function pageIsStale(outdir = PAGE_OUT): Promise<boolean> {
  const marker = join(outdir, 'assets.json');
  if (!existsSync(marker)) return true;
  const built = (await stat(marker)).mtimeMs;
  const sources = await Promise.all(BUNDLED_SOURCES.map(newestSource));
  if (sources.some((t) => t > built)) return true;
  // npm gives installed files a fixed old mtime: an upgraded onnxruntime-web shows in the sizes.
  const list = JSON.parse(await readFile(marker, 'utf8')) as PageAssetList;
  for (const file of Object.values(list.files)) {
    if (file.runtimeFile === undefined) continue;
    const path = BROWSER_WASM_FILES[file.runtimeFile as BrowserWasmName] as string | undefined;
    if (path === undefined || (await stat(path)).size !== file.bytes) return true;
  }
  return false;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv.includes('--if-stale') && !(await pageIsStale())) {
    console.error(`demo page in ${PAGE_OUT} is up to date`);
  } else {
    const files = await buildPage(PAGE_OUT, { minify: !process.argv.includes('--dev') });
    console.error(`demo page built in ${PAGE_OUT}: ${files.join(', ')}`);
  }
}
