/**
 * netlens for Node programs (`import { createClassifier } from 'netlens'`): open an installed model
 * once, classify image bytes or files through the same pipeline as the server, the Worker and the
 * browser. Nothing is read from process.env: options (and the settings module's defaults) decide.
 */
import { readFile } from 'node:fs/promises';
import type { Prediction } from './core/decode.js';
import type { EngineSession } from './core/engine.js';
import type { Manifest } from './core/manifest.js';
import { classify, defaultTop, requireClasses } from './core/pipeline.js';
import { type NodeRuntime, createNodeRuntime, readNodeSettings } from './runtime/node/runtime.js';

export interface ClassifierOptions {
  /** Installed model name (`netlens models`); default: the built-in default model. */
  model?: string;
  /** Directory of converted models (`<name>.json` + `.onnx`); default: the installation's models/onnx. */
  modelsDir?: string;
  /** Execution providers in order of preference, e.g. ['cuda', 'cpu']; default ['cpu']. */
  providers?: readonly string[];
  /** onnxruntime intra-op threads; default: the settings module's server default. */
  threads?: number;
  /** Run onnxruntime-node in a worker thread so inference never blocks the event loop (default true). */
  engineWorker?: boolean;
  /**
   * Old-generation floor in MiB of the worker threads started from now on in this process (V8 flags are
   * process-wide): NETLENS_THREAD_OLD_SPACE_MIB, default 128; 0 leaves V8 as your process started it.
   */
  threadOldSpaceMiB?: number;
}

export interface Classifier {
  readonly manifest: Manifest;
  /** The engine and execution provider that runs the model, e.g. 'onnxruntime-node 1.30.0 (cpu)'. */
  readonly engine: string;
  /** Top-`top` predictions of one image, given as encoded bytes (JPEG, PNG, WebP, …) or a file path. */
  classify(image: Uint8Array | string, options?: { top?: number }): Promise<Prediction[]>;
  /** Closes the session and the engine's worker thread. */
  close(): Promise<void>;
}

export async function createClassifier(options: ClassifierOptions = {}): Promise<Classifier> {
  // The options are checked by the settings module's own parsers (the same rules and messages as the
  // environment variables they stand for).
  const { settings } = readNodeSettings({
    NETLENS_MODEL: options.model,
    NETLENS_MODELS_DIR: options.modelsDir,
    NETLENS_PROVIDERS: options.providers?.join(','),
    NETLENS_THREADS: options.threads === undefined ? undefined : String(options.threads),
    NETLENS_ENGINE_WORKER: options.engineWorker === undefined ? undefined : String(options.engineWorker),
    NETLENS_THREAD_OLD_SPACE_MIB:
      options.threadOldSpaceMiB === undefined ? undefined : String(options.threadOldSpaceMiB),
  });
  const runtime = await createNodeRuntime(settings);
  try {
    const manifest = await runtime.modelSource.manifest(settings.defaultModel);
    requireClasses(manifest);
    const session = await runtime.engine.createSession(await runtime.modelSource.modelBytes(manifest));
    return classifierOf(runtime, manifest, session, settings.maxPixels);
  } catch (error) {
    await runtime.close();
    throw error;
  }
}

function classifierOf(
  runtime: NodeRuntime,
  manifest: Manifest,
  session: EngineSession,
  maxPixels: number,
): Classifier {
  return {
    manifest,
    engine: runtime.engine.name,
    async classify(image, { top = defaultTop(manifest) } = {}) {
      const bytes = typeof image === 'string' ? new Uint8Array(await readFile(image)) : image;
      const decoded = await runtime.decodeImage(bytes, { maxPixels });
      const [predictions] = await classify(session, manifest, [{ decoded, bytes }], top);
      return predictions ?? [];
    },
    async close() {
      await session.dispose();
      await runtime.close();
    },
  };
}

export { NODE_PROVIDERS } from './runtime/node/providers.js';
export type { Manifest, Prediction };
export { NetlensError, isNetlensError, type ErrorCode } from './core/errors.js';
