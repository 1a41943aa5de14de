import { exitOnSignals, startServer } from '../runtime/node/server.js';
import { readNodeSettings } from '../runtime/node/runtime.js';
import { mainThreadFloorWarning } from '../runtime/node/thread-heap.js';
import { SETTINGS, type Settings } from '../settings/index.js';
import type { ModelOptions } from './load-model.js';
import { ensureDefaultModels } from './start.js';

export interface ServeOptions extends ModelOptions {
  port?: number;
  host?: string;
}

/** The settings module's values with `netlens serve`'s flags on top (flags win over variables). */
function serveSettings(options: ServeOptions): { settings: Settings; warnings: string[] } {
  const flags: Partial<Settings> = {};
  if (options.port !== undefined) flags.port = options.port;
  if (options.host !== undefined) flags.host = options.host;
  if (options.model !== undefined) flags.defaultModel = options.model;
  if (options.modelsDir !== undefined) flags.modelsDir = options.modelsDir;
  if (options.requireGpu === true) flags.requireGpu = true;
  if (options.threads !== undefined) flags.threads = options.threads;
  if (options.providers !== undefined) {
    flags.providers = SETTINGS.providers.kind.parse(options.providers.trim(), '--providers');
  }
  const { settings, warnings } = readNodeSettings(process.env, flags);
  const floor = mainThreadFloorWarning(process.execArgv, settings.threadOldSpaceMiB);
  return { settings, warnings: floor === undefined ? warnings : [...warnings, floor] };
}

/**
 * `netlens serve` (and `netlens start`, which first builds the built-in models when the default is
 * missing): starts the HTTP server and drains it on SIGTERM/SIGINT. Start-up failures are thrown, so the
 * CLI maps them to its exit statuses like any command's.
 */
export async function runServe(options: ServeOptions, ensureModels = false): Promise<void> {
  const { settings, warnings } = serveSettings(options);
  if (ensureModels) await ensureDefaultModels(settings);
  exitOnSignals(await startServer({ settings, warnings }));
}
