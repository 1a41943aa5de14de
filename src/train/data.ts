import { NetlensError } from '../core/errors.js';
import {
  type Dataset,
  type LabelledImage,
  countPerLabel,
  relabel,
  requireImagesPerLabel,
  scanDataset,
} from './dataset.js';
import type { ImageRequest } from './extract.js';
import type { ImageVariant } from './extractors.js';
import type { TrainOptions } from './options.js';
import { seededRandom } from './random.js';
import { type Split, splitValidation } from './split.js';

/** The images of one training run: the data set, its seeded split, the held-out test images. */
export interface TrainingData {
  readonly dataset: Dataset;
  readonly split: Split;
  /** Held-out images (`--test`), labelled with the training labels; empty without --test. */
  readonly test: readonly LabelledImage[];
  /** Every image once, with the variants it needs (mirrored copies for training with --augment flip). */
  readonly requests: readonly ImageRequest[];
}

/** Scans the data set (and test set), checks it can be learnt from, and splits it. */
export async function loadData(options: TrainOptions): Promise<TrainingData> {
  if (options.validation === 0 && options.test === undefined) {
    throw new NetlensError(
      'invalid_argument',
      '--val 0 leaves nothing to evaluate the model on: give a held-out directory with --test <dir>',
    );
  }
  const dataset = await scanDataset(options.dir);
  requireImagesPerLabel(
    dataset.labels,
    countPerLabel(dataset.images, dataset.labels.length),
    options.minImages,
  );
  const test = options.test === undefined ? [] : relabel(await scanDataset(options.test, 1), dataset.labels);
  const split = splitValidation(
    dataset.images,
    dataset.labels.length,
    options.validation,
    seededRandom(options.seed),
  );
  const trainVariants: ImageVariant[] = options.augment.includes('flip') ? ['plain', 'flip'] : ['plain'];
  const requests = [
    ...split.train.map((image) => ({ file: image.file, variants: trainVariants })),
    ...[...split.validation, ...test].map((image) => ({ file: image.file, variants: ['plain' as const] })),
  ];
  return { dataset, split, test, requests };
}
