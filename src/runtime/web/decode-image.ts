import decodeJpeg, { init as initJpeg } from '@jsquash/jpeg/decode.js';
import decodePng, { init as initPng } from '@jsquash/png/decode.js';
import decodeWebp, { init as initWebp } from '@jsquash/webp/decode.js';
import { NetlensError, messageOf } from '../../core/errors.js';
import { sniffImageFormat } from '../../core/image-format.js';
import type { DecodedImage, DecodeOptions, ImageDecoder } from '../../core/image-types.js';
import { readImageHeader } from '../../core/image/header.js';
import { jpegHasEndMarker } from './image-header.js';

/** Compiled codec modules: in Workers, wrangler compiles `.wasm` imports; elsewhere compile them once. */
export interface CodecModules {
  jpeg: WebAssembly.Module;
  png: WebAssembly.Module;
  webp: WebAssembly.Module;
}

export const WASM_DECODER_FORMATS = ['jpeg', 'png', 'webp'] as const;

/**
 * An ImageDecoder on WASM codecs (@jsquash: MozJPEG, the Rust png crate, libwebp) for Workers and
 * browsers. Like the Node decoder it returns the stored pixels: no EXIF rotation (core orients), no ICC
 * colour conversion (Keras/Pillow ignore embedded profiles; see docs/edge.md), 16-bit reduced to 8.
 * Output is always RGBA (channels 4) — alpha is never premultiplied.
 */
export function createWasmImageDecoder(modules: CodecModules): ImageDecoder {
  // Each codec is instantiated on first use only: an emscripten codec starts with 16 MiB of WASM memory,
  // which counts against a Worker isolate's 128 MB even if that format never arrives.
  const ready: Partial<Record<'jpeg' | 'png' | 'webp', Promise<unknown>>> = {};
  const init = (format: 'jpeg' | 'png' | 'webp'): Promise<unknown> =>
    (ready[format] ??=
      format === 'jpeg'
        ? initJpeg(modules.jpeg)
        : format === 'png'
          ? initPng(modules.png)
          : initWebp(modules.webp));

  return async (bytes: Uint8Array, options: DecodeOptions = {}): Promise<DecodedImage> => {
    const format = options.format ?? sniffImageFormat(bytes);
    if (format === undefined) {
      throw new NetlensError(
        'unsupported_media_type',
        `the bytes are not a known image format; this decoder reads ${WASM_DECODER_FORMATS.join(', ')}`,
        { details: { supported: WASM_DECODER_FORMATS } },
      );
    }
    if (format !== 'jpeg' && format !== 'png' && format !== 'webp') {
      throw new NetlensError(
        'unsupported_media_type',
        `${format} images cannot be decoded at the edge; supported: ${WASM_DECODER_FORMATS.join(', ')}`,
        { details: { format, supported: WASM_DECODER_FORMATS } },
      );
    }
    const size = readImageHeader(bytes, format);
    if (size === undefined) {
      throw new NetlensError('bad_image', `the ${format} header is truncated or malformed`, {
        details: { format },
      });
    }
    if (options.maxPixels !== undefined && size.width * size.height > options.maxPixels) {
      throw new NetlensError(
        'image_too_large',
        `the image has ${size.width}×${size.height} = ${size.width * size.height} pixels; the limit is ${options.maxPixels}`,
        { details: { width: size.width, height: size.height, maxPixels: options.maxPixels } },
      );
    }
    if (format === 'jpeg' && !jpegHasEndMarker(bytes)) {
      throw new NetlensError('bad_image', 'the jpeg image is truncated (no end-of-image marker)', {
        details: { format },
      });
    }
    await init(format);
    // The codecs take an ArrayBuffer of exactly the file.
    const buffer = bytes.slice().buffer;
    let image: { data: Uint8ClampedArray; width: number; height: number };
    try {
      image =
        format === 'jpeg'
          ? await decodeJpeg(buffer, { preserveOrientation: false })
          : format === 'png'
            ? await decodePng(buffer)
            : await decodeWebp(buffer);
    } catch (error) {
      throw new NetlensError('bad_image', `the ${format} image could not be decoded: ${messageOf(error)}`, {
        cause: error,
        details: { format },
      });
    }
    if (image.width * image.height * 4 !== image.data.length) {
      throw new NetlensError('bad_image', `the ${format} decoder returned an inconsistent image`);
    }
    return {
      width: image.width,
      height: image.height,
      channels: 4,
      data: new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.byteLength),
      decoder: 'wasm-codecs',
      format,
    };
  };
}
