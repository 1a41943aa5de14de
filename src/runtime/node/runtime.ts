/**
 * The Node runtime kit: everything Node-specific an entry point injects into the app, the CLI or a
 * library caller — onnxruntime-node (in a worker thread for servers), sharp, and a models directory —
 * built from the settings module's values.
 */
import { availableParallelism } from 'node:os';
import { pino } from 'pino';
import { type ReadJsonImages, readJsonImages } from '../../app/body.js';
import type { Logger } from '../../app/logger.js';
import type { Engine } from '../../core/engine.js';
import type { ImageDecoder, ImageFormat } from '../../core/image-types.js';
import type { PreprocessKernels } from '../../core/pipeline.js';
import { type PrepareImage, prepareInThread } from '../../core/prepare.js';
import {
  DEFAULT_THREAD_OLD_SPACE_MIB,
  type Host,
  type ReadSettings,
  type Settings,
  readSettings,
} from '../../settings/index.js';
import { SHARP_FORMATS } from './decode-image.js';
import { createNodeEngine } from './engine.js';
import { type ModelDirectorySource, createModelDirectorySource, modelsDirectory } from './model-dir.js';
import { createNodeImageKit } from './image-kit.js';
import { InputBuffers } from './input-buffers.js';
import { createPreparePool } from './prepare-pool.js';
import { setThreadOldSpaceFloor } from './thread-heap.js';
import { createWorkerEngine } from './worker-engine.js';

export interface NodeRuntime {
  readonly engine: Engine;
  readonly decodeImage: ImageDecoder;
  /** Decode + preprocess: in the prepare pool when it has threads, else on the calling thread. */
  readonly prepareImage: PrepareImage;
  /** JSON request bodies → images: in the prepare pool when it has threads, else on the calling thread. */
  readonly readJsonImages: ReadJsonImages;
  /** The WebAssembly preprocessing kernels, for callers that preprocess themselves (CLI, bench). */
  readonly kernels: PreprocessKernels;
  readonly modelSource: ModelDirectorySource;
  /** Image formats the decoder reads. */
  readonly formats: readonly ImageFormat[];
  /** Node's clock runs during CPU work: every duration is wall time. */
  readonly clock: 'wall';
  /** Ends the engine's worker thread and the prepare pool, if any (after the sessions are disposed). */
  close(): Promise<void>;
}

export type NodeRuntimeSettings = Pick<
  Settings,
  | 'providers'
  | 'requireGpu'
  | 'threads'
  | 'spinning'
  | 'engineWorker'
  | 'sessions'
  | 'modelsDir'
  | 'prepareThreads'
> &
  /** The worker threads' old-generation floor (thread-heap.ts); NETLENS_THREAD_OLD_SPACE_MIB's default when absent. */
  Partial<Pick<Settings, 'threadOldSpaceMiB'>>;

/** This machine as the settings module's defaults see it. */
export function nodeHost(): Host {
  return { runtime: 'node', cores: availableParallelism() };
}

/** readSettings for this Node process: `env` is process.env in entry points, a plain record in tests. */
export function readNodeSettings(
  env: Readonly<Record<string, unknown>>,
  overrides: Partial<Settings> = {},
): ReadSettings {
  return readSettings(env, nodeHost(), overrides);
}

export async function createNodeRuntime(settings: NodeRuntimeSettings): Promise<NodeRuntime> {
  const options = {
    providers: settings.providers,
    requireGpu: settings.requireGpu,
    threads: settings.threads,
    spinning: settings.spinning,
  };
  // Before the threads start: V8 reads the floor when it creates a thread's heap.
  setThreadOldSpaceFloor(settings.threadOldSpaceMiB ?? DEFAULT_THREAD_OLD_SPACE_MIB);
  // Model inputs go round: prepare pool → inference worker → back here → the next prepare task.
  const inputs = new InputBuffers();
  const worker = settings.engineWorker
    ? await createWorkerEngine({ ...options, workers: settings.sessions, recycle: (b) => inputs.give(b) })
    : undefined;
  const { decodeImage, kernels } = await createNodeImageKit();
  const pool =
    settings.prepareThreads > 0 ? createPreparePool({ threads: settings.prepareThreads, inputs }) : undefined;
  return {
    engine: worker ?? createNodeEngine(options),
    decodeImage,
    prepareImage: pool?.prepareImage ?? prepareInThread(decodeImage, kernels),
    readJsonImages: pool?.readJsonImages ?? readJsonImages,
    kernels,
    modelSource: createModelDirectorySource(modelsDirectory(settings.modelsDir)),
    formats: SHARP_FORMATS,
    clock: 'wall',
    close: async () => {
      await Promise.all([worker?.close(), pool?.close()]);
    },
  };
}

/** pino JSON lines at the configured level, tagged with the process id. */
export function createLogger(level: Settings['logLevel']): Logger {
  return pino({ level, base: { pid: process.pid, service: 'netlens' } });
}
