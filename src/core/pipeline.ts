/**
 * The one classification pipeline, in the halves every caller uses — the HTTP app (which batches
 * between the halves), the CLI (which decodes the next chunk while one runs), the browser classifier
 * and the conformance probe:
 *
 *   preprocess(image, manifest)         decoded pixels → [1, H, W, C] model input (core/image)
 *   runRows(session, inputs, output)    inputs → one engine call → one output row per image
 *   postprocess(row, manifest, top)     row → softmax (logits only) → top-k → labels
 *
 * `classify` joins them for callers with nothing to do in between.
 */
import { DEFAULT_TOP, type Prediction, predictions, validateTop } from './decode.js';
import type { EngineSession, Float32Tensor } from './engine.js';
import { NetlensError } from './errors.js';
import { preprocessImage, stackBatch } from './image/index.js';
import type { ResampleKernel } from './image/wasm-resample.js';
import type { DecodedImage } from './image-types.js';
import type { Manifest } from './manifest.js';

/** An image as a runtime decoded it, with its encoded bytes (for the EXIF orientation) when known. */
export interface PipelineImage {
  readonly decoded: DecodedImage;
  readonly bytes?: Uint8Array | undefined;
}

/** Faster ways to the same bytes that a runtime may supply (core/image/wasm-resample.ts). */
export interface PreprocessKernels {
  resample?: ResampleKernel | undefined;
}

/**
 * Decoded pixels → the model's input [1, H, W, C]: orientation, colour, resize, normalisation; written
 * into `out` when given (a recycled buffer of exactly H × W × C values), else into a new one.
 */
export function preprocess(
  image: PipelineImage,
  manifest: Pick<Manifest, 'input' | 'preprocessing'>,
  kernels: PreprocessKernels = {},
  out?: Float32Array,
): Float32Tensor {
  return preprocessImage(image.decoded, image.bytes, manifest, { resample: kernels.resample, out });
}

/**
 * Runs NHWC inputs (each [n, H, W, C]) as one batch and splits the named output into one row per
 * image, in input order. Rows are views into the engine's output. A session without that output is a
 * broken model file (`invalid_model_file`), not a caller error.
 */
export async function runRows(
  session: EngineSession,
  inputs: readonly Float32Tensor[],
  output: string,
): Promise<Float32Array[]> {
  if (inputs.length === 0) return [];
  const batch = inputs.length === 1 ? inputs[0]! : stackBatch(inputs);
  const images = batch.dims[0] ?? 0;
  const result = (await session.run(batch, [output]))[output];
  if (result === undefined) {
    throw new NetlensError(
      'invalid_model_file',
      `the model has no output '${output}' (it has: ${session.outputNames.join(', ')})`,
      { details: { output, outputs: [...session.outputNames] } },
    );
  }
  const size = images > 0 ? result.data.length / images : 0;
  if (result.dims[0] !== images || !Number.isInteger(size) || size < 1) {
    throw new NetlensError(
      'invalid_model_file',
      `output '${output}' has dims [${result.dims.join(', ')}] for a batch of ${images} image(s)`,
      { details: { output, dims: [...result.dims], images } },
    );
  }
  return Array.from({ length: images }, (_, i) => result.data.subarray(i * size, (i + 1) * size));
}

/** One output row → the top-k predictions with labels (softmax first for a model ending in logits). */
export function postprocess(
  row: Float32Array,
  manifest: Pick<Manifest, 'output' | 'labels'>,
  top: number = defaultTop(manifest),
): Prediction[] {
  return predictions(row, manifest, top);
}

/** Keras' default of 5, or the class count when the model has fewer classes. */
export function defaultTop(manifest: Pick<Manifest, 'output'>): number {
  return Math.min(DEFAULT_TOP, manifest.output.size);
}

/** preprocess → runRows → postprocess for a list of images, in one engine call. */
export async function classify(
  session: EngineSession,
  manifest: Manifest,
  images: readonly PipelineImage[],
  top: number = defaultTop(manifest),
  kernels: PreprocessKernels = {},
): Promise<Prediction[][]> {
  requireClasses(manifest);
  validateTop(top, manifest.output.size);
  const rows = await runRows(
    session,
    images.map((image) => preprocess(image, manifest, kernels)),
    manifest.output.name,
  );
  return rows.map((row) => postprocess(row, manifest, top));
}

/** Throws unless the model outputs class scores (a features model cannot classify). */
export function requireClasses(manifest: Manifest): void {
  if (manifest.output.kind === 'features') {
    throw new NetlensError(
      'invalid_argument',
      `model '${manifest.name}' outputs features, not class scores: it cannot classify`,
      { details: { model: manifest.name } },
    );
  }
}
