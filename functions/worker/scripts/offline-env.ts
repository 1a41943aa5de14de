import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/** Wrangler without telemetry, banners or Cloudflare API calls (works with no network and no login). */
export const OFFLINE_ENV = {
  WRANGLER_SEND_METRICS: 'false',
  WRANGLER_SEND_ERROR_REPORTS: 'false',
  WRANGLER_HIDE_BANNER: 'true',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
} as const;

export const WORKER_DIR = join(import.meta.dirname, '..');
export const WRANGLER_CONFIG = join(WORKER_DIR, 'wrangler.jsonc');
export const WRANGLER_BIN = join(
  createRequire(import.meta.url).resolve('wrangler/package.json'),
  '..',
  'bin',
  'wrangler.js',
);

/** Runs wrangler with the offline environment; resolves with its exit code and output. */
export function runWrangler(
  args: readonly string[],
  options: { inherit?: boolean; env?: Record<string, string> } = {},
): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRANGLER_BIN, ...args], {
      env: { ...process.env, ...OFFLINE_ENV, ...options.env },
      stdio: options.inherit === true ? 'inherit' : ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

/**
 * A copy of wrangler.jsonc in a fresh temporary directory, with absolute paths and the given assets
 * directory. wrangler keeps its build output in `.wrangler/tmp` next to the config it is given, so runs
 * from tests and the bench stay out of the source tree and never share files with each other.
 */
export function temporaryWranglerConfig(assetsDir: string): { dir: string; config: string } {
  // JSONC → JSON: drop whole-line comments and trailing commas (the file has no other JSONC syntax).
  const source = readFileSync(WRANGLER_CONFIG, 'utf8')
    .split('\n')
    .filter((line) => !line.trim().startsWith('//'))
    .join('\n')
    .replace(/,(\s*[}\]])/g, '$1');
  const config = JSON.parse(source) as {
    main: string;
    $schema?: string;
    assets?: { directory: string };
    env?: Record<string, { assets?: { directory: string } }>;
  };
  delete config.$schema;
  config.main = join(WORKER_DIR, config.main);
  if (config.assets) config.assets.directory = assetsDir;
  for (const env of Object.values(config.env ?? {})) if (env.assets) env.assets.directory = assetsDir;
  const dir = mkdtempSync(join(tmpdir(), 'netlens-worker-'));
  const path = join(dir, 'wrangler.json');
  writeFileSync(path, JSON.stringify(config, null, 1));
  return { dir, config: path };
}
