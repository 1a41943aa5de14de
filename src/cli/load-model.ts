import { availableParallelism } from 'node:os';
import type { EngineSession } from '../core/engine.js';
import type { ImageDecoder } from '../core/image-types.js';
import type { Manifest } from '../core/manifest.js';
import { type PreprocessKernels, requireClasses } from '../core/pipeline.js';
import { readNodeSettings, createNodeRuntime } from '../runtime/node/runtime.js';
import { SETTINGS, type Settings } from '../settings/index.js';

/** The flags every model command shares (`--model`, `--models-dir`, `--providers`, …). */
export interface ModelOptions {
  model?: string;
  modelsDir?: string;
  providers?: string;
  requireGpu?: boolean;
  threads?: number;
}

export interface LoadedModel {
  manifest: Manifest;
  session: EngineSession;
  decodeImage: ImageDecoder;
  /** The runtime's WebAssembly preprocessing kernels. */
  kernels: PreprocessKernels;
  engineName: string;
  loadMs: number;
}

/**
 * The settings module's values with the command line's flags applied on top. The CLI runs the engine
 * in-process, decodes on its own thread (no prepare pool) and, unless --threads or NETLENS_THREADS says otherwise, on every core.
 */
export function cliSettings(options: ModelOptions): Settings {
  const flags: Partial<Settings> = { engineWorker: false, prepareThreads: 0 };
  if (options.model !== undefined) flags.defaultModel = options.model;
  if (options.modelsDir !== undefined) flags.modelsDir = options.modelsDir;
  if (options.requireGpu === true) flags.requireGpu = true;
  if (options.threads !== undefined) flags.threads = options.threads;
  if (options.providers !== undefined) {
    flags.providers = SETTINGS.providers.kind.parse(options.providers.trim(), '--providers');
  }
  const { settings, given } = readNodeSettings(process.env, flags);
  return given.has('threads') ? settings : { ...settings, threads: availableParallelism() };
}

/** Manifest → verified bytes → onnxruntime-node session, through the Node runtime kit. */
export async function loadModel(options: ModelOptions): Promise<LoadedModel> {
  const started = performance.now();
  const settings = cliSettings(options);
  const runtime = await createNodeRuntime(settings);
  const manifest = await runtime.modelSource.manifest(settings.defaultModel);
  requireClasses(manifest);
  const session = await runtime.engine.createSession(await runtime.modelSource.modelBytes(manifest), {
    warmUp: settings.warmUp,
  });
  return {
    manifest,
    session,
    decodeImage: runtime.decodeImage,
    kernels: runtime.kernels,
    engineName: runtime.engine.name,
    loadMs: performance.now() - started,
  };
}

/** One stderr line saying which model runs where, plus one per provider that was tried and failed. */
export function describeLoadedModel(loaded: LoadedModel): string[] {
  const { manifest, session } = loaded;
  const { height, width, channels } = manifest.input;
  const lines = [
    `[INFO] model ${manifest.name} (${manifest.architecture}, ${height}×${width}×${channels}, ${manifest.output.size} classes) on ${session.provider} — ${loaded.engineName}, loaded in ${Math.round(loaded.loadMs)} ms`,
  ];
  for (const f of session.fallbacks)
    lines.push(`[WARN] execution provider '${f.provider}' not used: ${f.error}`);
  return lines;
}
