/**
 * npm run seed:worker-r2 — puts the edge models into the LOCAL R2 simulation (wrangler r2 object put
 * --local) used by `npm run dev:worker -- --env r2`. For a real bucket, run the same commands with
 * --remote and your credentials (docs/edge.md).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { WORKER_DIR, WRANGLER_CONFIG, runWrangler } from './offline-env.js';
import { prepareAssets } from './prepare-assets.js';

export async function seedLocalR2(bucket = 'netlens-models'): Promise<string[]> {
  await prepareAssets();
  const dir = join(WORKER_DIR, 'dist/assets/models');
  const keys: string[] = [];
  for (const file of await readdir(dir)) {
    const args = ['r2', 'object', 'put', `${bucket}/${file}`, '--file', join(dir, file), '--local'];
    args.push(
      '-c',
      WRANGLER_CONFIG,
      '--env',
      'r2',
      '--persist-to',
      join(WORKER_DIR, '../../.wrangler/state'),
    );
    const result = await runWrangler(args);
    if (result.code !== 0) throw new Error(`wrangler r2 object put ${file} failed:\n${result.output}`);
    keys.push(file);
  }
  return keys;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const keys = await seedLocalR2();
  console.log(`seeded local R2 bucket netlens-models: ${keys.join(', ')}`);
}
