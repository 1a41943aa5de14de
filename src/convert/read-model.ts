import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { NetlensError } from '../core/errors.js';
import type { Preprocessing } from '../core/manifest.js';
import {
  ARCHITECTURE_NAMES,
  buildArchitectureSpec,
  nestedBackbone,
  type ArchitectureSpecOptions,
} from './architectures/index.js';
import type { KerasModelSpec } from './keras/types.js';
import { detectFileKind } from './readers/file-kind.js';
import { h5HasModelConfig, readKerasH5Model } from './readers/keras-h5.js';
import { readKerasV3 } from './readers/keras-v3.js';
import { readTfjsLayers } from './readers/tfjs-layers.js';

export interface ReadModelOptions extends ArchitectureSpecOptions {
  /** Built-in architecture for weights-only HDF5 files. */
  arch?: string;
  /** The file's sha256 when already known (skips hashing it again). */
  sourceSha256?: string;
}

export interface ReadModel {
  spec: KerasModelSpec;
  /** Defaults implied by the file (built-in architectures). */
  defaults: {
    name?: string;
    architecture?: string;
    preprocessing?: Partial<Preprocessing>;
    labels?: Record<string, [string, string]>;
  };
}

/** A TF.js model folder stands for its model.json (or nsfwjs' model.min.js). */
async function modelFileIn(path: string): Promise<string> {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isDirectory()) return path;
  for (const name of ['model.json', 'model.min.js']) {
    const candidate = join(path, name);
    if (
      await stat(candidate).then(
        (s) => s.isFile(),
        () => false,
      )
    )
      return candidate;
  }
  throw new NetlensError(
    'invalid_argument',
    `${path} is a folder without model.json or model.min.js; pass a Keras .h5/.hdf5/.keras file or a TF.js model.json`,
    { details: { file: path } },
  );
}

/** Streaming sha256 of a file (VGG16 weights are 528 MB). */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Reads any supported Keras file by its content: full-model HDF5, weights-only HDF5 (needs `arch`),
 * Keras 3 .keras zip, TF.js layers model.json / nsfwjs model.min.js.
 */
export async function readModelFile(given: string, options: ReadModelOptions = {}): Promise<ReadModel> {
  const path = await modelFileIn(given);
  const kind = await detectFileKind(path);
  let result: ReadModel;
  if (kind === 'hdf5') {
    if (await h5HasModelConfig(path)) {
      result = { spec: await readKerasH5Model(path, options.onLayer), defaults: {} };
    } else if (options.arch) {
      const { arch, ...archOptions } = options;
      const s = await buildArchitectureSpec(arch, path, archOptions);
      result = {
        spec: {
          config: s.config,
          weights: s.weights,
          format: s.format,
          source: s.source,
          ...(s.kerasVersion ? { kerasVersion: s.kerasVersion } : {}),
        },
        defaults: {
          name: s.defaults.name,
          architecture: s.defaults.architecture,
          preprocessing: s.defaults.preprocessing,
          ...(s.defaults.labels ? { labels: s.defaults.labels } : {}),
        },
      };
    } else {
      // Validates the layout (and rejects files without weights) before asking for --arch.
      const { readWeightsOnlyH5 } = await import('./readers/keras-h5.js');
      const file = await readWeightsOnlyH5(path);
      throw new NetlensError(
        'invalid_argument',
        `${path} holds weights only (${file.layerNames.length} layers, no model_config). Pass --arch with one of ` +
          `${ARCHITECTURE_NAMES.join(', ')} to convert it with a built-in architecture.`,
        { details: { file: path, valid: [...ARCHITECTURE_NAMES] } },
      );
    }
  } else if (kind === 'zip') {
    result = { spec: await readKerasV3(path), defaults: {} };
  } else {
    result = { spec: await readTfjsLayers(path), defaults: {} };
  }
  if (options.arch && kind !== 'hdf5') {
    result.defaults.architecture = options.arch;
  }
  // A fine-tuned keras.applications backbone names the architecture, and so Keras' preprocessing for it.
  result.defaults.architecture ??= nestedBackbone(result.spec.config);
  result.spec.sourceSha256 = options.sourceSha256 ?? (await sha256File(path));
  return result;
}
