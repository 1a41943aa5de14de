/**
 * Starts the Worker in local workerd (`wrangler dev`, offline, 127.0.0.1, a free port) for tests and
 * bench/edge.ts, and stops it. Node 20 cannot run @cloudflare/vitest-plugin, so tests talk HTTP to this.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import {
  OFFLINE_ENV,
  WORKER_DIR,
  WRANGLER_BIN,
  assetsDirOf,
  temporaryWranglerConfig,
} from './offline-env.js';

export interface LocalWorker {
  url: string;
  /** The wrangler process (workerd is its child). */
  process: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/**
 * `assetsDir` must have been filled by prepareAssets (default: the directory wrangler.jsonc names for the environment).
 * `vars` become `--var NAME:value`. Each run gets its own temporary wrangler config (see
 * temporaryWranglerConfig), so concurrent test files do not share build output.
 */
export async function startLocalWorker(
  options: {
    vars?: Record<string, string>;
    env?: string;
    timeoutMs?: number;
    assetsDir?: string;
    /** Local state (R2, D1, Queues); default .wrangler/state at the repository root. */
    persistTo?: string;
  } = {},
): Promise<LocalWorker> {
  const port = await freePort();
  const inspector = await freePort();
  const { dir, config } = temporaryWranglerConfig(options.assetsDir ?? assetsDirOf(options.env ?? ''));
  const args = [WRANGLER_BIN, 'dev', '-c', config, '--ip', '127.0.0.1', '--port', String(port)];
  args.push('--inspector-port', String(inspector), `--env=${options.env ?? ''}`);
  args.push('--persist-to', options.persistTo ?? join(WORKER_DIR, '../../.wrangler/state'));
  for (const [name, value] of Object.entries(options.vars ?? {})) args.push('--var', `${name}:${value}`);
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...OFFLINE_ENV },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.pid !== undefined) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(-child.pid, 'SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
      if (child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  while (!/Ready on http/.test(output)) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`wrangler dev did not start within ${options.timeoutMs ?? 60_000} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { url, process: child, output: () => output, stop };
}
