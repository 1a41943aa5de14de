/**
 * Copies the edge models (and the built demo page, when present) into functions/worker/dist/assets,
 * refusing at build time what Workers cannot serve: a file over 25 MiB, or a model whose estimated
 * isolate memory exceeds the budget. Usage: tsx functions/worker/scripts/prepare-assets.ts
 * Env: NETLENS_EDGE_MODELS (comma list, default nsfw-mobilenet-v2), NETLENS_MODELS_DIR (models/onnx),
 *      NETLENS_MEMORY_BUDGET_MIB (100).
 */
import { cp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NetlensError, messageOf } from '../../../src/core/errors.js';
import { parseManifest } from '../../../src/core/manifest.js';
import {
  EDGE_MEMORY_BUDGET_BYTES,
  WORKER_ASSET_FILE_LIMIT_BYTES,
  assertFitsIsolate,
  estimateIsolateBytes,
  mib,
} from '../../../src/runtime/web/isolate-budget.js';
import { measureOrtWasmMemory } from '../../../src/runtime/web/measure-ort-memory.js';
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
  /** onnxruntime-web's WASM memory, measured when the size-based estimate was over budget. */
  measuredOrtBytes?: number;
}

export async function prepareAssets(
  names: readonly string[] = (process.env.NETLENS_EDGE_MODELS ?? 'nsfw-mobilenet-v2').split(','),
  modelsDir = process.env.NETLENS_MODELS_DIR ?? join(ROOT, 'models/onnx'),
  budget = process.env.NETLENS_MEMORY_BUDGET_MIB
    ? Number(process.env.NETLENS_MEMORY_BUDGET_MIB) * 1024 * 1024
    : EDGE_MEMORY_BUDGET_BYTES,
  /** Where to write; tests and the bench use their own directory (see local-worker.ts). */
  out = DEFAULT_ASSETS_DIR,
): Promise<PreparedModel[]> {
  await rm(out, { recursive: true, force: true });
  await mkdir(join(out, 'models'), { recursive: true });
  const prepared: PreparedModel[] = [];
  for (const name of names.map((n) => n.trim()).filter(Boolean)) {
    const manifestPath = join(modelsDir, `${name}.json`);
    if (!existsSync(manifestPath)) {
      throw new NetlensError(
        'unknown_model',
        `edge model '${name}' is not built: ${manifestPath} is missing; run \`npm run models\` first`,
      );
    }
    const manifest = parseManifest(JSON.parse(await readFile(manifestPath, 'utf8')), manifestPath);
    const files = [`${name}.json`, manifest.file, ...(manifest.features ? [manifest.features.file] : [])];
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
    // The size-based estimate is conservative; when it is over budget, measure the real figure.
    const measuredOrtBytes =
      estimateIsolateBytes(modelBytes) > budget
        ? await measureOrtWasmMemory(join(modelsDir, manifest.file), manifest.input)
        : undefined;
    assertFitsIsolate(name, modelBytes, budget, measuredOrtBytes);
    for (const file of files) await cp(join(modelsDir, file), join(out, 'models', file));
    prepared.push({
      name,
      files: sizes,
      estimatedIsolateBytes: estimateIsolateBytes(modelBytes, measuredOrtBytes),
      ...(measuredOrtBytes === undefined ? {} : { measuredOrtBytes }),
    });
  }
  // File sizes (and measured ORT memory), so the Worker can refuse a model too large for its isolate
  // before reading it.
  const sizes = Object.fromEntries(prepared.flatMap((m) => m.files.map((f) => [f.file, f.bytes])));
  await writeFile(join(out, 'models', 'sizes.json'), JSON.stringify(sizes));
  const measured = prepared.flatMap((m) =>
    m.measuredOrtBytes === undefined ? [] : [[m.name, m.measuredOrtBytes]],
  );
  await writeFile(join(out, 'models', 'ort-memory.json'), JSON.stringify(Object.fromEntries(measured)));
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
      `edge model ${model.name}: ${files}; ${model.measuredOrtBytes === undefined ? 'estimated' : `onnxruntime-web measured at ${mib(model.measuredOrtBytes)}, so`} isolate memory ${mib(model.estimatedIsolateBytes)}`,
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
