import type { PageAssetList, PageAssets } from '../../src/app/env.js';
import type { AssetsBinding, WorkerEnv } from './bindings.js';

/**
 * The demo page (built by `npm run build:page`, copied by build:worker to static assets /page/ with its
 * assets.json) and the runtime files of its in-browser mode — streamed, never read whole into the
 * isolate. A file over the 25 MiB asset limit is stored as `.partN` files and streamed here as one.
 */
export function workerPageAssets(env: WorkerEnv): PageAssets | undefined {
  const assets = env.ASSETS;
  if (assets === undefined) return undefined;
  const fetchAsset = (path: string) => assets.fetch(new URL(path, 'https://assets.invalid/page/').href);
  let list: Promise<PageAssetList | undefined> | undefined;
  const listed = async (path: string) => {
    list ??= fetchAsset('assets.json').then((r) => (r.ok ? (r.json() as Promise<PageAssetList>) : undefined));
    return (await list)?.files[path];
  };
  return {
    async get(path) {
      if (path === 'index.html') {
        const response = await fetchAsset(path);
        return response.ok && response.body !== null ? { body: response.body } : undefined;
      }
      const entry = await listed(path);
      if (entry === undefined) return undefined;
      if (entry.parts !== undefined)
        return { body: joinedParts(assets, path, entry.parts), size: entry.bytes };
      const response = await fetchAsset(path);
      if (!response.ok || response.body === null) return undefined;
      return { body: response.body as ReadableStream<Uint8Array>, size: entry.bytes };
    },
  };
}

/** `<path>.part0`, `.part1`, … piped one after the other into one stream. */
function joinedParts(assets: AssetsBinding, path: string, parts: number): ReadableStream<Uint8Array> {
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  void (async () => {
    for (let part = 0; part < parts; part++) {
      const response = await assets.fetch(
        new URL(`${path}.part${part}`, 'https://assets.invalid/page/').href,
      );
      if (!response.ok || response.body === null)
        throw new Error(`static asset ${path}.part${part} is missing`);
      await (response.body as ReadableStream<Uint8Array>).pipeTo(writable, { preventClose: true });
    }
    await writable.close();
  })().catch((error: unknown) => writable.abort(error).catch(() => undefined));
  return readable;
}
