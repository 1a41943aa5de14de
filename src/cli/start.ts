import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { NetlensError } from '../core/errors.js';
import { defaultModelName, defaultModelsDir } from '../runtime/node/model-dir.js';

const ROOT = resolve(import.meta.dirname, '../..');
export const BUILD_MODELS_SCRIPT = join(ROOT, 'scripts/convert/build-default-models.ts');

/** Builds the default models (offline, from the nsfwjs npm package) unless the default manifest exists. */
export async function ensureDefaultModels(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<void> {
  const manifest = join(defaultModelsDir(env), `${defaultModelName(env)}.json`);
  if (existsSync(manifest)) return;
  if (!existsSync(BUILD_MODELS_SCRIPT)) {
    throw new NetlensError(
      'unknown_model',
      `${manifest} is missing and ${BUILD_MODELS_SCRIPT} does not exist to build it`,
    );
  }
  process.stderr.write(`[INFO] ${manifest} is missing: building the default models (npm run models)…\n`);
  const status = await new Promise<number | null>((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', BUILD_MODELS_SCRIPT], {
      cwd: ROOT,
      stdio: 'inherit',
    });
    child.on('error', fail);
    child.on('exit', done);
  });
  if (status !== 0 || !existsSync(manifest)) {
    throw new NetlensError(
      'unknown_model',
      `building the default models failed (exit ${status}); run 'npm run models' to see why`,
    );
  }
}

/** `netlens start` (npm start): ensure the default models exist, then `netlens serve` with the same arguments. */
export function createStartCommand(loadServe: () => Promise<Command>): Command {
  return new Command('start')
    .description('build the default models if missing, then start the HTTP service (arguments go to serve)')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[serve-args...]')
    .action(async (_args: string[], _options: unknown, command: Command) => {
      await ensureDefaultModels();
      const serve = await loadServe();
      serve.name('netlens serve');
      await serve.parseAsync(command.args, { from: 'user' });
    });
}
