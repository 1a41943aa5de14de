import { NetlensError } from '../../core/errors.js';
import { type Manifest, parseManifest } from '../../core/manifest.js';
import {
  type ModelSource,
  type Sha256Stream,
  type StoredModelFile,
  type Variant,
  checkModelBytes,
  modelFileError,
  variantFile,
  verifiedStream,
} from '../../core/model-source.js';

/** Reads one stored file by its path (relative to the models root); undefined when it does not exist. */
export type ReadBlob = (path: string) => Promise<Uint8Array | undefined>;

/** A store's access to its files by path (relative to the models root); undefined when a file does not exist. */
export interface BlobStore {
  /** The whole file (manifests, and model bytes for the engine). */
  read: ReadBlob;
  /** The file as a stream, with its size when the store knows it. */
  open(path: string): Promise<StoredModelFile | undefined>;
  /** The stored size without reading the file. */
  size(path: string): Promise<number | undefined>;
  /** The host's incremental sha256, for streamed files. */
  sha256(): Sha256Stream;
}

export interface BlobModelSourceOptions extends BlobStore {
  /** Model names this source serves (`<name>.json` manifests next to their .onnx files). */
  names: readonly string[];
  /** Where the files are, for messages: 'static assets /models/', 'R2 bucket netlens-models', a URL. */
  location: string;
  /**
   * Called before a model file is read; throws to refuse it (e.g. a model too large for a Worker
   * isolate, checked from its stored size so the bytes are never loaded).
   */
  admit?: (model: string, file: string) => Promise<void>;
}

/**
 * A ModelSource over any blob store: Workers static assets or an R2 bucket.
 * Manifests are validated with parseManifest and model bytes checked against the manifest's sha256.
 */
export function createBlobModelSource(options: BlobModelSourceOptions): ModelSource {
  const names = [...options.names].sort();
  const manifests = new Map<string, Promise<Manifest>>();

  const manifest = (name: string): Promise<Manifest> => {
    if (!names.includes(name)) {
      return Promise.reject(
        new NetlensError(
          'unknown_model',
          `unknown model '${name}'; available: ${names.join(', ') || '(none)'}`,
          { details: { model: name, available: names } },
        ),
      );
    }
    let pending = manifests.get(name);
    if (pending === undefined) {
      pending = readManifest(options, name);
      pending.catch(() => manifests.delete(name));
      manifests.set(name, pending);
    }
    return pending;
  };

  return {
    list: () => Promise.all(names.map(manifest)),
    manifest,
    async modelBytes(m: Manifest, variant: Variant = 'model'): Promise<Uint8Array> {
      const file = variantFile(m, variant);
      await options.admit?.(m.name, file.file);
      const bytes = await options.read(file.file);
      if (bytes === undefined) throw modelFileError(m, file, options.location, { missing: true });
      return checkModelBytes(m, file, bytes, options.location);
    },
    fileSize: (m: Manifest, variant: Variant = 'model') => options.size(variantFile(m, variant).file),
    async openModelFile(m: Manifest, variant: Variant = 'model'): Promise<StoredModelFile> {
      const file = variantFile(m, variant);
      const stored = await options.open(file.file);
      if (stored === undefined) throw modelFileError(m, file, options.location, { missing: true });
      const body = verifiedStream(m, file, options.location, stored.body, options.sha256());
      return { body, size: stored.size };
    },
  };
}

async function readManifest(options: BlobModelSourceOptions, name: string): Promise<Manifest> {
  const path = `${name}.json`;
  const bytes = await options.read(path);
  if (bytes === undefined) {
    throw new NetlensError(
      'unknown_model',
      `model '${name}' is configured but ${path} is missing from ${options.location}`,
      { details: { model: name } },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new NetlensError('invalid_manifest', `${path} in ${options.location} is not JSON`, {
      cause: error,
    });
  }
  const manifest = parseManifest(json, path);
  if (manifest.name !== name) {
    throw new NetlensError(
      'invalid_manifest',
      `${path} names the model '${manifest.name}', expected '${name}'`,
    );
  }
  return manifest;
}
