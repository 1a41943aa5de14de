import path from 'node:path';
import type { EngineSession } from '../core/engine.js';
import { NetlensError } from '../core/errors.js';
import type { ImageDecoder } from '../core/image-types.js';
import type { Manifest } from '../core/manifest.js';
import { cliSettings } from '../cli/load-model.js';
import { createNodeRuntime } from '../runtime/node/runtime.js';
import type { TrainOptions } from './options.js';

/** The base model as training uses it: its features variant loaded through the Node runtime kit. */
export interface BaseModel {
  readonly manifest: Manifest;
  readonly featuresBytes: Uint8Array;
  /** The features session, created on first use (a run whose rows are all cached never loads it). */
  session(): Promise<EngineSession>;
  readonly decodeImage: ImageDecoder;
  readonly modelsDir: string;
  close(): Promise<void>;
}

/**
 * Loads `--base`'s features variant (manifest.features, the model /embed runs). A base without one is
 * an invalid_argument error that lists the installed models that have one.
 */
export async function openBase(options: TrainOptions): Promise<BaseModel> {
  const settings = cliSettings({
    model: options.base,
    ...(options.modelsDir !== undefined && { modelsDir: options.modelsDir }),
    ...(options.providers !== undefined && { providers: options.providers }),
    ...(options.threads !== undefined && { threads: options.threads }),
  });
  const runtime = await createNodeRuntime(settings);
  try {
    const manifest = await runtime.modelSource.manifest(options.base);
    if (!manifest.features) {
      const withFeatures = (await runtime.modelSource.list()).filter((m) => m.features).map((m) => m.name);
      throw new NetlensError(
        'invalid_argument',
        `--base ${options.base} has no features variant to train on (manifest.features); ` +
          `models with one: ${withFeatures.length > 0 ? withFeatures.join(', ') : 'none'}`,
        { details: { base: options.base, modelsWithFeatures: withFeatures } },
      );
    }
    const featuresBytes = await runtime.modelSource.modelBytes(manifest, 'features');
    let session: Promise<EngineSession> | undefined;
    return {
      manifest,
      featuresBytes,
      session: () => (session ??= runtime.engine.createSession(featuresBytes)),
      decodeImage: runtime.decodeImage,
      modelsDir: path.resolve(runtime.modelSource.dir),
      close: async () => {
        await (await session?.catch(() => undefined))?.dispose();
        await runtime.close();
      },
    };
  } catch (error) {
    await runtime.close();
    throw error;
  }
}
