/**
 * npm run seed:worker-r2 [-- --remote] [-- --dry-run] — puts the edge models (NETLENS_MODELS of the r2
 * environment, from NETLENS_MODELS_DIR) into the R2 bucket netlens-models with `wrangler r2 object put`:
 * the LOCAL simulation used by `npm run dev:worker -- --env r2` by default, your real bucket with
 * `--remote` (after `npx wrangler login`). `--dry-run` prints the commands without running them.
 *
 * With the models it puts `ort-memory.json`: each model's onnxruntime-web WASM memory, measured here as
 * build:worker measures it (measure-ort-memory.ts), which the Worker's isolate-budget check reads from
 * the bucket (functions/worker/model-store.ts) instead of the size-based estimate. A model that does not
 * fit the budget is refused before anything is put.
 */
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { messageOf } from '../../../src/core/errors.js';
import { parseManifest, type Manifest } from '../../../src/core/manifest.js';
import { modelFiles } from '../../../src/core/model-source.js';
import { assertFitsIsolate } from '../../../src/runtime/web/isolate-budget.js';
import { measureOrtWasmMemory } from '../../../src/runtime/web/measure-ort-memory.js';
import { WORKER_DIR, runWrangler, temporaryWranglerConfig } from './offline-env.js';
import { edgeBuildSettings } from './prepare-assets.js';

export const ORT_MEMORY_KEY = 'ort-memory.json';

export interface SeedModels {
  names: readonly string[];
  modelsDir: string;
  /** The isolate memory budget in bytes (default: the r2 environment's NETLENS_MEMORY_BUDGET_MIB). */
  budget?: number;
}

export interface SeedOptions {
  remote?: boolean;
  dryRun?: boolean;
  log?: (line: string) => void;
}

export interface Seeded {
  /** The object keys put (or, with dryRun, that would be). */
  keys: string[];
  /** The content of ort-memory.json: measured ORT WASM bytes by model name. */
  ortMemory: Record<string, number>;
}

/** Seeds the files of `models.names` from `models.modelsDir`, and their measured ORT memory. */
export async function seedLocalR2(
  bucket = 'netlens-models',
  models: SeedModels = edgeBuildSettings(process.env, 'r2'),
  options: SeedOptions = {},
): Promise<Seeded> {
  const budget = models.budget ?? edgeBuildSettings(process.env, 'r2').budget;
  const manifests: Manifest[] = [];
  const ortMemory: Record<string, number> = {};
  for (const name of models.names) {
    const manifestPath = join(models.modelsDir, `${name}.json`);
    const manifest = parseManifest(JSON.parse(await readFile(manifestPath, 'utf8')), manifestPath);
    const modelPath = join(models.modelsDir, manifest.file);
    const measured = await measureOrtWasmMemory(modelPath, manifest.input);
    assertFitsIsolate(name, (await stat(modelPath)).size, budget, measured);
    ortMemory[name] = measured;
    manifests.push(manifest);
  }
  const { dir: configDir, config } = temporaryWranglerConfig();
  const keys: string[] = [];
  const put = async (key: string, file: string): Promise<void> => {
    const args = ['r2', 'object', 'put', `${bucket}/${key}`, '--file', file];
    args.push(...(options.remote ? ['--remote'] : ['--local']), '-c', config, '--env', 'r2');
    if (!options.remote) args.push('--persist-to', join(WORKER_DIR, '../../.wrangler/state'));
    keys.push(key);
    if (options.dryRun) {
      // As one would type it from the repository root (the temporary config is gone by then).
      options.log?.(`npx wrangler ${args.join(' ').replace(config, 'functions/worker/wrangler.jsonc')}`);
      return;
    }
    const result = await runWrangler(args);
    if (result.code !== 0) throw new Error(`wrangler r2 object put ${key} failed:\n${result.output}`);
  };
  try {
    for (const manifest of manifests) {
      for (const file of modelFiles(manifest)) await put(file, join(models.modelsDir, file));
    }
    const memoryFile = join(configDir, ORT_MEMORY_KEY);
    await writeFile(memoryFile, JSON.stringify(ortMemory));
    if (options.dryRun) options.log?.(`# ${ORT_MEMORY_KEY}: ${JSON.stringify(ortMemory)}`);
    await put(ORT_MEMORY_KEY, memoryFile);
  } finally {
    await rm(configDir, { recursive: true, force: true });
  }
  return { keys, ortMemory };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const remote = process.argv.includes('--remote');
  const dryRun = process.argv.includes('--dry-run');
  try {
    const { keys } = await seedLocalR2('netlens-models', undefined, { remote, dryRun, log: console.log });
    const where = remote ? 'R2 bucket netlens-models' : 'local R2 bucket netlens-models';
    console.log(`${dryRun ? 'would put into' : 'seeded'} ${where}: ${keys.join(', ')}`);
  } catch (error) {
    console.error(`seed:worker-r2: ${messageOf(error)}`);
    process.exit(1);
  }
}
