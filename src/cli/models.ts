import {
  BUILDABLE_MODELS,
  HOW_TO_BUILD,
  createModelDirectorySource,
  modelsDirectory,
} from '../runtime/node/model-dir.js';
import { type ModelOptions, cliSettings } from './load-model.js';

export interface ModelsOptions extends Pick<ModelOptions, 'model' | 'modelsDir' | 'providers'> {
  json?: boolean;
}

/** `netlens models`: installed models (name, architecture, input, classes, provider hint), and how to get the rest. */
export async function runModels(options: ModelsOptions): Promise<number> {
  const settings = cliSettings(options);
  const source = createModelDirectorySource(modelsDirectory(settings.modelsDir));
  const { manifests, problems } = await source.scan();
  const providers = settings.providers;
  const gpu = providers.some((p) => p !== 'cpu');
  const providerHint = `${providers.join(' → ')}${gpu ? '' : ' (set NETLENS_PROVIDERS=cuda,webgpu,cpu or --providers to try GPUs)'}`;
  const defaultModel = settings.defaultModel;
  const missing = BUILDABLE_MODELS.filter((name) => !manifests.some((m) => m.name === name));
  if (options.json) {
    const models = manifests.map((m) => ({
      name: m.name,
      default: m.name === defaultModel,
      architecture: m.architecture,
      input: m.input,
      output: m.output,
      classes: m.output.kind === 'features' ? 0 : m.output.size,
      preprocessing: m.preprocessing,
      features: m.features !== undefined,
      providers,
    }));
    process.stdout.write(
      `${JSON.stringify({ dir: source.dir, models, missing, invalid: problems, howToBuild: HOW_TO_BUILD }, null, 2)}\n`,
    );
    return 0;
  }
  process.stdout.write(`Models in ${source.dir}:\n`);
  if (manifests.length === 0) process.stdout.write('  (none installed)\n');
  else {
    const rows = [
      ['NAME', 'ARCHITECTURE', 'INPUT', 'CLASSES', 'PREPROCESS', 'PROVIDERS'],
      ...manifests.map((m) => [
        `${m.name}${m.name === defaultModel ? ' (default)' : ''}`,
        m.architecture,
        `${m.input.height}×${m.input.width}×${m.input.channels}`,
        m.output.kind === 'features' ? `features ${m.output.size}` : String(m.output.size),
        `${m.preprocessing.mode}, ${m.preprocessing.resize}`,
        providers.join(','),
      ]),
    ];
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const row of rows)
      process.stdout.write(
        `  ${row
          .map((c, i) => c.padEnd(widths[i]!))
          .join('  ')
          .trimEnd()}\n`,
      );
  }
  process.stdout.write(`Execution providers: ${providerHint}\n`);
  for (const p of problems) process.stdout.write(`Invalid: ${p.file}: ${p.error}\n`);
  if (missing.length > 0)
    process.stdout.write(`Not installed: ${missing.join(', ')} — run 'npm run models' to build them.\n`);
  process.stdout.write(`To add models, ${HOW_TO_BUILD}.\n`);
  return 0;
}
