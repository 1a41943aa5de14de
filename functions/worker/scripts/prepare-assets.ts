/**
 * Copies the edge models (and the built demo page, when present) into functions/worker/dist/assets,
 * refusing at build time what Workers cannot serve: a file over 25 MiB, or a model whose estimated
 * isolate memory exceeds the budget. Usage: tsx functions/worker/scripts/prepare-assets.ts
 * Settings (docs/settings.md): NETLENS_MODELS (the same list the Worker serves), NETLENS_MODELS_DIR,
 * NETLENS_MEMORY_BUDGET_MIB.
 */
import { cp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NetlensError, messageOf } from '../../../src/core/errors.js';
import { parseManifest } from '../../../src/core/manifest.js';
import { modelFiles } from '../../../src/core/model-source.js';
import { modelsDirectory } from '../../../src/runtime/node/model-dir.js';
import { readSettings } from '../../../src/settings/index.js';
import {
  WORKER_ASSET_FILE_LIMIT_BYTES,
  assertFitsIsolate,
  estimateIsolateBytes,
} from '../../../src/runtime/web/isolate-budget.js';
import { mib } from '../../../src/core/units.js';
import { BROWSER_WASM_FILES } from '../../../src/runtime/web/node-wasm-modules.js';
import { WORKER_DIR } from './offline-env.js';

const ROOT = join(WORKER_DIR, '../..');
/** The assets directory named in wrangler.jsonc. */
export const DEFAULT_ASSETS_DIR = join(WORKER_DIR, 'dist/assets');
/** Parts of WASM files over the asset limit (see browser-runtime.ts, which reassembles them). */
const WASM_PART_BYTES = 16 * 1024 * 1024;

export interface PreparedModel {
  name: string;
  files: { file: string; bytes: number }[];
  estimatedIsolateBytes: number;
}

/** The edge build's settings: the Worker's own (runtime 'edge'), read from this process's environment. */
export function edgeBuildSettings(env: Readonly<Record<string, unknown>> = process.env) {
  const { settings } = readSettings(env, { runtime: 'edge', cores: 1 });
  return {
    names: settings.models,
    modelsDir: modelsDirectory(settings.modelsDir),
    budget: settings.memoryBudgetMiB * 1024 * 1024,
  };
}

export async function prepareAssets(
  { names, modelsDir, budget } = edgeBuildSettings(),
  /** Where to write; tests and the bench use their own directory (see local-worker.ts). */
  out = DEFAULT_ASSETS_DIR,
): Promise<PreparedModel[]> {
  await rm(out, { recursive: true, force: true });
  await mkdir(join(out, 'models'), { recursive: true });
  const prepared: PreparedModel[] = [];
  for (const name of names) {
    const manifestPath = join(modelsDir, `${name}.json`);
    if (!existsSync(manifestPath)) {
      throw new NetlensError(
        'unknown_model',
        `edge model '${name}' is not built: ${manifestPath} is missing; run \`npm run models\` first`,
      );
    }
    const manifest = parseManifest(JSON.parse(await readFile(manifestPath, 'utf8')), manifestPath);
    const files = modelFiles(manifest);
    const sizes: { file: string; bytes: number }[] = [];
    for (const file of files) {
      const bytes = (await stat(join(modelsDir, file))).size;
      if (bytes > WORKER_ASSET_FILE_LIMIT_BYTES) {
        throw new NetlensError(
          'model_not_ready',
          `${file} is ${mib(bytes)}; Workers static assets allow ${mib(WORKER_ASSET_FILE_LIMIT_BYTES)} per file — host it in R2 (docs/edge.md) or quantize it`,
        );
      }
      sizes.push({ file, bytes });
    }
    const modelBytes = sizes.find((s) => s.file === manifest.file)!.bytes;
    assertFitsIsolate(name, modelBytes, budget);
    for (const file of files) await cp(join(modelsDir, file), join(out, 'models', file));
    prepared.push({ name, files: sizes, estimatedIsolateBytes: estimateIsolateBytes(modelBytes) });
  }
  // File sizes, so the Worker can refuse a model too large for its isolate before reading it.
  const sizes = Object.fromEntries(prepared.flatMap((m) => m.files.map((f) => [f.file, f.bytes])));
  await writeFile(join(out, 'models', 'sizes.json'), JSON.stringify(sizes));
  // The demo page (npm run build:page → public/build) plus the WASM files its in-browser mode fetches.
  // ORT's JSEP build (28 MB) is over the 25 MiB asset limit: it is stored in parts the page reassembles.
  const page = join(ROOT, 'public/build');
  if (existsSync(page)) {
    await cp(page, join(out, 'page'), { recursive: true });
    await mkdir(join(out, 'page/wasm'), { recursive: true });
    for (const [name, path] of Object.entries(BROWSER_WASM_FILES)) {
      const bytes = await readFile(path);
      if (bytes.length <= WORKER_ASSET_FILE_LIMIT_BYTES) {
        await writeFile(join(out, 'page/wasm', name), bytes);
        continue;
      }
      for (let part = 0; part * WASM_PART_BYTES < bytes.length; part++) {
        const chunk = bytes.subarray(part * WASM_PART_BYTES, (part + 1) * WASM_PART_BYTES);
        await writeFile(join(out, 'page/wasm', `${name}.part${part}`), chunk);
      }
    }
  }
  await writeFile(join(out, '.assetsignore'), '');
  return prepared;
}

/** Prepares the assets and prints each edge model's files and isolate-memory estimate. */
export async function prepareAndReportAssets(): Promise<void> {
  for (const model of await prepareAssets()) {
    const files = model.files.map((f) => `${f.file} ${mib(f.bytes)}`).join(', ');
    console.log(
      `edge model ${model.name}: ${files}; estimated isolate memory ${mib(model.estimatedIsolateBytes)}`,
    );
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    await prepareAndReportAssets();
  } catch (error) {
    console.error(`build:worker: ${messageOf(error)}`);
    process.exit(1);
  }
}
