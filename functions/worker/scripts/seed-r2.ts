/**
 * npm run seed:worker-r2 — puts the edge models into the LOCAL R2 simulation (wrangler r2 object put
 * --local) used by `npm run dev:worker -- --env r2`. For a real bucket, run the same commands with
 * --remote and your credentials (docs/edge.md).
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { WORKER_DIR, runWrangler, temporaryWranglerConfig } from './offline-env.js';
import { DEFAULT_ASSETS_DIR, prepareAssets } from './prepare-assets.js';

/** Seeds from an assets directory already prepared, or prepares the default one. */
export async function seedLocalR2(bucket = 'netlens-models', assetsDir?: string): Promise<string[]> {
  if (assetsDir === undefined) await prepareAssets();
  const dir = join(assetsDir ?? DEFAULT_ASSETS_DIR, 'models');
  const { dir: configDir, config } = temporaryWranglerConfig(assetsDir ?? DEFAULT_ASSETS_DIR);
  const keys: string[] = [];
  for (const file of await readdir(dir)) {
    const args = ['r2', 'object', 'put', `${bucket}/${file}`, '--file', join(dir, file), '--local'];
    args.push('-c', config, '--env', 'r2', '--persist-to', join(WORKER_DIR, '../../.wrangler/state'));
    const result = await runWrangler(args);
    if (result.code !== 0) throw new Error(`wrangler r2 object put ${file} failed:\n${result.output}`);
    keys.push(file);
  }
  await rm(configDir, { recursive: true, force: true });
  return keys;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const keys = await seedLocalR2();
  console.log(`seeded local R2 bucket netlens-models: ${keys.join(', ')}`);
}
