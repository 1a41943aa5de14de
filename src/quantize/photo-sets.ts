import path from 'node:path';
import { NetlensError } from '../core/errors.js';
import { readPhotoSet, subset, type PhotoSet } from './photo-set.js';

/**
 * Which photos calibrate and which measure agreement. The calibration set is `--calibration DIR` or the
 * license-clean photos that ship in models/calibration (docs/quantize.md lists them). Agreement is
 * measured on `--holdout DIR`, or, without it, on every 4th photo of the calibration directory, which is
 * then left out of calibration: a photo is never used for both. An int8 calibration below
 * MIN_CALIBRATION_PHOTOS is refused; below RECOMMENDED_CALIBRATION_PHOTOS it is reported as a warning.
 */
export const DEFAULT_CALIBRATION_DIR = path.resolve(import.meta.dirname, '../../models/calibration');
export const MIN_CALIBRATION_PHOTOS = 8;
export const RECOMMENDED_CALIBRATION_PHOTOS = 12;
const HOLDOUT_EVERY = 4;

export interface PhotoSets {
  /** Undefined for fp16 (nothing to calibrate). */
  calibration: PhotoSet | undefined;
  holdout: PhotoSet;
  /** How the held-out set was chosen, for the summary and the manifest. */
  holdoutSource: string;
  warnings: string[];
}

export interface PhotoSetOptions {
  kind: 'int8' | 'fp16';
  calibration?: string;
  holdout?: string;
}

export async function choosePhotoSets(options: PhotoSetOptions): Promise<PhotoSets> {
  const calibrationDir = path.resolve(options.calibration ?? DEFAULT_CALIBRATION_DIR);
  const given = options.holdout
    ? await readPhotoSet(path.resolve(options.holdout), 'held-out photo')
    : undefined;
  if (options.kind === 'fp16') {
    const holdout = given ?? (await readPhotoSet(calibrationDir, 'photo'));
    requireSome(holdout, 'held-out');
    return { calibration: undefined, holdout, holdoutSource: holdout.dir, warnings: [] };
  }
  const all = await readPhotoSet(calibrationDir, 'calibration photo');
  let calibration = all;
  let holdout: PhotoSet;
  let holdoutSource: string;
  if (given) {
    holdout = given;
    holdoutSource = given.dir;
    const shared = holdout.files.filter((f) =>
      [...all.digests.values()].includes(holdout.digests.get(f) ?? ''),
    );
    if (shared.length > 0) {
      throw new NetlensError(
        'invalid_argument',
        `held-out photos must not be calibration photos: ${shared.join(', ')} in ${holdout.dir} also ${shared.length === 1 ? 'is' : 'are'} in ${all.dir}`,
        { details: { shared } },
      );
    }
  } else {
    holdout = subset(
      all,
      all.files.filter((_, i) => i % HOLDOUT_EVERY === HOLDOUT_EVERY - 1),
    );
    calibration = subset(
      all,
      all.files.filter((_, i) => i % HOLDOUT_EVERY !== HOLDOUT_EVERY - 1),
    );
    holdoutSource = `every ${HOLDOUT_EVERY}th photo of ${all.dir} (by name), left out of calibration`;
  }
  const heldBack = all.files.length - calibration.files.length;
  if (calibration.files.length < MIN_CALIBRATION_PHOTOS) {
    throw new NetlensError(
      'invalid_argument',
      `calibration set too small: ${calibration.files.length} photo(s) from ${all.dir}${heldBack > 0 ? ` after holding out ${heldBack} to measure agreement (give --holdout DIR to keep them all)` : ''}; int8 needs at least ${MIN_CALIBRATION_PHOTOS} (${RECOMMENDED_CALIBRATION_PHOTOS}+ recommended) photos like the ones the model will classify`,
      { details: { photos: calibration.files.length, minimum: MIN_CALIBRATION_PHOTOS, dir: all.dir } },
    );
  }
  requireSome(holdout, 'held-out');
  const warnings =
    calibration.files.length < RECOMMENDED_CALIBRATION_PHOTOS
      ? [
          `calibration set is small: ${calibration.files.length} photos (${RECOMMENDED_CALIBRATION_PHOTOS}+ recommended); activation ranges may miss what other photos produce — check the agreement figures`,
        ]
      : [];
  return { calibration, holdout, holdoutSource, warnings };
}

function requireSome(set: PhotoSet, what: string): void {
  if (set.files.length === 0) {
    throw new NetlensError(
      'invalid_argument',
      `no ${what} photos in ${set.dir} (.jpg, .png, .webp, .gif, .tiff, .avif)`,
      {
        details: { dir: set.dir },
      },
    );
  }
}
