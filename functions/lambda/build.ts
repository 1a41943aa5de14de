/**
 * npm run build:lambda [-- --models a,b] [--out dir] — the AWS Lambda zip (Node.js 20, x86_64):
 * handler.mjs (esbuild bundle of functions/lambda/handler.ts), node_modules with only the native
 * packages for linux-x64 (onnxruntime-node, sharp and what they load at run time), and models/ with the
 * chosen models' manifests and files. Prints the unzipped and zipped sizes; fails above Lambda's 250 MB
 * unzipped limit. The zip is functions/lambda/dist/netlens-lambda.zip (git-ignored). docs/lambda.md.
 */
import { copyFile, cp, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { type Zippable, zipSync } from 'fflate';
import { mib } from '../../src/core/units.js';
import { DEFAULT_MODEL } from '../../src/settings/index.js';
import { createModelDirectorySource } from '../../src/runtime/node/model-dir.js';

export const LAMBDA_DIR = import.meta.dirname;
const ROOT = resolve(LAMBDA_DIR, '../..');
/** Lambda's limit on a function's unzipped deployment package (layers included): 250 MB. */
export const LAMBDA_UNZIPPED_LIMIT_BYTES = 250 * 1024 * 1024;
/** Above this the zip must be uploaded through S3 rather than directly (50 MB). */
export const LAMBDA_DIRECT_UPLOAD_LIMIT_BYTES = 50 * 1024 * 1024;

/** Packages the bundle leaves as imports (native addons); copied with what they require at run time. */
const NATIVE = ['onnxruntime-node', 'sharp'];
/** onnxruntime-node's install-script dependencies (never loaded at run time). */
const INSTALL_ONLY = new Set(['adm-zip', 'global-agent']);
/**
 * The Node job backend (better-sqlite3, which is native, Redis/BullMQ, undici: 3 MB of the bundle) is
 * replaced by a module that refuses: webhook jobs do not run on Lambda (readLambdaSettings refuses
 * NETLENS_WEBHOOK_SECRETS before it could be called).
 */
const JOB_BACKEND = /\/jobs\/node\/backend\.js$/;
const NO_JOB_BACKEND = `export async function openJobBackend() {
  throw new Error('webhook jobs do not run on Lambda: the zip has no job store (docs/lambda.md)');
}`;

/** The Node kit's resize kernels: read beside handler.mjs (the build copies resample.wasm there). */
const RESAMPLE_WASM_MODULE = /(^|\/)resample-wasm\.js$/;
const RESAMPLE_WASM = join(ROOT, 'src/core/image/wasm/resample.wasm');
const RESAMPLE_BESIDE_BUNDLE = `import { readFile } from 'node:fs/promises';
export const RESAMPLE_WASM_URL = new URL('./resample.wasm', import.meta.url);
export async function compileResampleWasm() {
  return WebAssembly.compile(await readFile(RESAMPLE_WASM_URL));
}`;

export interface LambdaBuild {
  zip: string;
  stage: string;
  models: string[];
  unzippedBytes: number;
  zippedBytes: number;
  parts: { part: string; bytes: number }[];
}

export async function buildLambda(options: { models?: string[]; out?: string } = {}): Promise<LambdaBuild> {
  const out = resolve(options.out ?? join(LAMBDA_DIR, 'dist'));
  const stage = join(out, 'stage');
  const models = options.models ?? [DEFAULT_MODEL];
  await rm(stage, { recursive: true, force: true });
  await mkdir(stage, { recursive: true });
  await bundle(join(stage, 'handler.mjs'));
  await copyFile(RESAMPLE_WASM, join(stage, 'resample.wasm'));
  for (const name of NATIVE) await copyPackage(name, join(stage, 'node_modules'), new Set());
  await copyModels(models, join(stage, 'models'));

  const files = await listFiles(stage);
  const unzippedBytes = files.reduce((a, f) => a + f.bytes, 0);
  const parts = partSizes(files);
  if (unzippedBytes > LAMBDA_UNZIPPED_LIMIT_BYTES) {
    throw new Error(
      `the Lambda package is ${mib(unzippedBytes)} unzipped, over Lambda's ${mib(LAMBDA_UNZIPPED_LIMIT_BYTES)} ` +
        `limit (${parts.map((p) => `${p.part} ${mib(p.bytes)}`).join(', ')}); choose fewer or smaller models, ` +
        'or use the container image (10 GB) or NETLENS_MODELS_DIR on EFS',
    );
  }
  const zip = join(out, 'netlens-lambda.zip');
  const zippedBytes = await writeZip(stage, files, zip);
  return { zip, stage, models, unzippedBytes, zippedBytes, parts };
}

async function bundle(outfile: string): Promise<void> {
  await build({
    entryPoints: [join(LAMBDA_DIR, 'handler.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    external: NATIVE,
    define: { NETLENS_LAMBDA_MODELS: JSON.stringify('./models/') },
    // CommonJS dependencies (pino, …) call require(); give the ES module one.
    banner: {
      js: "import { createRequire as __netlensRequire } from 'node:module'; const require = __netlensRequire(import.meta.url);",
    },
    legalComments: 'none',
    logLevel: 'warning',
    plugins: [
      {
        name: 'netlens-lambda-no-jobs',
        setup(b) {
          b.onResolve({ filter: JOB_BACKEND }, () => ({ path: 'job-backend', namespace: 'lambda' }));
          b.onResolve({ filter: RESAMPLE_WASM_MODULE }, () => ({
            path: 'resample-wasm',
            namespace: 'lambda',
          }));
          b.onLoad({ filter: /.*/, namespace: 'lambda' }, (args) => ({
            contents: args.path === 'resample-wasm' ? RESAMPLE_BESIDE_BUNDLE : NO_JOB_BACKEND,
          }));
        },
      },
    ],
  });
}

/** Copies a package (linux-x64 files only) and, recursively, the dependencies it loads at run time. */
async function copyPackage(name: string, into: string, done: Set<string>, from = ROOT): Promise<void> {
  if (done.has(name) || INSTALL_ONLY.has(name)) return;
  done.add(name);
  const dir = packageDir(name, from);
  if (dir === undefined) return; // an optional dependency for another platform, not installed here
  const manifestPath = join(dir, 'package.json');
  await cp(dir, join(into, name), {
    recursive: true,
    dereference: true,
    filter: (src) => keep(relative(dir, src)),
  });
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as {
    dependencies?: Record<string, string>;
    optionalDependencies?: Record<string, string>;
  };
  for (const dep of Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies })) {
    await copyPackage(dep, into, done, dir);
  }
}

/** Node's lookup: node_modules/<name> in `from` and each folder above it (exports maps hide package.json). */
function packageDir(name: string, from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/** Drops other platforms' native files, build scripts, C++ and TypeScript sources, source maps and docs. */
function keep(path: string): boolean {
  if (/^bin\/napi-v\d+\/(?!linux(\/x64)?$|linux\/x64\/)/.test(path)) return false;
  if (/^(src|script)(\/|$)/.test(path)) return false;
  return !/\.(ts|cts|mts|map|md)$/.test(path);
}

async function copyModels(models: readonly string[], into: string): Promise<void> {
  const source = createModelDirectorySource();
  await mkdir(into, { recursive: true });
  for (const name of models) {
    const manifest = await source.manifest(name);
    const files = [`${name}.json`, manifest.file, ...(manifest.features ? [manifest.features.file] : [])];
    for (const file of files) await cp(join(source.dir, file), join(into, file));
  }
}

async function listFiles(dir: string): Promise<{ path: string; bytes: number }[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)));
  return Promise.all(files.sort().map(async (path) => ({ path, bytes: (await stat(join(dir, path))).size })));
}

function partSizes(files: { path: string; bytes: number }[]): { part: string; bytes: number }[] {
  const sums = new Map<string, number>();
  for (const f of files) {
    const part = f.path.startsWith('node_modules/')
      ? f.path
          .split('/')
          .slice(0, f.path.startsWith('node_modules/@') ? 3 : 2)
          .join('/')
      : f.path.split('/')[0]!;
    sums.set(part, (sums.get(part) ?? 0) + f.bytes);
  }
  return [...sums].map(([part, bytes]) => ({ part, bytes })).sort((a, b) => b.bytes - a.bytes);
}

/** fflate's zip with Unix modes (Lambda reads the files as another user: 0644, shared libraries 0755). */
async function writeZip(stage: string, files: { path: string }[], zip: string): Promise<number> {
  const entries: Zippable = {};
  for (const { path } of files) {
    const mode = /\.(node|so(\.\d+)*)$/.test(path) ? 0o755 : 0o644;
    entries[path] = [await readFile(join(stage, path)), { os: 3, attrs: (0o100000 | mode) << 16, level: 6 }];
  }
  const bytes = zipSync(entries);
  await writeFile(zip, bytes);
  return bytes.length;
}

function printReport(result: LambdaBuild): void {
  console.log(`models: ${result.models.join(', ')}`);
  for (const p of result.parts) console.log(`  ${p.part.padEnd(44)} ${mib(p.bytes).padStart(10)}`);
  console.log(`unzipped: ${mib(result.unzippedBytes)} (${result.unzippedBytes} bytes; Lambda limit 250 MiB)`);
  const upload =
    result.zippedBytes > LAMBDA_DIRECT_UPLOAD_LIMIT_BYTES ? 'upload through S3' : 'direct upload';
  console.log(
    `zipped:   ${mib(result.zippedBytes)} (${result.zippedBytes} bytes; ${upload}, the direct limit is 50 MiB)`,
  );
  console.log(`zip:      ${relative(process.cwd(), result.zip)}`);
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const { values } = parseArgs({ options: { models: { type: 'string' }, out: { type: 'string' } } });
  try {
    const result = await buildLambda({
      ...(values.models && { models: values.models.split(',').map((m) => m.trim()) }),
      ...(values.out && { out: values.out }),
    });
    printReport(result);
  } catch (error) {
    console.error(`build:lambda failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
