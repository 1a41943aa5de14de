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
  /** The stored size of a variant's file in bytes, without reading it; undefined when the store cannot tell. */
  fileSize(manifest: Manifest, variant?: Variant): Promise<number | undefined>;
  /**
   * The variant's file as a stream, never read whole (for clients that run the model themselves),
   * checked against the manifest's sha256 on the way (`verifiedStream`).
   */
  openModelFile(manifest: Manifest, variant?: Variant): Promise<StoredModelFile>;
}

/** A model file streamed from its store. */
export interface StoredModelFile {
  readonly body: ReadableStream<Uint8Array>;
  /** Its length in bytes when the store knows it (for Content-Length and download progress). */
  readonly size: number | undefined;
}

/** An incremental sha256: each runtime supplies its native one (node:crypto, Workers' DigestStream). */
export interface Sha256Stream {
  update(chunk: Uint8Array): void;
  /** Lowercase hex, once every chunk has been given. */
  digest(): Promise<string>;
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

/**
 * `body` unchanged, hashed as it passes: the last chunk is held back until the whole file's sha256 is
 * known, and when it is not the manifest's the stream fails with modelFileError instead of ending — so a
 * client (or a cache in between) never receives a complete file that differs from its manifest.
 */
export function verifiedStream(
  manifest: Manifest,
  file: VariantFile,
  where: string,
  body: ReadableStream<Uint8Array>,
  hash: Sha256Stream,
): ReadableStream<Uint8Array> {
  let held: Uint8Array | undefined;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        hash.update(chunk);
        if (held !== undefined) controller.enqueue(held);
        held = chunk;
      },
      async flush(controller) {
        const actual = await hash.digest();
        if (actual !== file.sha256) throw modelFileError(manifest, file, where, { missing: false, actual });
        if (held !== undefined) controller.enqueue(held);
      },
    }),
  );
}
