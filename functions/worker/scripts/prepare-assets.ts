/**
 * Fills a Worker environment's static-assets directory: the demo page (npm run build:page → public/build)
 * with its runtime files, and — for the static-assets model store only — the edge models. Refuses at
 * build time what Workers cannot serve: a model file over 25 MiB, or a model whose estimated isolate
 * memory exceeds the budget. The R2 environment's directory holds the page only: its models live in R2.
 *
 * The settings are the Worker's own (one module, src/settings): wrangler.jsonc's `vars` of the chosen
 * environment — what the deployed Worker reads — with NETLENS_MODELS, NETLENS_MODEL or
 * NETLENS_MEMORY_BUDGET_MIB from the shell on top; a shell value that differs from the config is passed
 * to wrangler as `--var`, so the Worker always serves exactly the models that were built.
 * Usage: tsx functions/worker/scripts/prepare-assets.ts [--env r2]
 */
import { cp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { PageAssetList } from '../../../src/app/env.js';
import { NetlensError, messageOf } from '../../../src/core/errors.js';
import { parseManifest } from '../../../src/core/manifest.js';
import { modelFiles } from '../../../src/core/model-source.js';
import { mib } from '../../../src/core/units.js';
import { modelsDirectory } from '../../../src/runtime/node/model-dir.js';
import { PAGE_OUT } from '../../../src/runtime/node/page-assets.js';
import type { BrowserWasmName } from '../../../src/runtime/web/browser-wasm.js';
import {
  WORKER_ASSET_FILE_LIMIT_BYTES,
  assertFitsIsolate,
  estimateIsolateBytes,
} from '../../../src/runtime/web/isolate-budget.js';
import { BROWSER_WASM_FILES } from '../../../src/runtime/web/node-wasm-modules.js';
import { readSettings } from '../../../src/settings/index.js';
import { assetsDirOf, environmentOf, readWranglerConfig } from './offline-env.js';

/** The assets directory of the top-level environment in wrangler.jsonc (static-assets model store). */
export const DEFAULT_ASSETS_DIR = assetsDirOf('');
/** Parts of files over the asset limit (see functions/worker/page-assets.ts, which joins them). */
const PART_BYTES = 16 * 1024 * 1024;

export interface PreparedModel {
  name: string;
  files: { file: string; bytes: number }[];
  estimatedIsolateBytes: number;
}

/** What a Worker environment is built from, and what wrangler must be told so it serves the same. */
export interface EdgeBuild {
  names: string[];
  modelsDir: string;
  budget: number;
  store: 'assets' | 'r2';
  /** Settings the shell gives differently from wrangler.jsonc, as `--var NAME:value` arguments. */
  varArgs: string[];
  /** Where the model list comes from, in words. */
  origin: string;
}

/** Variables the build reads that the Worker reads again at run time (old names in brackets). */
const SHARED_VARS: Record<string, string[]> = {
  NETLENS_MODELS: ['NETLENS_MODELS', 'NETLENS_EDGE_MODELS'],
  NETLENS_MODEL: ['NETLENS_MODEL', 'NETLENS_DEFAULT_MODEL'],
  NETLENS_MEMORY_BUDGET_MIB: ['NETLENS_MEMORY_BUDGET_MIB', 'NETLENS_MEMORY_BUDGET_MB'],
};

const normalise = (value: string) =>
  value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean)
    .join(',');

/**
 * The edge build's settings for a wrangler environment ('' or 'r2'): the config's vars with the shell's
 * values of SHARED_VARS on top, validated by the settings module exactly as the Worker will.
 */
export function edgeBuildSettings(
  shell: Readonly<Record<string, string | undefined>> = process.env,
  workerEnv = '',
): EdgeBuild {
  const config = readWranglerConfig();
  const { vars } = environmentOf(config, workerEnv);
  const merged: Record<string, string> = { ...vars };
  const varArgs: string[] = [];
  const fromShell: string[] = [];
  for (const [name, names] of Object.entries(SHARED_VARS)) {
    const value = names.map((n) => shell[n]?.trim()).find((v) => v !== undefined && v !== '');
    if (value === undefined || normalise(value) === normalise(vars[name] ?? '')) continue;
    merged[name] = value;
    varArgs.push('--var', `${name}:${normalise(value)}`);
    fromShell.push(`${name}=${value} (wrangler.jsonc: ${vars[name] ?? 'unset'})`);
  }
  const store = shell.NETLENS_MODEL_STORE?.trim();
  if (store && store !== vars.NETLENS_MODEL_STORE) {
    throw new NetlensError(
      'invalid_argument',
      `NETLENS_MODEL_STORE=${store} in the shell, but the wrangler environment '${workerEnv}' sets ${vars.NETLENS_MODEL_STORE}: choose the store with the environment (--env r2 for R2), not the variable`,
    );
  }
  const { settings } = readSettings(
    { ...merged, ...(shell.NETLENS_MODELS_DIR && { NETLENS_MODELS_DIR: shell.NETLENS_MODELS_DIR }) },
    { runtime: 'edge', cores: 1 },
  );
  const where = `wrangler.jsonc${workerEnv === '' ? '' : ` env '${workerEnv}'`} vars`;
  return {
    names: settings.models,
    modelsDir: modelsDirectory(settings.modelsDir),
    budget: settings.memoryBudgetMiB * 1024 * 1024,
    store: settings.modelStore,
    varArgs,
    origin:
      fromShell.length === 0
        ? `from ${where}`
        : `from the shell, passed to wrangler as --var: ${fromShell.join('; ')}`,
  };
}

export interface PrepareOptions {
  /** The page must be built (the npm scripts build it first); tests that only need the API say 'optional'. */
  page?: 'required' | 'optional';
  /** The page build to copy (default public/build; tests build their own). */
  pageDir?: string;
}

export async function prepareAssets(
  build: Pick<EdgeBuild, 'names' | 'modelsDir' | 'budget' | 'store'> = edgeBuildSettings(),
  /** Where to write; tests and the bench use their own directory (see local-worker.ts). */
  out = DEFAULT_ASSETS_DIR,
  options: PrepareOptions = {},
): Promise<PreparedModel[]> {
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  const prepared: PreparedModel[] = [];
  for (const name of build.names) prepared.push(await checkModel(name, build));
  if (build.store === 'assets') {
    await mkdir(join(out, 'models'), { recursive: true });
    for (const model of prepared) {
      for (const { file } of model.files) await cp(join(build.modelsDir, file), join(out, 'models', file));
    }
    // File sizes, so the Worker can refuse a model too large for its isolate before reading it.
    const sizes = Object.fromEntries(prepared.flatMap((m) => m.files.map((f) => [f.file, f.bytes])));
    await writeFile(join(out, 'models', 'sizes.json'), JSON.stringify(sizes));
  }
  await copyPage(options.pageDir ?? PAGE_OUT, join(out, 'page'), options.page ?? 'required');
  await writeFile(join(out, '.assetsignore'), '');
  return prepared;
}

/** A model's files, checked against the Workers limits before anything is copied. */
async function checkModel(
  name: string,
  build: Pick<EdgeBuild, 'modelsDir' | 'budget'>,
): Promise<PreparedModel> {
  const manifestPath = join(build.modelsDir, `${name}.json`);
  if (!existsSync(manifestPath)) {
    throw new NetlensError(
      'unknown_model',
      `edge model '${name}' is not built: ${manifestPath} is missing; run \`npm run models\` first`,
    );
  }
  const manifest = parseManifest(JSON.parse(await readFile(manifestPath, 'utf8')), manifestPath);
  const files: { file: string; bytes: number }[] = [];
  for (const file of modelFiles(manifest)) {
    const bytes = (await stat(join(build.modelsDir, file))).size;
    if (bytes > WORKER_ASSET_FILE_LIMIT_BYTES) {
      throw new NetlensError(
        'model_not_ready',
        `${file} is ${mib(bytes)}; Workers static assets allow ${mib(WORKER_ASSET_FILE_LIMIT_BYTES)} per file — host it in R2 (docs/edge.md) or quantize it`,
      );
    }
    files.push({ file, bytes });
  }
  const modelBytes = files.find((s) => s.file === manifest.file)!.bytes;
  assertFitsIsolate(name, modelBytes, build.budget);
  return { name, files, estimatedIsolateBytes: estimateIsolateBytes(modelBytes) };
}

/**
 * The built page and every file its assets.json lists (runtime files from node_modules; any over the
 * 25 MiB asset limit as `.partN` files, noted in the copied assets.json).
 */
async function copyPage(pageDir: string, out: string, need: 'required' | 'optional'): Promise<void> {
  const listPath = join(pageDir, 'assets.json');
  if (!existsSync(listPath)) {
    if (need === 'optional') return;
    throw new NetlensError(
      'not_found',
      `the demo page is not built (${listPath} is missing): run \`npm run build:page\``,
    );
  }
  const list = JSON.parse(await readFile(listPath, 'utf8')) as PageAssetList;
  await mkdir(join(out, 'wasm'), { recursive: true });
  await cp(join(pageDir, 'index.html'), join(out, 'index.html'));
  for (const [path, entry] of Object.entries(list.files)) {
    if (entry.runtimeFile === undefined) {
      await cp(join(pageDir, path), join(out, path));
      continue;
    }
    const bytes = await readFile(BROWSER_WASM_FILES[entry.runtimeFile as BrowserWasmName]);
    if (bytes.length !== entry.bytes) {
      throw new NetlensError(
        'not_found',
        `${entry.runtimeFile} changed since the page was built: run \`npm run build:page\``,
      );
    }
    if (bytes.length <= WORKER_ASSET_FILE_LIMIT_BYTES) {
      await writeFile(join(out, path), bytes);
      continue;
    }
    entry.parts = Math.ceil(bytes.length / PART_BYTES);
    for (let part = 0; part < entry.parts; part++) {
      await writeFile(
        join(out, `${path}.part${part}`),
        bytes.subarray(part * PART_BYTES, (part + 1) * PART_BYTES),
      );
    }
  }
  await writeFile(join(out, 'assets.json'), JSON.stringify(list));
}

/** `--env <name>` / `--env=<name>` / `-e <name>` from a script's arguments ('' when absent). */
export function envArgument(args: readonly string[]): { env: string; rest: string[] } {
  const rest: string[] = [];
  let env = '';
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--env' || arg === '-e') env = args[++i] ?? '';
    else if (arg.startsWith('--env=')) env = arg.slice('--env='.length);
    else rest.push(arg);
  }
  return { env, rest };
}

/** Prepares an environment's assets and prints what it holds. */
export async function prepareAndReportAssets(workerEnv = ''): Promise<EdgeBuild> {
  const build = edgeBuildSettings(process.env, workerEnv);
  const out = assetsDirOf(workerEnv);
  const models = await prepareAssets(build, out);
  console.log(`edge models ${build.names.join(', ')} (${build.origin}); model store: ${build.store}`);
  for (const model of models) {
    const files = model.files.map((f) => `${f.file} ${mib(f.bytes)}`).join(', ');
    const where =
      build.store === 'assets'
        ? 'static assets'
        : 'R2 (not uploaded as assets: npm run seed:worker-r2 / wrangler r2 object put)';
    console.log(
      `  ${model.name}: ${files} → ${where}; estimated isolate memory ${mib(model.estimatedIsolateBytes)}`,
    );
  }
  console.log(
    `assets directory ${out}: the demo page${build.store === 'assets' ? ' and the models' : ' only'}`,
  );
  return build;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    await prepareAndReportAssets(envArgument(process.argv.slice(2)).env);
  } catch (error) {
    console.error(`prepare-assets: ${messageOf(error)}`);
    process.exit(1);
  }
}
