import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { extname, join, relative } from 'node:path';
import { NetlensError } from '../core/errors.js';

/** Image files a data set may hold (Keras' image_dataset_from_directory reads these and bmp/gif). */
export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp'] as const;

export interface LabelledImage {
  /** Path of the image file. */
  readonly file: string;
  /** Index into the data set's labels. */
  readonly label: number;
}

export interface Dataset {
  readonly dir: string;
  /** Folder names, sorted (class index order, as Keras). */
  readonly labels: readonly string[];
  readonly images: readonly LabelledImage[];
  /** Files that are not images by their extension, and files outside the label folders. */
  readonly ignored: readonly string[];
}

/**
 * Reads `<dir>/<label>/[folders/]<image>.{jpg,jpeg,png,webp}` — Keras' `image_dataset_from_directory` layout: one
 * folder per label, in name order; hidden entries skipped. Throws invalid_dataset when the directory is
 * missing or holds fewer than two label folders.
 */
export async function scanDataset(dir: string, minLabels = 2): Promise<Dataset> {
  const entries = await entriesOf(dir);
  const labels = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const ignored = entries.filter((e) => !e.isDirectory()).map((e) => join(dir, e.name));
  if (labels.length < minLabels) {
    throw new NetlensError(
      'invalid_dataset',
      `${dir} has ${labels.length} label folder(s)${labels.length ? ` (${labels.join(', ')})` : ''}; ` +
        `netlens train needs at least ${minLabels}: ${join(dir, '<label>', 'image.jpg')}, one folder per label`,
      { details: { dir, labels } },
    );
  }
  const images: LabelledImage[] = [];
  for (const [label, name] of labels.entries()) {
    for (const file of await walk(join(dir, name))) {
      if ((IMAGE_EXTENSIONS as readonly string[]).includes(extname(file).toLowerCase())) {
        images.push({ file, label });
      } else ignored.push(file);
    }
  }
  return { dir, labels, images, ignored };
}

async function entriesOf(dir: string): Promise<Dirent[]> {
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error('not a directory');
    return (await readdir(dir, { withFileTypes: true })).filter((e) => !e.name.startsWith('.'));
  } catch (error) {
    throw new NetlensError('invalid_dataset', `cannot read the data set directory ${dir}: ${String(error)}`, {
      cause: error,
      details: { dir },
    });
  }
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = (await readdir(dir, { withFileTypes: true }))
    .filter((e) => !e.name.startsWith('.'))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/** Images per label, in label order. */
export function countPerLabel(images: readonly LabelledImage[], labels: number): number[] {
  const counts = new Array<number>(labels).fill(0);
  for (const image of images) counts[image.label]!++;
  return counts;
}

/**
 * Throws invalid_dataset naming every label with fewer than `minimum` images (`what` says which
 * images were counted, e.g. 'readable images').
 */
export function requireImagesPerLabel(
  labels: readonly string[],
  counts: readonly number[],
  minimum: number,
  what = 'images',
): void {
  const short = labels.flatMap((label, i) =>
    (counts[i] ?? 0) < minimum ? [{ label, images: counts[i] ?? 0 }] : [],
  );
  if (short.length === 0) return;
  throw new NetlensError(
    'invalid_dataset',
    `every label needs at least ${minimum} ${what} (--min-images); too few in: ` +
      short.map((s) => `${s.label} (${s.images})`).join(', '),
    { details: { minimum, labels: short } },
  );
}

/**
 * A held-out test set in the same layout: its labels must be the training labels (a subset is fine);
 * images are labelled with the training set's class indices.
 */
export function relabel(test: Dataset, labels: readonly string[]): LabelledImage[] {
  const unknown = test.labels.filter((l) => !labels.includes(l));
  if (unknown.length > 0) {
    throw new NetlensError(
      'invalid_dataset',
      `the test set ${test.dir} has label folder(s) the training set does not: ${unknown.join(', ')} ` +
        `(training labels: ${labels.join(', ')})`,
      { details: { unknown, labels } },
    );
  }
  return test.images.map((image) => ({ file: image.file, label: labels.indexOf(test.labels[image.label]!) }));
}

/** `file` relative to the data set directory, for messages and the report. */
export function displayPath(dataset: Pick<Dataset, 'dir'>, file: string): string {
  return relative(dataset.dir, file);
}
