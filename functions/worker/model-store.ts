import { NetlensError } from '../../src/core/errors.js';
import type { ModelSource, Sha256Stream } from '../../src/core/model-source.js';
import type { Settings } from '../../src/settings/index.js';
import { type BlobStore, createBlobModelSource } from '../../src/runtime/web/blob-model-source.js';
import { assertFitsIsolate } from '../../src/runtime/web/isolate-budget.js';
import type { AssetsBinding, R2BucketLike, WorkerEnv } from './bindings.js';

/** Static assets live under /models/ of the assets directory (functions/worker/dist/assets). */
const ASSETS_ORIGIN = 'https://assets.invalid/models/';

/**
 * The ModelSource of the Worker: NETLENS_MODELS from static assets or R2 (NETLENS_MODEL_STORE), refusing
 * models whose estimated isolate memory exceeds NETLENS_MEMORY_BUDGET_MIB before reading them.
 */
export function workerModelSource(
  env: WorkerEnv,
  settings: Pick<Settings, 'models' | 'modelStore' | 'memoryBudgetMiB'>,
) {
  const budgetBytes = settings.memoryBudgetMiB * 1024 * 1024;
  let store: BlobStore;
  let location: string;
  if (settings.modelStore === 'assets') {
    if (env.ASSETS === undefined) throw missingBinding('ASSETS', 'assets');
    location = 'static assets /models/';
    store = assetsStore(env.ASSETS);
  } else {
    if (env.MODELS === undefined) throw missingBinding('MODELS', 'r2');
    location = 'the R2 bucket bound as MODELS';
    store = r2Store(env.MODELS);
  }
  const source: ModelSource = createBlobModelSource({
    ...store,
    names: settings.models,
    location,
    admit: async (model, file) => {
      const size = await store.size(file);
      if (size !== undefined) assertFitsIsolate(model, size, budgetBytes);
    },
  });
  return { source, location };
}

function assetsStore(assets: AssetsBinding): BlobStore {
  const get = (path: string) => assets.fetch(new URL(path, ASSETS_ORIGIN).href);
  const read = async (path: string) => {
    const response = await get(path);
    return response.ok ? new Uint8Array(await response.arrayBuffer()) : undefined;
  };
  // build:worker writes models/sizes.json (static assets do not always send a Content-Length).
  let sizes: Promise<Record<string, number>> | undefined;
  const size = async (path: string) => {
    sizes ??= read('sizes.json').then((bytes) =>
      bytes === undefined ? {} : (JSON.parse(new TextDecoder().decode(bytes)) as Record<string, number>),
    );
    return (await sizes)[path];
  };
  return {
    read,
    size,
    async open(path) {
      const response = await get(path);
      if (!response.ok || response.body === null) return undefined;
      return { body: response.body as ReadableStream<Uint8Array>, size: await size(path) };
    },
    sha256: workerSha256,
  };
}

function r2Store(bucket: R2BucketLike): BlobStore {
  return {
    async read(path) {
      const object = await bucket.get(path);
      return object === null ? undefined : new Uint8Array(await object.arrayBuffer());
    },
    size: async (path) => (await bucket.head(path))?.size,
    async open(path) {
      const object = await bucket.get(path);
      return object === null ? undefined : { body: object.body, size: object.size };
    },
    sha256: workerSha256,
  };
}

/** Workers' native incremental digest (crypto.DigestStream, a Workers extension of Web Crypto). */
interface DigestStream extends WritableStream<Uint8Array> {
  readonly digest: Promise<ArrayBuffer>;
}

function workerSha256(): Sha256Stream {
  const Digest = (crypto as unknown as { DigestStream: new (algorithm: string) => DigestStream })
    .DigestStream;
  const stream = new Digest('SHA-256');
  const writer = stream.getWriter();
  return {
    // A copy: the chunk itself travels on to the response. A failed write also fails close() below.
    update: (chunk) => void writer.write(chunk.slice()).catch(() => undefined),
    async digest() {
      await writer.close();
      const bytes = new Uint8Array(await stream.digest);
      return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
    },
  };
}

function missingBinding(binding: string, store: string): NetlensError {
  return new NetlensError(
    'invalid_argument',
    `NETLENS_MODEL_STORE is '${store}' but the Worker has no ${binding} binding; see functions/worker/wrangler.jsonc`,
  );
}
