/**
 * The demo page on Node: serves the built page (public/build, made by `npm run build:page`) to the app,
 * plus the WASM files its in-browser mode fetches from /static/wasm/, streamed from node_modules.
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import type { PageAssets } from '../../app/env.js';
import { BROWSER_WASM_FILES } from '../web/node-wasm-modules.js';

export const PAGE_OUT = resolve(import.meta.dirname, '../../../public/build');

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

export function pageAssets(dir = PAGE_OUT): PageAssets {
  const root = resolve(dir);
  const wasm = BROWSER_WASM_FILES as Record<string, string>;
  return {
    async get(path) {
      const file = resolve(root, path);
      if (!file.startsWith(root + sep)) return undefined;
      const contentType = TYPES[extname(file)] ?? 'application/octet-stream';
      const name = path.startsWith('wasm/') ? path.slice('wasm/'.length) : undefined;
      const wasmSource = name === undefined ? undefined : wasm[name];
      if (wasmSource !== undefined) {
        // Up to 28 MB each: streamed, never read whole.
        await stat(wasmSource);
        const body = Readable.toWeb(createReadStream(wasmSource)) as ReadableStream<Uint8Array>;
        return { body, contentType };
      }
      try {
        return { body: new Uint8Array(await readFile(file)), contentType };
      } catch {
        return undefined;
      }
    },
  };
}
