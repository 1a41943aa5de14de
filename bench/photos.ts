/** The shared photos and a built-in model, loaded once for the benches (../shared/data/images). */
import { readFileSync, readdirSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import type { Float32Tensor } from '../src/core/engine.js';
import type { DecodedImage } from '../src/core/image-types.js';
import type { Manifest } from '../src/core/manifest.js';
import { preprocess } from '../src/core/pipeline.js';
import { createModelDirectorySource, INSTALLED_MODELS_DIR } from '../src/runtime/node/model-dir.js';
import { decodeImage } from '../src/runtime/node/decode-image.js';

export const PHOTOS_DIR = resolve(import.meta.dirname, '../../shared/data/images');
const TYPES: Record<string, string> = { '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png' };

export interface Photo {
  name: string;
  bytes: Uint8Array;
  /** Content-Type for HTTP. */
  type: string;
}

export function readPhotos(dir = PHOTOS_DIR): Photo[] {
  return readdirSync(dir)
    .filter((f) => TYPES[extname(f)])
    .sort()
    .map((name) => ({
      name,
      bytes: new Uint8Array(readFileSync(join(dir, name))),
      type: TYPES[extname(name)]!,
    }));
}

export interface BenchModel {
  manifest: Manifest;
  bytes: Uint8Array;
  photos: Photo[];
  decoded: DecodedImage[];
  /** The photos preprocessed for the model (core, TypeScript kernels: the same bytes as every kernel). */
  tensors: Float32Tensor[];
}

export async function loadBenchModel(name: string, modelsDir = INSTALLED_MODELS_DIR): Promise<BenchModel> {
  const source = createModelDirectorySource(modelsDir);
  const manifest = await source.manifest(name);
  const bytes = await source.modelBytes(manifest);
  const photos = readPhotos();
  const decoded = await Promise.all(photos.map((p) => decodeImage(p.bytes)));
  const tensors = decoded.map((d, i) => preprocess({ decoded: d, bytes: photos[i]!.bytes }, manifest));
  return { manifest, bytes, photos, decoded, tensors };
}
