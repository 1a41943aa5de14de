import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Float32Tensor } from '../../core/engine.js';
import { preprocessImage } from '../../core/image/preprocess.js';
import type { Manifest } from '../../core/manifest.js';
import { decodeImage } from '../../runtime/node/decode-image.js';

const IMAGE_EXTENSIONS = /\.(jpe?g|png|webp|gif|tiff?|avif)$/i;

/** Decodes and preprocesses every image in `dir` as the manifest says (the inputs the runtimes will feed). */
export async function photoInputs(
  dir: string,
  spec: Pick<Manifest, 'input' | 'preprocessing'>,
  limit = Infinity,
): Promise<{ file: string; tensor: Float32Tensor }[]> {
  const files = (await readdir(dir))
    .filter((f) => IMAGE_EXTENSIONS.test(f))
    .sort()
    .slice(0, limit);
  const out: { file: string; tensor: Float32Tensor }[] = [];
  for (const file of files) {
    const bytes = new Uint8Array(await readFile(path.join(dir, file)));
    const image = await decodeImage(bytes);
    out.push({ file, tensor: preprocessImage(image, bytes, spec) });
  }
  return out;
}
