/**
 * Test support: starts `functions/node/main.ts` (the real server) as a child process on a free loopback
 * port and makes sure the default model exists (building it with the converter's script when missing).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { ensureDefaultModels } from '../src/cli/start.js';
import { mainThreadFloorArgs } from '../src/runtime/node/thread-heap.js';
import { DEFAULT_THREAD_OLD_SPACE_MIB } from '../src/settings/index.js';

export const ROOT = resolve(import.meta.dirname, '..');
export const MODELS_DIR = join(ROOT, 'models/onnx');
export const DEFAULT_MODEL = 'nsfw-mobilenet-v2';
export const PHOTOS_DIR = resolve(ROOT, '../shared/data/images');

/** Builds the default models (the converter's script, as `npm start` does) when the default manifest is missing. */
export async function ensureDefaultModel(): Promise<void> {
  await ensureDefaultModels({ modelsDir: MODELS_DIR, defaultModel: DEFAULT_MODEL });
}

export interface ServerProcess {
  readonly url: string;
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Spawns the server with `--port 0` and waits for its "listening" log line (pino JSON on stdout).
 * `nodeArgs` go to node itself: by default the HTTP thread's old-generation floor, as `npm start` gives it.
 */
export async function startServerProcess(
  args: string[] = [],
  env: Record<string, string> = {},
  timeoutMs = 120_000,
  nodeArgs: string[] = mainThreadFloorArgs(DEFAULT_THREAD_OLD_SPACE_MIB),
): Promise<ServerProcess> {
  const child = spawn(
    process.execPath,
    [
      ...nodeArgs,
      '--import',
      'tsx',
      join(ROOT, 'functions/node/main.ts'),
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      ...args,
    ],
    {
      cwd: ROOT,
      env: { ...process.env, NETLENS_LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`server did not start in ${timeoutMs} ms:\n${out}\n${err}`)),
      timeoutMs,
    );
    const poll = setInterval(() => {
      const match = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(out);
      if (match) {
        clearInterval(poll);
        clearTimeout(timer);
        resolveUrl(match[1]!);
      }
    }, 50);
    void exited.then((code) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${out}\n${err}`));
    });
  });
  return {
    url,
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}
