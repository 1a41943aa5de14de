/**
 * The demo page on Node: serves the built page (public/build, made by `npm run build:page`) to the app —
 * index.html and every file its assets.json lists, streamed. The in-browser mode's runtime files are
 * listed there under content-addressed names and streamed from node_modules.
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import type { PageAssetList, PageAssets } from '../../app/env.js';
import type { BrowserWasmName } from '../web/browser-wasm.js';
import { BROWSER_WASM_FILES } from '../web/node-wasm-modules.js';

export const PAGE_OUT = resolve(import.meta.dirname, '../../../public/build');

export function pageAssets(dir = PAGE_OUT): PageAssets {
  const root = resolve(dir);
  let cached: { mtimeMs: number; list: PageAssetList } | undefined;
  const assetList = async (): Promise<PageAssetList | undefined> => {
    const path = join(root, 'assets.json');
    const mtimeMs = await stat(path).then(
      (s) => s.mtimeMs,
      () => undefined,
    );
    if (mtimeMs === undefined) return undefined;
    if (cached?.mtimeMs !== mtimeMs) {
      cached = { mtimeMs, list: JSON.parse(await readFile(path, 'utf8')) as PageAssetList };
    }
    return cached.list;
  };
  const streamed = async (file: string, expected?: number) => {
    const size = await stat(file).then(
      (s) => s.size,
      () => undefined,
    );
    // A runtime file whose size changed since the build (npm upgrade) is not the one its URL names.
    if (size === undefined || (expected !== undefined && size !== expected)) return undefined;
    return { body: Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>, size };
  };
  return {
    async get(path) {
      if (path === 'index.html') return streamed(join(root, path));
      const entry = (await assetList())?.files[path];
      if (entry === undefined) return undefined;
      if (entry.runtimeFile === undefined) return streamed(join(root, path), entry.bytes);
      const file = BROWSER_WASM_FILES[entry.runtimeFile as BrowserWasmName] as string | undefined;
      return file === undefined ? undefined : streamed(file, entry.bytes);
    },
  };
}
