import sharp, { type Metadata } from 'sharp';
import { NetlensError, messageOf } from '../../core/errors.js';
import { sniffImageFormat } from '../../core/image-format.js';
import type { DecodedImage, DecodeOptions, ImageDecoder, ImageFormat } from '../../core/image-types.js';
import type { PngUnfilter } from '../../core/image/wasm-png-unfilter.js';
import { cmykToRgbLikePillow } from './cmyk.js';
import { jpegComponents } from './jpeg-components.js';
import { decodePngFast } from './png-decode.js';

/** Formats this decoder reads (sharp's prebuilt libvips); BMP is recognised but not decodable. */
export const SHARP_FORMATS: readonly ImageFormat[] = ['jpeg', 'png', 'webp', 'gif', 'avif', 'tiff'];

/** Default pixel limit (width × height) when the caller gives none: 100 megapixels. */
export const DEFAULT_MAX_PIXELS = 100_000_000;

export interface SharpDecoderOptions {
  /** Pixel limit used when a call passes none. Default 100 MP. */
  maxPixels?: number;
  /**
   * The WebAssembly PNG reconstruction (core `wasmPngUnfilter` on the compiled resample.wasm). With it,
   * common PNGs are decoded without libvips (png-decode.ts: the same pixels, about half the CPU time);
   * without it, every PNG goes through sharp.
   */
  pngUnfilter?: PngUnfilter;
}

/**
 * The Node ImageDecoder on sharp: decode only (resizing and EXIF orientation stay in core). Pixels come
 * out 8-bit interleaved, untouched by colour management so that they equal what Pillow — and so Keras'
 * `load_img` — decodes: an embedded ICC profile is NOT applied (`keepIccProfile`), CMYK becomes RGB with
 * Pillow's formula (no colour management), 16-bit samples are reduced to 8-bit (the high byte, as Pillow),
 * and GIFs give their first frame.
 */
export function createSharpImageDecoder(defaults: SharpDecoderOptions = {}): ImageDecoder {
  return async (bytes: Uint8Array, options: DecodeOptions = {}): Promise<DecodedImage> => {
    const maxPixels = options.maxPixels ?? defaults.maxPixels ?? DEFAULT_MAX_PIXELS;
    const format = options.format ?? sniffImageFormat(bytes);
    if (format === undefined || !SHARP_FORMATS.includes(format)) {
      throw new NetlensError(
        'unsupported_media_type',
        `${format === undefined ? 'not a recognised image format' : `${format.toUpperCase()} is not supported`} (magic bytes ${hexHead(bytes)}); supported: ${SHARP_FORMATS.join(', ')}`,
        { details: { format: format ?? null, supported: SHARP_FORMATS } },
      );
    }
    if (format === 'png' && defaults.pngUnfilter !== undefined) {
      const decoded = decodePngFast(bytes, maxPixels, defaults.pngUnfilter);
      if (decoded !== undefined) return decoded;
    }
    // CMYK needs its own pipeline (Pillow's conversion, not colour management): JPEG says so in its
    // frame header; only TIFF, rarer, needs sharp's metadata pass to tell.
    const cmyk =
      format === 'jpeg'
        ? jpegComponents(bytes) === 4
        : format === 'tiff' && (await headerOf(bytes, format)).space === 'cmyk';
    try {
      const input = sharp(bytes, {
        limitInputPixels: maxPixels,
        pages: 1,
        failOn: 'warning',
        autoOrient: false,
      });
      if (cmyk) {
        // The CMYK samples as stored (Adobe inversion undone by libvips), converted with Pillow's formula.
        const { data, info } = await input
          .pipelineColourspace('cmyk')
          .toColourspace('cmyk')
          .raw({ depth: 'uchar' })
          .toBuffer({ resolveWithObject: true });
        const pixels = info.width * info.height;
        return {
          width: info.width,
          height: info.height,
          channels: 3,
          data: cmykToRgbLikePillow(data, pixels, info.channels),
          format,
          decoder: 'sharp',
        };
      }
      const { data, info } = await input
        .keepIccProfile()
        .raw({ depth: 'uchar' })
        .toBuffer({ resolveWithObject: true });
      if (info.channels < 1 || info.channels > 4) {
        throw new Error(`unexpected channel count ${info.channels}`);
      }
      return {
        width: info.width,
        height: info.height,
        channels: info.channels,
        data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
        format,
        decoder: 'sharp',
      };
    } catch (error) {
      // limitInputPixels is checked on the header, before any pixel is decoded (decompression bombs).
      if (/exceeds pixel limit/i.test(messageOf(error))) throw await tooLarge(bytes, format, maxPixels);
      throw badImage(format, error);
    }
  };
}

async function headerOf(bytes: Uint8Array, format: ImageFormat): Promise<Metadata> {
  try {
    return await sharp(bytes, { limitInputPixels: false, pages: 1 }).metadata();
  } catch (error) {
    throw badImage(format, error);
  }
}

/** The image_too_large error, with the size the header announces. */
async function tooLarge(bytes: Uint8Array, format: ImageFormat, maxPixels: number): Promise<NetlensError> {
  const { width, height } = await headerOf(bytes, format);
  return new NetlensError(
    'image_too_large',
    `image is ${width}×${height} = ${width * height} pixels, over the limit of ${maxPixels}`,
    { details: { width, height, pixels: width * height, maxPixels } },
  );
}

/** The default Node decoder (100 MP limit unless a call passes `maxPixels`). */
export const decodeImage: ImageDecoder = createSharpImageDecoder();

function badImage(format: ImageFormat, error: unknown): NetlensError {
  const reason = messageOf(error).trim().replace(/\s+/g, ' ');
  return new NetlensError(
    'bad_image',
    `cannot decode ${format.toUpperCase()}: ${reason || 'unreadable data'}`,
    {
      cause: error,
      details: { format, reason },
    },
  );
}

function hexHead(bytes: Uint8Array): string {
  return Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ') || 'none';
}
