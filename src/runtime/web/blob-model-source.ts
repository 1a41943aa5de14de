import { NetlensError } from '../../core/errors.js';
import { type Manifest, parseManifest } from '../../core/manifest.js';
import { type ModelSource, sha256Hex } from '../../core/model-source.js';

/** Reads one stored file by its path (relative to the models root); undefined when it does not exist. */
export type ReadBlob = (path: string) => Promise<Uint8Array | undefined>;

export interface BlobModelSourceOptions {
  /** Model names this source serves (`<name>.json` manifests next to their .onnx files). */
  names: readonly string[];
  read: ReadBlob;
  /** Where the files are, for messages: 'static assets /models/', 'R2 bucket netlens-models', a URL. */
  location: string;
  /**
   * Called before a model file is read; throws to refuse it (e.g. a model too large for a Worker
   * isolate, checked from its stored size so the bytes are never loaded).
   */
  admit?: (model: string, file: string) => Promise<void>;
}

/**
 * A ModelSource over any blob store: Workers static assets, an R2 bucket, or HTTP in a browser.
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
    async modelBytes(m: Manifest, variant: 'model' | 'features' = 'model'): Promise<Uint8Array> {
      const file = variant === 'model' ? m.file : m.features?.file;
      const expected = variant === 'model' ? m.sha256.model : m.features?.sha256;
      if (file === undefined || expected === undefined) {
        throw new NetlensError('not_found', `model '${m.name}' has no features variant`, {
          details: { model: m.name, variants: ['model'] },
        });
      }
      await options.admit?.(m.name, file);
      const bytes = await options.read(file);
      if (bytes === undefined) {
        throw new NetlensError(
          'not_found',
          `${file} of model '${m.name}' is missing from ${options.location}`,
          {
            details: { model: m.name, file },
          },
        );
      }
      const actual = await sha256Hex(bytes);
      if (actual !== expected) {
        throw new NetlensError(
          'integrity_error',
          `${file} in ${options.location} does not match its manifest (sha256 ${actual}, expected ${expected})`,
          { details: { model: m.name, file } },
        );
      }
      return bytes;
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
