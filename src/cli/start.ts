import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NetlensError, messageOf } from '../core/errors.js';
import { BUILDABLE_MODELS, modelsDirectory } from '../runtime/node/model-dir.js';
import type { Settings } from '../settings/index.js';

/**
 * Builds the built-in models (offline, from the nsfwjs npm package, with the converter's API) unless the
 * default model's manifest exists. A default model that is not built in must be converted by the user.
 */
export async function ensureDefaultModels(
  settings: Pick<Settings, 'modelsDir' | 'defaultModel'>,
): Promise<void> {
  const dir = modelsDirectory(settings.modelsDir);
  const manifest = join(dir, `${settings.defaultModel}.json`);
  if (existsSync(manifest)) return;
  if (!(BUILDABLE_MODELS as readonly string[]).includes(settings.defaultModel)) {
    throw new NetlensError(
      'unknown_model',
      `the default model '${settings.defaultModel}' is not installed in ${dir} and is not a built-in model; convert it with 'netlens convert <keras file> --name ${settings.defaultModel} --out ${dir}'`,
      { details: { model: settings.defaultModel, dir } },
    );
  }
  process.stderr.write(`[INFO] ${manifest} is missing: building the built-in models…\n`);
  const { buildDefaultModels } = await import('../convert/default-models.js');
  try {
    await buildDefaultModels({ outDir: dir, log: (line) => process.stderr.write(`[INFO] ${line}\n`) });
  } catch (error) {
    throw new NetlensError('unknown_model', `building the built-in models failed: ${messageOf(error)}`, {
      cause: error,
    });
  }
  if (!existsSync(manifest)) {
    throw new NetlensError('unknown_model', `building the built-in models did not produce ${manifest}`);
  }
}
