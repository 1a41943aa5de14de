import { createHash } from 'node:crypto';
import { countPerLabel, requireImagesPerLabel, type LabelledImage } from './dataset.js';
import type { Extracted } from './extract.js';
import type { TrainingData } from './data.js';
import type { LabelledMatrix } from './head.js';

/** The rows one extractor gave, as the head's training, validation and test matrices. */
export interface FeatureSets {
  readonly train: LabelledMatrix;
  readonly validation: LabelledMatrix;
  readonly test: LabelledMatrix;
}

function matrix(
  images: readonly LabelledImage[],
  extracted: Extracted,
  extractor: number,
  size: number,
  variants: readonly ('plain' | 'flip')[],
): LabelledMatrix {
  const rows: Float32Array[] = [];
  const labels: number[] = [];
  for (const image of images) {
    const found = extracted.images.get(image.file)?.rows[extractor];
    for (const variant of variants) {
      const row = found?.[variant];
      if (row === undefined) continue;
      rows.push(row);
      labels.push(image.label);
    }
  }
  const data = new Float32Array(rows.length * size);
  rows.forEach((row, i) => data.set(row, i * size));
  return { data, rows: rows.length, cols: size, labels: Int32Array.from(labels) };
}

/** Matrices of extractor `extractor` (rows of `size` values); skipped images are left out. */
export function featureSets(
  data: TrainingData,
  extracted: Extracted,
  extractor: number,
  size: number,
): FeatureSets {
  return {
    train: matrix(data.split.train, extracted, extractor, size, ['plain', 'flip']),
    validation: matrix(data.split.validation, extracted, extractor, size, ['plain']),
    test: matrix(data.test, extracted, extractor, size, ['plain']),
  };
}

/** Checks every label still has --min-images readable images once the unreadable ones are skipped. */
export function requireReadable(data: TrainingData, extracted: Extracted, minImages: number): void {
  const readable = data.dataset.images.filter((image) => extracted.images.has(image.file));
  const labels = data.dataset.labels;
  requireImagesPerLabel(labels, countPerLabel(readable, labels.length), minImages, 'readable images');
}

/** sha256 over the sorted `label/sha256` lines of the data set's readable images. */
export function datasetSha256(data: TrainingData, extracted: Extracted): string {
  const lines = data.dataset.images.flatMap((image) => {
    const sha = extracted.images.get(image.file)?.sha256;
    return sha === undefined ? [] : [`${data.dataset.labels[image.label]}/${sha}`];
  });
  return createHash('sha256').update(lines.sort().join('\n')).digest('hex');
}
