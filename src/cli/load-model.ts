import type { Classifier } from '../core/classify.js';
import { createClassifier } from '../core/classify.js';
import type { Manifest } from '../core/manifest.js';
import { createNodeEngine, type NodeEngineSession } from '../runtime/node/engine.js';
import { createModelDirectorySource, defaultModelName, defaultModelsDir } from '../runtime/node/model-dir.js';
import { parseProviderList } from '../runtime/node/providers.js';

export interface ModelOptions {
  model?: string;
  modelsDir?: string;
  providers?: string;
  requireGpu?: boolean;
  threads?: number;
}

export interface LoadedModel {
  manifest: Manifest;
  session: NodeEngineSession;
  classifier: Classifier;
  engineName: string;
  loadMs: number;
}

/** Manifest → verified bytes → onnxruntime-node session (providers from options or NETLENS_PROVIDERS). */
export async function loadModel(options: ModelOptions): Promise<LoadedModel> {
  const started = performance.now();
  const source = createModelDirectorySource(options.modelsDir ?? defaultModelsDir());
  const manifest = await source.manifest(options.model ?? defaultModelName());
  const bytes = await source.modelBytes(manifest);
  const providers = parseProviderList(options.providers, '--providers');
  const engine = createNodeEngine({
    ...(providers ? { providers } : {}),
    ...(options.requireGpu ? { requireGpu: true } : {}),
    ...(options.threads ? { threads: options.threads } : {}),
  });
  const session = await engine.createSession(bytes);
  return {
    manifest,
    session,
    classifier: createClassifier({ manifest, session }),
    engineName: engine.name,
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
