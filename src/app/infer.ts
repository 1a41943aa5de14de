import { NetlensError, isNetlensError, messageOf } from '../core/errors.js';
import { sniffImageFormat } from '../core/image-format.js';
import type { ImageFormat } from '../core/image-types.js';
import type { Manifest } from '../core/manifest.js';
import type { Variant } from '../core/model-source.js';
import type { PreparedImage } from '../core/prepare.js';
import { decodeCost } from '../core/image/decode-cost.js';
import { readImageHeader } from '../core/image/header.js';
import { mib, roundMs } from '../core/units.js';
import type { RequestImage } from './body.js';
import type { AppConfig } from './config.js';
import type { AppDeps } from './env.js';
import type { Logger } from './logger.js';

/** What the answer says about one image besides its result. */
export interface ImageFacts {
  name: string;
  format: ImageFormat;
  width: number;
  height: number;
}

/**
 * How long each step took (ms). On a runtime whose clock stands still during CPU work (clock 'io':
 * Cloudflare Workers) the CPU-bound steps are null — not measured — and totalMs is the time the request
 * spent waiting on I/O (reading the body, loading a model): the answer says which with `clock`.
 */
export interface Timings {
  decodeMs: number | null;
  preprocessMs: number | null;
  queueMs: number | null;
  inferenceMs: number | null;
  batchSize: number;
  totalMs: number;
  clock: 'wall' | 'io';
}

export interface InferredImage {
  facts: ImageFacts;
  /** The model's output row for this image (probabilities/logits, or features). */
  row: Float32Array;
  timings: Timings;
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
  deps: Pick<AppDeps, 'config' | 'prepareImage' | 'decoding' | 'inference' | 'metrics'>,
  request: InferRequest,
): Promise<{ provider: string; items: InferredImage[] }> {
  const many = request.images.length > 1;
  const prepared = await Promise.all(
    request.images.map(async (image) => {
      try {
        const format = acceptedFormat(deps.config, image.bytes);
        const release = await deps.decoding.acquire(
          request.signal,
          admissionCost(deps.config, image.bytes, format),
        );
        try {
          return await prepare(deps, image, format, request);
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
  const clock = deps.config.clock;
  const measured = (ms: number): number | null => (clock === 'wall' ? roundMs(ms) : null);
  return {
    provider: outputs[0]!.output.provider,
    items: prepared.map((p, i) => {
      const { output, queueMs, runMs, batchSize } = outputs[i]!;
      const timings: Timings = {
        decodeMs: measured(p.timings.decodeMs),
        preprocessMs: measured(p.timings.preprocessMs),
        queueMs: measured(queueMs),
        inferenceMs: measured(runMs),
        batchSize,
        totalMs,
        clock,
      };
      return { facts: p.facts, row: output.row, timings };
    }),
  };
}

/** The format the bytes are in, when this server accepts it (unsupported_media_type otherwise). */
function acceptedFormat(config: AppConfig, bytes: Uint8Array): ImageFormat {
  const { formats } = config;
  const format = sniffImageFormat(bytes);
  if (!format || !formats.includes(format)) {
    throw new NetlensError(
      'unsupported_media_type',
      format
        ? `${format} images are not accepted here; accepted: ${formats.join(', ')}`
        : `the bytes are not an image format this server decodes (${formats.join(', ')}); the format is detected from the bytes, not the Content-Type`,
      { details: { accepted: formats, ...(format && { detected: format }) } },
    );
  }
  return format;
}

/**
 * The memory the image may take while it is decoded and preprocessed, from its header (core
 * decodeCost): what it declares to the decoding gate. An image that alone needs more than the whole
 * decode budget is refused here, before any pixel is decoded.
 */
function admissionCost(config: AppConfig, bytes: Uint8Array, format: ImageFormat): number {
  const { maxPixels, decodeBudgetBytes } = config;
  const header = readImageHeader(bytes, format);
  const cost = decodeCost(header, maxPixels);
  if (cost <= decodeBudgetBytes) return cost;
  const what = header
    ? `this ${header.width}×${header.height} image (${header.channels} channels, ${header.bitsPerSample}-bit)`
    : `this ${format} image (unreadable header: counted as 16-bit RGBA at the pixel limit)`;
  throw new NetlensError(
    'image_too_large',
    `decoding ${what} needs about ${mib(cost)}, more than the decode budget of ${mib(decodeBudgetBytes)} allows`,
    { details: { ...header, estimatedBytes: cost, decodeBudgetBytes } },
  );
}

async function prepare(
  deps: Pick<AppDeps, 'config' | 'prepareImage' | 'metrics'>,
  image: RequestImage,
  format: ImageFormat,
  request: InferRequest,
) {
  const { maxPixels } = deps.config;
  let prepared: PreparedImage;
  try {
    prepared = await deps.prepareImage(image.bytes, request.manifest, { maxPixels, format });
  } catch (error) {
    if (isNetlensError(error)) throw error;
    // A request that was abandoned (deadline, client gone, shutdown) may see its decoder torn down.
    if (request.signal.aborted) throw request.signal.reason;
    request.logger.warn({ err: error, format }, 'decoder failed on a request image');
    throw new NetlensError('bad_image', `the ${format} image could not be decoded: ${messageOf(error)}`);
  }
  deps.metrics.observeDecode(prepared.format, prepared.decoder);
  return {
    tensor: prepared.tensor,
    facts: { name: image.name, format: prepared.format, width: prepared.width, height: prepared.height },
    timings: { decodeMs: prepared.decodeMs, preprocessMs: prepared.preprocessMs },
  };
}
