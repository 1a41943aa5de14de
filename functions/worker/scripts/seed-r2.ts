/**
 * npm run seed:worker-r2 — puts the edge models (NETLENS_MODELS of the r2 environment) into the LOCAL R2
 * simulation (wrangler r2 object put --local) used by `npm run dev:worker -- --env r2`. For a real
 * bucket, run the same commands with --remote instead of --local and your credentials (docs/edge.md).
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { parseManifest } from '../../../src/core/manifest.js';
import { modelFiles } from '../../../src/core/model-source.js';
import { WORKER_DIR, runWrangler, temporaryWranglerConfig } from './offline-env.js';
import { edgeBuildSettings } from './prepare-assets.js';

/** Seeds the files of `names` from `modelsDir` (default: the r2 environment's settings). */
export async function seedLocalR2(
  bucket = 'netlens-models',
  models: { names: readonly string[]; modelsDir: string } = edgeBuildSettings(process.env, 'r2'),
): Promise<string[]> {
  const { dir: configDir, config } = temporaryWranglerConfig();
  const keys: string[] = [];
  try {
    for (const name of models.names) {
      const manifestPath = join(models.modelsDir, `${name}.json`);
      const manifest = parseManifest(JSON.parse(await readFile(manifestPath, 'utf8')), manifestPath);
      for (const file of modelFiles(manifest)) {
        const args = [
          'r2',
          'object',
          'put',
          `${bucket}/${file}`,
          '--file',
          join(models.modelsDir, file),
          '--local',
        ];
        args.push('-c', config, '--env', 'r2', '--persist-to', join(WORKER_DIR, '../../.wrangler/state'));
        const result = await runWrangler(args);
        if (result.code !== 0) throw new Error(`wrangler r2 object put ${file} failed:\n${result.output}`);
        keys.push(file);
      }
    }
  } finally {
    await rm(configDir, { recursive: true, force: true });
  }
  return keys;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const keys = await seedLocalR2();
  console.log(`seeded local R2 bucket netlens-models: ${keys.join(', ')}`);
}
