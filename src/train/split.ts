import type { LabelledImage } from './dataset.js';
import { type Random, shuffled } from './random.js';

export interface Split {
  readonly train: LabelledImage[];
  readonly validation: LabelledImage[];
}

/**
 * A stratified validation split: per label, `fraction` of its images (rounded, at least one when the
 * fraction is above 0 and the label has two or more) drawn with the seeded generator. Both parts keep
 * the data set's order, so the split depends only on the files and the seed.
 */
export function splitValidation(
  images: readonly LabelledImage[],
  labels: number,
  fraction: number,
  random: Random,
): Split {
  const held = new Set<LabelledImage>();
  for (let label = 0; label < labels; label++) {
    const own = images.filter((image) => image.label === label);
    const wanted = fraction > 0 && own.length >= 2 ? Math.max(1, Math.round(own.length * fraction)) : 0;
    for (const image of shuffled(own, random).slice(0, Math.min(wanted, own.length - 1))) held.add(image);
  }
  return {
    train: images.filter((image) => !held.has(image)),
    validation: images.filter((image) => held.has(image)),
  };
}
