/**
 * Every command of docs/edge.md's "Deploying to Cloudflare Workers" section, run as written on a fresh
 * `git clone` of this repository (its committed HEAD; node_modules symlinked, the built models hard-linked
 * so `npm run models` finds them up to date instead of converting for minutes): deploys and remote R2
 * uploads with `--dry-run`, `dev:worker` started on a free port with the documented curl sent to it. Only
 * the two steps that need a Cloudflare account are not run, and the test says which. Also checks what
 * the commands promise: build:worker builds the page, the R2 variant uploads no model assets, wrangler
 * is given the model list, and no zod locale is left in the Worker script.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../functions/worker/scripts/local-worker.js';
import { conformanceModel } from './conformance-runners.js';

const ROOT = resolve(import.meta.dirname, '..');
const SHARED = resolve(ROOT, '../shared');
/** Steps that need a Cloudflare account: documented, never run here. */
const ACCOUNT_STEPS = ['npx wrangler login', 'npx wrangler r2 bucket create netlens-models'];

/** The commands of the deployment section's sh blocks, comments stripped, in order. */
function documentedCommands(): string[] {
  const doc = readFileSync(join(ROOT, 'docs/edge.md'), 'utf8');
  const start = doc.indexOf('## Deploying to Cloudflare Workers');
  const section = doc.slice(start, doc.indexOf('\n## ', start + 1));
  const commands: string[] = [];
  for (const block of section.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const line of block[1]!.split('\n')) {
      const command = line.replace(/\s+#.*$/, '').trim();
      if (command !== '') commands.push(command);
    }
  }
  return commands;
}

/** The dry-run form of a command that would otherwise touch a Cloudflare account. */
function dryRun(command: string): string {
  const remote = /deploy:worker|--remote/.test(command);
  if (!remote || command.includes('--dry-run')) return command;
  return command.includes(' -- ') ? `${command} --dry-run` : `${command} -- --dry-run`;
}

/** Runs a command, returning its output (stdout only with `stdoutOnly`: curl's meter goes to stderr). */
function run(clone: string, command: string, env: NodeJS.ProcessEnv, stdoutOnly = false): string {
  try {
    return execFileSync('bash', ['-c', stdoutOnly ? command : `${command} 2>&1`], {
      cwd: clone,
      env,
      encoding: 'utf8',
      timeout: 600_000,
      maxBuffer: 64 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    const e = error as { status?: number; stdout?: string };
    throw new Error(`\`${command}\` exited with ${e.status}:\n${e.stdout ?? ''}`);
  }
}

/** `npm run dev:worker …` in the background until "Ready on"; stop() ends its whole process group. */
async function startDev(clone: string, command: string, env: NodeJS.ProcessEnv) {
  const child: ChildProcess = spawn('bash', ['-c', command], {
    cwd: clone,
    env,
    detached: true,
    stdio: 'pipe',
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const stop = async () => {
    if (child.exitCode !== null || child.pid === undefined) return;
    const exited = new Promise((r) => child.once('exit', r));
    process.kill(-child.pid, 'SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
  };
  const deadline = Date.now() + 300_000;
  while (!/Ready on http/.test(output)) {
    if (child.exitCode !== null) throw new Error(`\`${command}\` exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`\`${command}\` was not ready in time:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { stop, output: () => output };
}

describe('docs/edge.md, run from a clean clone', () => {
  let clone: string;
  let env: NodeJS.ProcessEnv;
  let port: number;

  beforeAll(async () => {
    const { dir: modelsDir } = await conformanceModel();
    const parent = mkdtempSync(join(tmpdir(), 'netlens-clone-'));
    clone = join(parent, 'netlens');
    execFileSync('git', ['clone', '--quiet', ROOT, clone]);
    symlinkSync(join(ROOT, 'node_modules'), join(clone, 'node_modules'));
    mkdirSync(join(clone, 'models/onnx'), { recursive: true });
    for (const file of readdirSync(modelsDir).filter((f) => /\.(onnx|json)$/.test(f))) {
      linkSync(join(modelsDir, file), join(clone, 'models/onnx', file));
    }
    port = await freePort();
    // A clean environment: no NETLENS_* of this test run, the documented default port replaced.
    env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('NETLENS_')));
    env.PORT = String(port);
  }, 120_000);

  afterAll(() => {
    if (clone) rmSync(resolve(clone, '..'), { recursive: true, force: true });
  });

  it('runs every documented command (deploys as --dry-run) and each does what it says', async () => {
    const commands = documentedCommands();
    expect(commands.filter((c) => ACCOUNT_STEPS.includes(c))).toEqual(ACCOUNT_STEPS);
    let dev: Awaited<ReturnType<typeof startDev>> | undefined;
    /** Output by the command run (a documented deploy and its --dry-run form are run once). */
    const outputs = new Map<string, string>();
    const curlAnswers: string[] = [];
    try {
      for (const documented of commands) {
        if (ACCOUNT_STEPS.includes(documented)) continue;
        const command = dryRun(documented)
          .replaceAll('../shared/', `${SHARED}/`)
          .replaceAll('127.0.0.1:8787', `127.0.0.1:${port}`);
        if (!command.startsWith('curl')) {
          await dev?.stop();
          dev = undefined;
        }
        if (command.startsWith('npm run dev:worker')) {
          dev = await startDev(clone, command, env);
        } else if (command.startsWith('curl')) {
          curlAnswers.push(run(clone, command, env, true));
        } else if (!outputs.has(command)) {
          outputs.set(command, run(clone, command, env));
        }
      }
    } finally {
      await dev?.stop();
    }

    // build:worker built the page (a fresh clone has none) and put page and models into the assets.
    const build = outputs.get('npm run build:worker')!;
    expect(build).toMatch(/demo page built in /);
    expect(build).toMatch(/edge models nsfw-mobilenet-v2 \(from wrangler\.jsonc vars\); model store: assets/);
    expect(build).toMatch(/wrangler: Total Upload: [\d.]+ KiB \/ gzip: [\d.]+ KiB/);
    const assets = join(clone, 'functions/worker/dist/assets');
    expect(readdirSync(join(assets, 'models')).sort()).toContain('nsfw-mobilenet-v2.onnx');
    expect(existsSync(join(assets, 'page/index.html'))).toBe(true);
    // zod's locales are out of the Worker script (its English messages stay).
    const script = readFileSync(join(clone, 'functions/worker/dist/bundle/index.js'), 'utf8');
    expect(script).not.toContain('Ungültige Eingabe');
    expect(script).toContain('Invalid input');

    const deploy = outputs.get('npm run deploy:worker -- --dry-run')!;
    expect(deploy).toMatch(/--dry-run: exiting now\./);
    expect(deploy).toMatch(/NETLENS_MODELS[^\n]*nsfw-mobilenet-v2/);
    expect(deploy).toMatch(/env\.ASSETS/);

    // The R2 variant: its assets are the page only, and the Worker has the bucket.
    const r2 = outputs.get('npm run deploy:worker:r2 -- --dry-run')!;
    expect(r2).toMatch(/--dry-run: exiting now\./);
    expect(r2).toMatch(/env\.MODELS \(netlens-models\)/);
    expect(r2).toMatch(/assets directory .*dist\/assets-r2: the demo page only/);
    const r2Assets = join(clone, 'functions/worker/dist/assets-r2');
    expect(readdirSync(r2Assets).sort()).toEqual(['.assetsignore', 'page']);
    expect(outputs.get('npm run seed:worker-r2 -- --remote --dry-run')).toMatch(
      /npx wrangler r2 object put netlens-models\/nsfw-mobilenet-v2\.onnx --file \S+ --remote -c functions\/worker\/wrangler\.jsonc --env r2\n[\s\S]*would put into R2 bucket netlens-models: nsfw-mobilenet-v2\.json, nsfw-mobilenet-v2\.onnx, nsfw-mobilenet-v2\.features\.onnx/,
    );
    expect(outputs.get('npm run seed:worker-r2')).toMatch(
      /seeded local R2 bucket netlens-models: nsfw-mobilenet-v2\.json/,
    );

    // Both dev Workers (static assets, then R2) answered the documented curl.
    expect(curlAnswers).toHaveLength(2);
    for (const text of curlAnswers) {
      const answer = JSON.parse(text) as { model: string; results: { predictions: { label: string }[] }[] };
      expect(answer.model).toBe('nsfw-mobilenet-v2');
      expect(answer.results[0]!.predictions.map((p) => p.label)).toEqual([
        'Neutral',
        'Sexy',
        'Drawing',
        'Porn',
        'Hentai',
      ]);
    }
  }, 1_800_000);
});
