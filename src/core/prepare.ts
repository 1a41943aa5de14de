/**
 * Encoded bytes → the model's input: the runtime's decoder, then core preprocessing. `PrepareImage` is
 * the capability the HTTP app takes from a runtime kit, so that a kit may run it elsewhere (the Node kit
 * runs it in a pool of worker threads, off the HTTP thread); `prepareInThread` is the plain version.
 */
import type { Float32Tensor } from './engine.js';
import type { ResampleKernel } from './image/wasm-resample.js';
import type { ImageDecoder, ImageFormat } from './image-types.js';
import type { Manifest } from './manifest.js';
import { preprocess } from './pipeline.js';

export interface PrepareOptions {
  /** Refuse images with more pixels than this, from the header (image_too_large). */
  maxPixels?: number;
  /** The format the caller sniffed from the bytes. */
  format?: ImageFormat;
  /**
   * Write the model input here (a recycled buffer of exactly H × W × C values; core/pipeline.ts). In
   * thread the result's data is this very array; a pool moves (transfers) it to its thread and returns a
   * new view of the same memory, leaving the caller's array detached. Either way the caller hands the
   * array over and must not use it again.
   */
  out?: Float32Array;
}

export interface PreparedImage {
  tensor: Float32Tensor;
  /** The decoded image's facts (before orientation). */
  format: ImageFormat;
  width: number;
  height: number;
  /** DecodedImage.decoder: which decoder produced the pixels. */
  decoder: string;
  decodeMs: number;
  preprocessMs: number;
}

/**
 * Bytes → model input. An implementation may take the bytes over (the Node pool transfers them to its
 * thread when their buffer holds nothing else): the caller must not use `bytes` afterwards.
 */
export type PrepareImage = (
  bytes: Uint8Array,
  spec: Pick<Manifest, 'input' | 'preprocessing'>,
  options?: PrepareOptions,
) => Promise<PreparedImage>;

/** Decode and preprocess on the calling thread, with the runtime's resize kernels when it has them. */
export function prepareInThread(
  decodeImage: ImageDecoder,
  kernels: { resample?: ResampleKernel | undefined } = {},
): PrepareImage {
  return async (bytes, spec, { out, ...decodeOptions } = {}) => {
    const t0 = performance.now();
    const decoded = await decodeImage(bytes, decodeOptions);
    const t1 = performance.now();
    const tensor = preprocess({ decoded, bytes }, spec, kernels, out);
    return {
      tensor,
      format: decoded.format,
      width: decoded.width,
      height: decoded.height,
      decoder: decoded.decoder,
      decodeMs: t1 - t0,
      preprocessMs: performance.now() - t1,
    };
  };
}
