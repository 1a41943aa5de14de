/**
 * The Lambda zip outside the project: unzipped into an empty temporary folder (no node_modules above
 * it), then a fresh `node` there imports handler.mjs, waits for init and sends events — what Lambda's
 * Node.js runtime does with the zip. Used by test/lambda-zip.test.ts and bench/lambda.ts.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { unzipSync } from 'fflate';

/** Unzips into a new empty folder under the system temp folder and returns it. */
export async function unzipClean(zip: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'netlens-lambda-run-'));
  for (const [path, bytes] of Object.entries(unzipSync(await readFile(zip)))) {
    if (path.endsWith('/')) continue;
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), bytes);
  }
  return dir;
}

/** Folders Node would search for packages from `dir` upwards (none may exist for a clean run). */
export function nodeModulesAbove(dir: string): string[] {
  const found: string[] = [];
  for (let d = dirname(resolve(dir)); ; d = dirname(d)) {
    if (existsSync(join(d, 'node_modules'))) found.push(join(d, 'node_modules'));
    if (dirname(d) === d) return found;
  }
}

export interface ColdStart {
  /** Process start (performance.timeOrigin) to the first line of the script. */
  bootMs: number;
  /** import('./handler.mjs'): the bundle, onnxruntime-node and sharp native libraries. */
  importMs: number;
  /** The init promise: settings, runtime, default model loaded and warmed up. */
  initMs: number;
  /** The first classify event answered. */
  firstAnswerMs: number;
  /** CPU of the whole process until the first answer (all threads). */
  cpuMs: number;
  /** Peak resident memory of the process (MiB): what the function's memory size must hold. */
  maxRssMiB: number;
  classify: { statusCode: number; body: string };
  models: { statusCode: number; body: string };
}

/**
 * The script a fresh node runs in the unzipped folder: it classifies `photo` through an HTTP API v2
 * event and lists the models, timing each phase.
 */
const SCRIPT = `
const t0 = performance.now();
const event = (method, rawPath, rawQueryString, headers, body) => ({
  version: '2.0', routeKey: '$default', rawPath, rawQueryString,
  headers: { host: 'k3jq2xexample.lambda-url.us-east-1.on.aws', ...headers },
  requestContext: { accountId: '123456789012', apiId: 'k3jq2xexample', domainName: 'k3jq2xexample.lambda-url.us-east-1.on.aws',
    http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'netlens-test' },
    requestId: 'cold-start', routeKey: '$default', stage: '$default', time: '30/Nov/2026:05:00:00 +0000', timeEpoch: 1796014800000 },
  body: body ?? null, isBase64Encoded: body !== undefined,
});
const { readFileSync } = await import('node:fs');
const [photo, type, model] = process.argv.slice(1);
const bytes = readFileSync(photo).toString('base64');
const t1 = performance.now();
const lambda = await import('./handler.mjs');
const t2 = performance.now();
await lambda.initialised();
const t3 = performance.now();
const classify = await lambda.handler(event('POST', '/v1/models/' + model + '/classify', 'top=5', { 'content-type': type }, bytes));
const t4 = performance.now();
const cpu = process.cpuUsage();
const models = await lambda.handler(event('GET', '/v1/models', ''));
console.log(JSON.stringify({ bootMs: t0, importMs: t2 - t1, initMs: t3 - t2, firstAnswerMs: t4 - t3,
  cpuMs: (cpu.user + cpu.system) / 1000, maxRssMiB: process.resourceUsage().maxRSS / 1024, classify, models }));
process.exit(0);
`;

/**
 * Runs SCRIPT with `node --input-type=module -e` in `dir`, with no NETLENS_* or NODE_* variables but
 * `env` (e.g. NETLENS_MODELS_DIR for a mounted models folder).
 */
export function coldStart(
  dir: string,
  photo: string,
  type: string,
  model: string,
  extraEnv: Record<string, string> = {},
): Promise<ColdStart> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !k.startsWith('NETLENS_') && !k.startsWith('NODE_') && !k.startsWith('VITEST'),
    ),
  );
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', SCRIPT, photo, type, model], {
      cwd: dir,
      env: { ...env, NETLENS_LOG_LEVEL: 'warn', ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !line.startsWith('{')) {
        reject(new Error(`the handler run in ${dir} exited ${code}:\n${out}\n${err}`));
        return;
      }
      resolvePromise(JSON.parse(line) as ColdStart);
    });
  });
}
