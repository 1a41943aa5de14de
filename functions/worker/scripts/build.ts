/**
 * npm run build:worker [-- --env r2] — prepares the environment's static assets (the demo page, and the
 * models unless they live in R2), bundles the Worker with `wrangler deploy --dry-run` (offline), prints
 * the upload size wrangler reports and our own per-module gzip sizes, and fails when the compressed
 * upload exceeds the Workers Paid plan's 10 MB (Free: 3 MB).
 */
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { messageOf } from '../../../src/core/errors.js';
import { WORKER_GZIP_LIMIT_BYTES } from '../../../src/runtime/web/isolate-budget.js';
import { mib } from '../../../src/core/units.js';
import { WORKER_DIR, runWrangler, temporaryWranglerConfig } from './offline-env.js';
import { envArgument, prepareAndReportAssets } from './prepare-assets.js';

export interface WorkerBuild {
  outdir: string;
  /** wrangler's own report, e.g. "Total Upload: 14512.09 KiB / gzip: 3770.37 KiB". */
  wranglerReport: string;
  /** wrangler's whole output (bindings, vars, sizes). */
  output: string;
  modules: { file: string; bytes: number; gzipBytes: number }[];
  totalBytes: number;
  totalGzipBytes: number;
}

/** `wrangler deploy --dry-run` of an environment whose assets are prepared; `extra`: e.g. --var arguments. */
export async function buildWorker(
  outdir = join(WORKER_DIR, 'dist/bundle'),
  env = '',
  extra: readonly string[] = [],
): Promise<WorkerBuild> {
  // A temporary copy of the config keeps wrangler's .wrangler/tmp out of the source tree.
  const { dir, config } = temporaryWranglerConfig();
  const result = await runWrangler([
    'deploy',
    '--dry-run',
    '--outdir',
    outdir,
    '-c',
    config,
    `--env=${env}`,
    ...extra,
  ]);
  await rm(dir, { recursive: true, force: true });
  if (result.code !== 0) throw new Error(`wrangler deploy --dry-run failed:\n${result.output}`);
  const report = /Total Upload:[^\n]*/.exec(result.output)?.[0] ?? '(wrangler printed no upload size)';
  const modules: WorkerBuild['modules'] = [];
  for (const file of await readdir(outdir)) {
    if (file.endsWith('.map') || file === 'README.md') continue;
    const path = join(outdir, file);
    if (!(await stat(path)).isFile()) continue;
    const bytes = await readFile(path);
    modules.push({ file, bytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length });
  }
  const totalBytes = modules.reduce((a, m) => a + m.bytes, 0);
  const totalGzipBytes = modules.reduce((a, m) => a + m.gzipBytes, 0);
  return {
    outdir,
    wranglerReport: report.trim(),
    output: result.output,
    modules,
    totalBytes,
    totalGzipBytes,
  };
}

/** Prints the per-module sizes and fails above the Paid plan's limit. */
export function reportWorkerBuild(build: WorkerBuild): void {
  for (const m of build.modules)
    console.log(`  ${m.file.padEnd(48)} ${mib(m.bytes).padStart(10)}  gzip ${mib(m.gzipBytes)}`);
  console.log(`wrangler: ${build.wranglerReport}`);
  console.log(
    `Worker upload: ${mib(build.totalBytes)}, gzip ${mib(build.totalGzipBytes)} (${(build.totalGzipBytes / 1e6).toFixed(2)} MB; limit 10 MB Paid, 3 MB Free)`,
  );
  if (build.totalGzipBytes > WORKER_GZIP_LIMIT_BYTES) {
    throw new Error('the compressed Worker is over the 10 MB limit of the Workers Paid plan');
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    const { env } = envArgument(process.argv.slice(2));
    const { varArgs } = await prepareAndReportAssets(env);
    reportWorkerBuild(await buildWorker(undefined, env, varArgs));
  } catch (error) {
    console.error(`build:worker: ${messageOf(error)}`);
    process.exit(1);
  }
}
