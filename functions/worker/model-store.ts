import { NetlensError } from '../../src/core/errors.js';
import type { ModelSource } from '../../src/core/model-source.js';
import type { Settings } from '../../src/settings/index.js';
import { createBlobModelSource, type ReadBlob } from '../../src/runtime/web/blob-model-source.js';
import { assertFitsIsolate } from '../../src/runtime/web/isolate-budget.js';
import type { WorkerEnv } from './bindings.js';

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
  const store = settings.modelStore;
  const budgetBytes = settings.memoryBudgetMiB * 1024 * 1024;
  let read: ReadBlob;
  let sizeOf: (path: string) => Promise<number | undefined>;
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
  } else {
    const bucket = env.MODELS;
    if (bucket === undefined) throw missingBinding('MODELS', 'r2');
    location = 'the R2 bucket bound as MODELS';
    read = async (path) => {
      const object = await bucket.get(path);
      return object === null ? undefined : new Uint8Array(await object.arrayBuffer());
    };
    sizeOf = async (path) => (await bucket.head(path))?.size;
  }
  const source: ModelSource = createBlobModelSource({
    names: settings.models,
    read,
    location,
    admit: async (model, file) => {
      const size = await sizeOf(file);
      if (size !== undefined) assertFitsIsolate(model, size, budgetBytes);
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
