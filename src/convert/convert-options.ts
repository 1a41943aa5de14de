import { readdir, stat } from 'node:fs/promises';
import { NetlensError } from '../core/errors.js';
import { ManifestSchema, type ManifestInput, type Preprocessing } from '../core/manifest.js';
import { resolveLabels } from './labels.js';

/** The options of convertModelFile that can be checked without reading the model. */
export interface CheckableOptions {
  name?: string;
  labels?: string | ManifestInput['labels'];
  preprocessing?: Partial<Preprocessing>;
  verifyImages?: string;
  verifyRandom?: number;
  tolerance?: number;
}

const IMAGE_FILE = /\.(jpe?g|png|webp|gif|tiff?|avif)$/i;

function invalid(message: string, details: Record<string, unknown>): NetlensError {
  return new NetlensError('invalid_argument', message, { details });
}

/** --name: the manifest's rule, said the way a user can act on. */
export function checkModelName(name: string): void {
  if (ManifestSchema.shape.name.safeParse(name).success) return;
  const suggestion = name
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '');
  throw invalid(
    `--name '${name}' is not a valid model name: use lowercase letters, digits, '.', '_' or '-', starting with a ` +
      `letter or digit${suggestion ? ` (e.g. '${suggestion}')` : ''}`,
    { name, pattern: '^[a-z0-9][a-z0-9._-]*$' },
  );
}

function checkPreprocessing(p: Partial<Preprocessing>): void {
  const scaleOnly = (['factor', 'offset'] as const).filter((k) => p[k] !== undefined);
  if (p.mode !== undefined && p.mode !== 'scale' && scaleOnly.length > 0) {
    throw invalid(
      `--${scaleOnly.join(' and --')} apply to --preprocess scale only, not --preprocess ${p.mode}`,
      { mode: p.mode, options: scaleOnly },
    );
  }
  for (const k of scaleOnly) {
    const v = p[k];
    const values = Array.isArray(v) ? v : [v];
    if (!values.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw invalid(`--${k} must be a finite number (got ${String(v)})`, { [k]: v });
    }
  }
}

async function checkImagesDir(dir: string): Promise<void> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new NetlensError('not_found', `--verify-images: '${dir}' is not a directory`, { details: { dir } });
  }
  if (!(await readdir(dir)).some((f) => IMAGE_FILE.test(f))) {
    throw invalid(`--verify-images: '${dir}' holds no images (.jpg, .png, .webp, .gif, .tiff, .avif)`, {
      dir,
    });
  }
}

/**
 * Checks every option that does not need the model, before the model is read (a large file takes
 * seconds to minutes): the name, the preprocessing flags, the verification settings, and the labels
 * file, which is read here. Returns the labels resolved.
 */
export async function checkConvertOptions(
  options: CheckableOptions,
): Promise<ManifestInput['labels'] | undefined> {
  if (options.name !== undefined) checkModelName(options.name);
  checkPreprocessing(options.preprocessing ?? {});
  if (
    options.verifyRandom !== undefined &&
    !(Number.isInteger(options.verifyRandom) && options.verifyRandom >= 0)
  ) {
    throw invalid(`verifyRandom must be a whole number ≥ 0 (got ${options.verifyRandom})`, {
      verifyRandom: options.verifyRandom,
    });
  }
  if (options.tolerance !== undefined && !Number.isFinite(options.tolerance)) {
    throw invalid(`tolerance must be a finite number (got ${options.tolerance})`, {
      tolerance: options.tolerance,
    });
  }
  if (options.verifyImages !== undefined) await checkImagesDir(options.verifyImages);
  return typeof options.labels === 'string' ? resolveLabels(options.labels) : options.labels;
}
