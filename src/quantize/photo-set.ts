import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Float32Tensor } from '../core/engine.js';
import { NetlensError, isNetlensError, messageOf } from '../core/errors.js';
import { applyOrientation, preprocessImage, readExifOrientation } from '../core/image/index.js';
import type { Manifest } from '../core/manifest.js';
import { decodeImage } from '../runtime/node/decode-image.js';
import { applyVariant, type Variant } from './augment.js';

/** A directory's photos, sorted by file name, with one hash for the whole set. */
export interface PhotoSet {
  dir: string;
  files: string[];
  /** sha256 of each file, by name. */
  digests: ReadonlyMap<string, string>;
  /** sha256 of the `sha256sum`-style listing ("<sha256>  <file>\n" per photo, sorted by name). */
  sha256: string;
}

export interface PreparedInput {
  file: string;
  variant: string;
  tensor: Float32Tensor;
}

const PHOTO_EXTENSIONS = /\.(jpe?g|png|webp|gif|tiff?|avif)$/i;

/** The photos in `dir` (by extension; subdirectories are not read). */
export async function readPhotoSet(dir: string, what: string): Promise<PhotoSet> {
  let names: string[];
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error('not a directory');
    names = await readdir(dir);
  } catch (error) {
    throw new NetlensError(
      'invalid_argument',
      `${what} directory ${dir} cannot be read: ${messageOf(error)}`,
      {
        details: { dir },
      },
    );
  }
  const files = names.filter((f) => PHOTO_EXTENSIONS.test(f)).sort();
  const digests = new Map<string, string>();
  for (const file of files) {
    digests.set(
      file,
      createHash('sha256')
        .update(await readFile(path.join(dir, file)))
        .digest('hex'),
    );
  }
  return subset({ dir, files, digests, sha256: '' }, files);
}

/** The photos `files` of `set`, with the hash of that listing. */
export function subset(set: PhotoSet, files: readonly string[]): PhotoSet {
  const sorted = [...files].sort();
  const listing = sorted.map((f) => `${set.digests.get(f) ?? ''}  ${f}\n`).join('');
  return {
    dir: set.dir,
    files: sorted,
    digests: new Map(sorted.map((f) => [f, set.digests.get(f) ?? ''])),
    sha256: createHash('sha256').update(listing).digest('hex'),
  };
}

/**
 * Decodes each photo with the product's Node decoder, applies its EXIF orientation, then each variant,
 * then the model's own preprocessing (the manifest's resize and normalisation): the tensors the served
 * model would be fed for those images.
 */
export async function prepareInputs(
  set: PhotoSet,
  spec: Pick<Manifest, 'input' | 'preprocessing'>,
  variantList: readonly Variant[],
): Promise<PreparedInput[]> {
  const out: PreparedInput[] = [];
  for (const file of set.files) {
    const bytes = new Uint8Array(await readFile(path.join(set.dir, file)));
    let upright;
    try {
      upright = applyOrientation(await decodeImage(bytes), readExifOrientation(bytes));
    } catch (error) {
      if (isNetlensError(error)) {
        throw new NetlensError(error.code, `${path.join(set.dir, file)}: ${error.message}`, { cause: error });
      }
      throw error;
    }
    for (const v of variantList) {
      const tensor = preprocessImage(applyVariant(upright, v), undefined, spec, { orient: false });
      out.push({ file, variant: v.name, tensor });
    }
  }
  return out;
}
