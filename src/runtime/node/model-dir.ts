import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { join, relative, resolve, sep } from 'node:path';
import { NetlensError, isNetlensError, messageOf } from '../../core/errors.js';
import { parseManifest, type Manifest } from '../../core/manifest.js';
import {
  type ModelSource,
  type Sha256Stream,
  type Variant,
  type VariantFile,
  checkModelBytes,
  modelFileError,
  variantFile,
  verifiedStream,
} from '../../core/model-source.js';

/** Models that `npm run models` builds offline from npm dependencies. */
export const BUILDABLE_MODELS = ['nsfw-mobilenet-v2', 'nsfw-inception-v3'] as const;
export type BuildableModel = (typeof BUILDABLE_MODELS)[number];
/** How to make a missing model, for error messages and `netlens models`. */
export const HOW_TO_BUILD =
  "run 'npm run models' to build the default models (nsfw-mobilenet-v2, nsfw-inception-v3), or " +
  "'netlens convert <keras file> --name <name>' to convert your own";

/** The installation's models/onnx: where `npm run models` builds, used when NETLENS_MODELS_DIR is not set. */
export const INSTALLED_MODELS_DIR = resolve(import.meta.dirname, '../../../models/onnx');

/** The models directory a setting names (relative to the working directory), else the installation's. */
export function modelsDirectory(setting: string | undefined): string {
  return setting === undefined ? INSTALLED_MODELS_DIR : resolve(setting);
}

export interface ModelDirectorySource extends ModelSource {
  /** Absolute path of the directory. */
  readonly dir: string;
  /** Every `*.json` in the directory: valid manifests, and the files that are not (with the reason). */
  scan(): Promise<{ manifests: Manifest[]; problems: { file: string; error: string }[] }>;
}

/**
 * A ModelSource over a directory of converted models: `<name>.json` manifests (validated with
 * parseManifest) next to their `.onnx` files, whose sha256 is checked before the bytes are returned.
 */
export function createModelDirectorySource(dir: string = INSTALLED_MODELS_DIR): ModelDirectorySource {
  const root = resolve(dir);

  async function scan(): Promise<{ manifests: Manifest[]; problems: { file: string; error: string }[] }> {
    let files: string[];
    try {
      files = (await readdir(root)).filter((f) => f.endsWith('.json')).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { manifests: [], problems: [] };
      throw error;
    }
    const manifests: Manifest[] = [];
    const problems: { file: string; error: string }[] = [];
    for (const file of files) {
      try {
        manifests.push(await readManifestFile(join(root, file)));
      } catch (error) {
        problems.push({ file, error: messageOf(error) });
      }
    }
    manifests.sort((a, b) => a.name.localeCompare(b.name));
    return { manifests, problems };
  }

  async function unknownModel(name: string, reason?: string): Promise<NetlensError> {
    const installed = (await scan()).manifests.map((m) => m.name);
    const list = installed.length > 0 ? installed.join(', ') : 'none';
    return new NetlensError(
      'unknown_model',
      `unknown model '${name}'${reason ? ` (${reason})` : ''}; installed in ${root}: ${list}. To add models, ${HOW_TO_BUILD}.`,
      { details: { model: name, installed, dir: root } },
    );
  }

  return {
    dir: root,
    scan,
    async list() {
      return (await scan()).manifests;
    },
    async manifest(name: string) {
      if (!/^[a-z0-9][a-z0-9._-]*$/.test(name)) throw await unknownModel(name, 'not a valid model name');
      const path = join(root, `${name}.json`);
      let manifest: Manifest;
      try {
        manifest = await readManifestFile(path);
      } catch (error) {
        if (isNetlensError(error)) throw error;
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw await unknownModel(name);
        throw error;
      }
      if (manifest.name !== name) {
        throw new NetlensError(
          'invalid_manifest',
          `${path} describes model '${manifest.name}', not '${name}'`,
        );
      }
      return manifest;
    },
    async modelBytes(manifest: Manifest, variant: Variant = 'model') {
      const file = variantFile(manifest, variant);
      const path = filePath(manifest, file);
      let bytes: Uint8Array;
      try {
        bytes = await readFile(path);
      } catch (error) {
        throw missingFile(manifest, file, error);
      }
      const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      return checkModelBytes(manifest, file, view, root);
    },
    async fileSize(manifest: Manifest, variant: Variant = 'model') {
      const path = filePath(manifest, variantFile(manifest, variant));
      return stat(path).then(
        (s) => s.size,
        () => undefined,
      );
    },
    async openModelFile(manifest: Manifest, variant: Variant = 'model') {
      const file = variantFile(manifest, variant);
      const path = filePath(manifest, file);
      let size: number;
      try {
        size = (await stat(path)).size;
      } catch (error) {
        throw missingFile(manifest, file, error);
      }
      const body = Readable.toWeb(createReadStream(path)) as ReadableStream<Uint8Array>;
      return { body: verifiedStream(manifest, file, root, body, nodeSha256()), size };
    },
  };

  function filePath(manifest: Manifest, file: VariantFile): string {
    const path = resolve(root, file.file);
    if (relative(root, path).startsWith(`..${sep}`) || relative(root, path) === '..') {
      throw new NetlensError(
        'invalid_manifest',
        `manifest of '${manifest.name}' points outside ${root}: ${file.file}`,
      );
    }
    return path;
  }

  function missingFile(manifest: Manifest, file: VariantFile, error: unknown): NetlensError {
    const reason = `${messageOf(error)}; ${HOW_TO_BUILD}`;
    return modelFileError(manifest, file, root, { missing: true, reason });
  }
}

/** node:crypto's sha256 as core's incremental hash. */
export function nodeSha256(): Sha256Stream {
  const hash = createHash('sha256');
  return {
    update: (chunk) => void hash.update(chunk),
    digest: async () => hash.digest('hex'),
  };
}

async function readManifestFile(path: string): Promise<Manifest> {
  const text = await readFile(path, 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new NetlensError('invalid_manifest', `${path} is not valid JSON: ${messageOf(error)}`);
  }
  return parseManifest(json, path);
}
