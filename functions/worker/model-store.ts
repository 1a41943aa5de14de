import { NetlensError } from '../../src/core/errors.js';
import type { ModelSource } from '../../src/core/model-source.js';
import { createBlobModelSource, type ReadBlob } from '../../src/runtime/web/blob-model-source.js';
import { assertFitsIsolate } from '../../src/runtime/web/isolate-budget.js';
import type { WorkerEnv } from './bindings.js';

export const MODEL_STORES = ['assets', 'r2'] as const;
/** Static assets live under /models/ of the assets directory (functions/worker/dist/assets). */
const ASSETS_ORIGIN = 'https://assets.invalid/models/';

/** The ModelSource of the Worker: static assets or R2, refusing models too large for the isolate. */
export function workerModelSource(env: WorkerEnv, names: readonly string[], budgetBytes: number) {
  const store = env.NETLENS_MODEL_STORE ?? 'assets';
  let read: ReadBlob;
  let sizeOf: (path: string) => Promise<number | undefined>;
  let measuredOrt: (model: string) => Promise<number | undefined> = async () => undefined;
  let location: string;
  if (store === 'assets') {
    const assets = env.ASSETS;
    if (assets === undefined) throw missingBinding('ASSETS', 'assets');
    location = 'static assets /models/';
    read = async (path) => {
      const response = await assets.fetch(new URL(path, ASSETS_ORIGIN).href);
      return response.ok ? new Uint8Array(await response.arrayBuffer()) : undefined;
    };
    // build:worker writes models/sizes.json (static assets do not always send a Content-Length).
    let sizes: Promise<Record<string, number>> | undefined;
    sizeOf = async (path) => {
      sizes ??= read('sizes.json').then((bytes) =>
        bytes === undefined ? {} : (JSON.parse(new TextDecoder().decode(bytes)) as Record<string, number>),
      );
      return (await sizes)[path];
    };
    // build:worker writes models/ort-memory.json for models it measured (isolate-budget.ts).
    let ortMemory: Promise<Record<string, number>> | undefined;
    measuredOrt = async (model) => {
      ortMemory ??= read('ort-memory.json').then((bytes) =>
        bytes === undefined ? {} : (JSON.parse(new TextDecoder().decode(bytes)) as Record<string, number>),
      );
      return (await ortMemory)[model];
    };
  } else if (store === 'r2') {
    const bucket = env.MODELS;
    if (bucket === undefined) throw missingBinding('MODELS', 'r2');
    location = 'the R2 bucket bound as MODELS';
    read = async (path) => {
      const object = await bucket.get(path);
      return object === null ? undefined : new Uint8Array(await object.arrayBuffer());
    };
    sizeOf = async (path) => (await bucket.head(path))?.size;
  } else {
    throw new NetlensError(
      'invalid_argument',
      `NETLENS_MODEL_STORE must be one of ${MODEL_STORES.join(', ')}, got '${store}'`,
      { details: { valid: MODEL_STORES } },
    );
  }
  const source: ModelSource = createBlobModelSource({
    names,
    read,
    location,
    admit: async (model, file) => {
      const size = await sizeOf(file);
      if (size !== undefined) assertFitsIsolate(model, size, budgetBytes, await measuredOrt(model));
    },
  });
  return { source, location };
}

function missingBinding(binding: string, store: string): NetlensError {
  return new NetlensError(
    'invalid_argument',
    `NETLENS_MODEL_STORE is '${store}' but the Worker has no ${binding} binding; see functions/worker/wrangler.jsonc`,
  );
}
