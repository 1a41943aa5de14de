/**
 * npm run seed:worker-r2 [-- --remote] [-- --dry-run] — puts the edge models (NETLENS_MODELS of the r2
 * environment, from NETLENS_MODELS_DIR) into the R2 bucket netlens-models with `wrangler r2 object put`:
 * the LOCAL simulation used by `npm run dev:worker -- --env r2` by default, your real bucket with
 * `--remote` (after `npx wrangler login`). `--dry-run` prints the commands without running them.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { messageOf } from '../../../src/core/errors.js';
import { parseManifest } from '../../../src/core/manifest.js';
import { modelFiles } from '../../../src/core/model-source.js';
import { WORKER_DIR, runWrangler, temporaryWranglerConfig } from './offline-env.js';
import { edgeBuildSettings } from './prepare-assets.js';

/** Seeds the files of `names` from `modelsDir` (default: the r2 environment's settings). */
export async function seedLocalR2(
  bucket = 'netlens-models',
  models: { names: readonly string[]; modelsDir: string } = edgeBuildSettings(process.env, 'r2'),
  options: { remote?: boolean; dryRun?: boolean; log?: (line: string) => void } = {},
): Promise<string[]> {
  const { dir: configDir, config } = temporaryWranglerConfig();
  const keys: string[] = [];
  try {
    for (const name of models.names) {
      const manifestPath = join(models.modelsDir, `${name}.json`);
      const manifest = parseManifest(JSON.parse(await readFile(manifestPath, 'utf8')), manifestPath);
      for (const file of modelFiles(manifest)) {
        const args = ['r2', 'object', 'put', `${bucket}/${file}`, '--file', join(models.modelsDir, file)];
        args.push(...(options.remote ? ['--remote'] : ['--local']), '-c', config, '--env', 'r2');
        if (!options.remote) args.push('--persist-to', join(WORKER_DIR, '../../.wrangler/state'));
        keys.push(file);
        if (options.dryRun) {
          // As one would type it from the repository root (the temporary config is gone by then).
          options.log?.(`npx wrangler ${args.join(' ').replace(config, 'functions/worker/wrangler.jsonc')}`);
          continue;
        }
        const result = await runWrangler(args);
        if (result.code !== 0) throw new Error(`wrangler r2 object put ${file} failed:\n${result.output}`);
      }
    }
  } finally {
    await rm(configDir, { recursive: true, force: true });
  }
  return keys;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const remote = process.argv.includes('--remote');
  const dryRun = process.argv.includes('--dry-run');
  try {
    const keys = await seedLocalR2('netlens-models', undefined, { remote, dryRun, log: console.log });
    const where = remote ? 'R2 bucket netlens-models' : 'local R2 bucket netlens-models';
    console.log(`${dryRun ? 'would put into' : 'seeded'} ${where}: ${keys.join(', ')}`);
  } catch (error) {
    console.error(`seed:worker-r2: ${messageOf(error)}`);
    process.exit(1);
  }
}
