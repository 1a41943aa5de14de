import { type ZlibOptions, crc32, inflateSync } from 'node:zlib';
import type { DecodedImage } from '../../core/image-types.js';
import type { PngUnfilter } from '../../core/image/wasm-png-unfilter.js';

/** Samples per pixel of the PNG colour types the fast path reads: grey, RGB, grey + alpha, RGBA. */
const CHANNELS: Partial<Record<number, 1 | 2 | 3 | 4>> = { 0: 1, 2: 3, 4: 2, 6: 4 };

/** Filtered bytes (rows + filter bytes) the fast path inflates at most; larger images go to sharp. */
export const PNG_FAST_MAX_BYTES = 64 * 1024 * 1024;

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

interface Header {
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
}

/**
 * The common PNG — 8 bits per sample, not interlaced, grey or RGB with or without alpha, no tRNS — decoded
 * without libvips: node:zlib inflates it and the WebAssembly kernel reconstructs the rows on the calling
 * thread. For the photos it is written for this takes about half of sharp's CPU time, most of which went
 * to handing the image between libvips' threads and copying it (bench/RESULTS.md, docs/performance.md).
 *
 * Only a file that is valid in every respect is decoded here: signature, chunk lengths and CRCs, one run
 * of IDAT, a zlib stream (Adler-32 checked) that inflates to exactly the image's size with nothing after
 * it, known filter types, IEND last. For anything else — other bit depths, palettes, interlacing,
 * transparency chunks, images over `maxPixels` or PNG_FAST_MAX_BYTES, damaged or unusual files — it
 * returns undefined and the caller decodes with sharp, so those keep sharp's behaviour and errors. The
 * pixels are the stored samples, as sharp (without colour management) and Pillow give them; grey stays
 * one channel (L, or LA with alpha) as Pillow opens it, where sharp widens it to RGB(A) — core's
 * colour conversions give the same RGB and L from either.
 */
export function decodePngFast(
  bytes: Uint8Array,
  maxPixels: number,
  unfilter: PngUnfilter,
): DecodedImage | undefined {
  const chunks = readChunks(bytes, maxPixels);
  if (chunks === undefined) return undefined;
  const { header, idat } = chunks;
  const stride = header.width * header.channels;
  const size = header.height * (stride + 1);
  let filtered: Uint8Array;
  try {
    // One output buffer, one byte larger than the rows: when zlib fills a chunk exactly, node:zlib
    // allocates the next one before it finds the stream ended (chunks are at least 64 bytes).
    const chunkSize = Math.max(size + 1, 64);
    // With `info`, node:zlib also returns the engine, which counts the input it consumed (@types/node
    // does not type that form).
    const { buffer, engine } = inflateSync(idat, {
      info: true,
      maxOutputLength: size,
      chunkSize,
    } as ZlibOptions) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
    // All of the zlib stream read, and exactly the image's rows out of it.
    if (buffer.byteLength !== size || engine.bytesWritten !== idat.byteLength) return undefined;
    filtered = buffer;
  } catch {
    return undefined;
  }
  const image = unfilter(filtered, header.height, stride, header.channels);
  if (image === undefined) return undefined;
  // The image is the start of zlib's output buffer. That buffer is the image's own unless the image is
  // small enough for Node to carve it from its shared 8 KiB pool: then it is copied into a buffer of its
  // own, which a caller may transfer. (A plain Uint8Array either way: Buffer's slice is a view too.)
  const own = filtered.byteOffset === 0 && filtered.buffer.byteLength === size + 1 && size >= 8192;
  const data = own ? new Uint8Array(image.buffer, 0, image.byteLength) : new Uint8Array(image);
  return { width: header.width, height: header.height, channels: header.channels, data, format: 'png' };
}

/** The header and the concatenated IDAT data of a PNG the fast path takes, or undefined. */
function readChunks(bytes: Uint8Array, maxPixels: number): { header: Header; idat: Uint8Array } | undefined {
  if (bytes.byteLength < 8 + 25 + 12 || SIGNATURE.some((b, i) => bytes[i] !== b)) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let header: Header | undefined;
  const idat: Uint8Array[] = [];
  let idatEnded = false;
  for (let at = 8; at + 12 <= bytes.byteLength;) {
    const length = view.getUint32(at);
    const end = at + 12 + length;
    if (length > 0x7fffffff || end > bytes.byteLength) return undefined;
    const type = String.fromCharCode(bytes[at + 4]!, bytes[at + 5]!, bytes[at + 6]!, bytes[at + 7]!);
    if (crc32(bytes.subarray(at + 4, at + 8 + length)) !== view.getUint32(at + 8 + length)) return undefined;
    const data = bytes.subarray(at + 8, at + 8 + length);
    if (header === undefined) {
      if (type !== 'IHDR') return undefined;
      header = readHeader(data, maxPixels);
      if (header === undefined) return undefined;
    } else if (type === 'IDAT') {
      if (idatEnded) return undefined;
      idat.push(data);
    } else if (type === 'IEND') {
      if (length !== 0 || end !== bytes.byteLength || idat.length === 0) return undefined;
      return { header, idat: idat.length === 1 ? idat[0]! : Buffer.concat(idat) };
    } else {
      if (idat.length > 0) idatEnded = true;
      // tRNS makes sharp add an alpha channel; other critical chunks (PLTE with grey, unknown ones) are
      // errors or features left to libpng. Other ancillary chunks do not change the samples.
      const critical = (bytes[at + 4]! & 0x20) === 0;
      if (type === 'tRNS' || (critical && !(type === 'PLTE' && header.channels >= 3))) return undefined;
    }
    at = end;
  }
  return undefined;
}

function readHeader(data: Uint8Array, maxPixels: number): Header | undefined {
  if (data.byteLength !== 13) return undefined;
  const view = new DataView(data.buffer, data.byteOffset, 13);
  const width = view.getUint32(0);
  const height = view.getUint32(4);
  const [depth, colourType, compression, filter, interlace] = data.subarray(8, 13);
  const channels = CHANNELS[colourType!];
  if (width === 0 || height === 0 || channels === undefined) return undefined;
  if (depth !== 8 || compression !== 0 || filter !== 0 || interlace !== 0) return undefined;
  if (width * height > maxPixels || height * (width * channels + 1) > PNG_FAST_MAX_BYTES) return undefined;
  return { width, height, channels };
}
