import { NetlensError, isNetlensError, messageOf } from '../core/errors.js';
import { sniffImageFormat } from '../core/image-format.js';
import type { ImageFormat } from '../core/image-types.js';
import type { Manifest } from '../core/manifest.js';
import type { Variant } from '../core/model-source.js';
import type { PreparedImage } from '../core/prepare.js';
import { roundMs } from '../core/units.js';
import type { RequestImage } from './body.js';
import type { AppDeps } from './env.js';
import type { Logger } from './logger.js';

/** What the answer says about one image besides its result. */
export interface ImageFacts {
  name: string;
  format: ImageFormat;
  width: number;
  height: number;
}

export interface InferredImage {
  facts: ImageFacts;
  /** The model's output row for this image (probabilities/logits, or features). */
  row: Float32Array;
  timings: {
    decodeMs: number;
    preprocessMs: number;
    queueMs: number;
    inferenceMs: number;
    batchSize: number;
    totalMs: number;
  };
}

export interface InferRequest {
  model: string;
  variant: Variant;
  manifest: Manifest;
  images: readonly RequestImage[];
  signal: AbortSignal;
  logger: Logger;
  /** When the request started (performance.now()), for totalMs. */
  startedAt: number;
}

/**
 * The HTTP side of the pipeline: each image is decoded and preprocessed (the runtime kit's prepareImage,
 * through the decoding gate), then all of them go through the model's batcher (core runRows), and
 * each comes back with its output row and timings. A failing image of several is named in the error.
 */
export async function infer(
  deps: Pick<AppDeps, 'config' | 'prepareImage' | 'decoding' | 'inference'>,
  request: InferRequest,
): Promise<{ provider: string; items: InferredImage[] }> {
  const many = request.images.length > 1;
  const prepared = await Promise.all(
    request.images.map(async (image) => {
      try {
        const release = await deps.decoding.acquire(request.signal);
        try {
          return await prepare(deps, image, request);
        } finally {
          release();
        }
      } catch (error) {
        if (!many || !isNetlensError(error)) throw error;
        throw new NetlensError(error.code, `${image.name}: ${error.message}`, {
          cause: error,
          details: { ...error.details, image: image.name },
        });
      }
    }),
  );
  const outputs = await deps.inference.run(
    request.model,
    request.variant,
    prepared.map((p) => p.tensor),
    request.signal,
  );
  const totalMs = roundMs(performance.now() - request.startedAt);
  return {
    provider: outputs[0]!.output.provider,
    items: prepared.map((p, i) => {
      const { output, queueMs, runMs, batchSize } = outputs[i]!;
      return {
        facts: p.facts,
        row: output.row,
        timings: { ...p.timings, queueMs: roundMs(queueMs), inferenceMs: roundMs(runMs), batchSize, totalMs },
      };
    }),
  };
}

async function prepare(
  deps: Pick<AppDeps, 'config' | 'prepareImage'>,
  image: RequestImage,
  request: InferRequest,
) {
  const { formats, maxPixels } = deps.config;
  const format = sniffImageFormat(image.bytes);
  if (!format || !formats.includes(format)) {
    throw new NetlensError(
      'unsupported_media_type',
      format
        ? `${format} images are not accepted here; accepted: ${formats.join(', ')}`
        : `the bytes are not an image format this server decodes (${formats.join(', ')}); the format is detected from the bytes, not the Content-Type`,
      { details: { accepted: formats, ...(format && { detected: format }) } },
    );
  }
  let prepared: PreparedImage;
  try {
    prepared = await deps.prepareImage(image.bytes, request.manifest, { maxPixels, format });
  } catch (error) {
    if (isNetlensError(error)) throw error;
    request.logger.warn({ err: error, format }, 'decoder failed on a request image');
    throw new NetlensError('bad_image', `the ${format} image could not be decoded: ${messageOf(error)}`);
  }
  return {
    tensor: prepared.tensor,
    facts: { name: image.name, format: prepared.format, width: prepared.width, height: prepared.height },
    timings: { decodeMs: roundMs(prepared.decodeMs), preprocessMs: roundMs(prepared.preprocessMs) },
  };
}
