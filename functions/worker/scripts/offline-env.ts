import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

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

/** The parts of wrangler.jsonc the scripts read. */
export interface WranglerConfig {
  main: string;
  $schema?: string;
  assets?: { directory: string };
  alias?: Record<string, string>;
  vars?: Record<string, string>;
  env?: Record<string, { assets?: { directory: string }; vars?: Record<string, string> }>;
}

/** wrangler.jsonc parsed (whole-line comments and trailing commas dropped: the file has no other JSONC syntax). */
export function readWranglerConfig(path = WRANGLER_CONFIG): WranglerConfig {
  const source = readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => !line.trim().startsWith('//'))
    .join('\n')
    .replace(/,(\s*[}\]])/g, '$1');
  return JSON.parse(source) as WranglerConfig;
}

/** The Worker environments wrangler.jsonc defines: '' (the top level) and its `env` names. */
export function workerEnvironments(config = readWranglerConfig()): string[] {
  return ['', ...Object.keys(config.env ?? {})];
}

/** An environment's section; wrangler does not inherit `vars` or `assets` into environments. */
export function environmentOf(config: WranglerConfig, env: string) {
  if (env === '') return { vars: config.vars ?? {}, assets: config.assets };
  const section = config.env?.[env];
  if (section === undefined) {
    throw new Error(
      `wrangler.jsonc has no environment '${env}'; it has: ${workerEnvironments(config)
        .map((e) => `'${e}'`)
        .join(', ')}`,
    );
  }
  return { vars: section.vars ?? {}, assets: section.assets };
}

/** The absolute assets directory of an environment (`assets.directory`, relative to the config). */
export function assetsDirOf(env: string, config = readWranglerConfig()): string {
  const directory = environmentOf(config, env).assets?.directory;
  if (directory === undefined)
    throw new Error(`wrangler.jsonc: environment '${env}' has no assets directory`);
  return resolve(WORKER_DIR, directory);
}

/**
 * A copy of wrangler.jsonc in a fresh temporary directory, with absolute paths (main, aliases, each
 * environment's assets directory, or `assetsDir` for all of them when given). wrangler keeps its build
 * output in `.wrangler/tmp` next to the config it is given, so runs from tests and the bench stay out of
 * the source tree and never share files with each other.
 */
export function temporaryWranglerConfig(assetsDir?: string): { dir: string; config: string } {
  const config = readWranglerConfig();
  delete config.$schema;
  config.main = join(WORKER_DIR, config.main);
  for (const [from, to] of Object.entries(config.alias ?? {})) config.alias![from] = resolve(WORKER_DIR, to);
  const absolute = (section: { assets?: { directory: string } }) => {
    if (section.assets) section.assets.directory = assetsDir ?? resolve(WORKER_DIR, section.assets.directory);
  };
  absolute(config);
  for (const env of Object.values(config.env ?? {})) absolute(env);
  const dir = mkdtempSync(join(tmpdir(), 'netlens-worker-'));
  const path = join(dir, 'wrangler.json');
  writeFileSync(path, JSON.stringify(config, null, 1));
  return { dir, config: path };
}
