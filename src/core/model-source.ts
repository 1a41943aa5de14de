import { NetlensError } from './errors.js';
import { sha256Hex } from './hash.js';
import type { Manifest } from './manifest.js';

/** The two ONNX files a model may have: the classifier, and its penultimate-features variant (/embed). */
export type Variant = 'model' | 'features';
const VARIANTS: readonly Variant[] = ['model', 'features'];

/**
 * Where models come from: a directory on Node, static assets or R2 in a Worker, HTTP in a browser.
 * Implementations verify the manifest's sha256 before returning model bytes (`checkModelBytes`) and
 * throw NetlensError('unknown_model') listing the available names for a name they do not have.
 */
export interface ModelSource {
  /** Manifests of every model this source can serve, sorted by name. */
  list(): Promise<Manifest[]>;
  manifest(name: string): Promise<Manifest>;
  /** The ONNX bytes of the classifier ('model') or of its penultimate-features variant ('features'). */
  modelBytes(manifest: Manifest, variant?: Variant): Promise<Uint8Array>;
}

/** What one variant of a model is: its file (relative to the manifest), sha256, output name and size. */
export interface VariantFile {
  readonly variant: Variant;
  readonly file: string;
  readonly sha256: string;
  readonly output: string;
  readonly size: number;
}

/** The file, hash and output of `variant`; not_found (naming the variants there are) when it has none. */
export function variantFile(manifest: Manifest, variant: Variant): VariantFile {
  if (variant === 'model') {
    return {
      variant,
      file: manifest.file,
      sha256: manifest.sha256.model,
      output: manifest.output.name,
      size: manifest.output.size,
    };
  }
  const features = manifest.features;
  if (features === undefined) {
    throw new NetlensError('not_found', `model '${manifest.name}' has no features variant (embeddings)`, {
      details: { model: manifest.name, variants: ['model'] },
    });
  }
  return {
    variant,
    file: features.file,
    sha256: features.sha256,
    output: features.output,
    size: features.size,
  };
}

/** Every file a model has, the manifest first (what a deployment copies). */
export function modelFiles(manifest: Manifest): string[] {
  return [
    `${manifest.name}.json`,
    ...VARIANTS.filter((v) => v === 'model' || manifest.features !== undefined).map(
      (v) => variantFile(manifest, v).file,
    ),
  ];
}

/**
 * The one error for a model file that cannot be served as its manifest promises — missing, unreadable
 * or changed: `integrity_error` on every runtime. `where` names the store for operators' logs.
 */
export function modelFileError(
  manifest: Manifest,
  file: VariantFile,
  where: string,
  problem: { missing: true; reason?: string } | { missing: false; actual: string },
): NetlensError {
  const what = problem.missing
    ? `is missing from ${where}${problem.reason === undefined ? '' : ` (${problem.reason})`}`
    : `in ${where} does not match its manifest (sha256 ${problem.actual}, manifest says ${file.sha256}): it was changed or only partly written`;
  return new NetlensError('integrity_error', `${file.file} of model '${manifest.name}' ${what}`, {
    details: {
      model: manifest.name,
      variant: file.variant,
      ...(problem.missing ? { missing: true } : { expected: file.sha256, actual: problem.actual }),
    },
  });
}

/** Returns `bytes` when their sha256 is the manifest's, else throws modelFileError. */
export async function checkModelBytes(
  manifest: Manifest,
  file: VariantFile,
  bytes: Uint8Array,
  where: string,
): Promise<Uint8Array> {
  const actual = await sha256Hex(bytes);
  if (actual !== file.sha256) throw modelFileError(manifest, file, where, { missing: false, actual });
  return bytes;
}
